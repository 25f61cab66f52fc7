// The hook forward mode has in recording (Note [forward mode] in forward_mode.cpp): every op's
// record() calls record_tangent while a dual_level is alive. Not installed: only tensor/src sees
// it.
#pragma once

#include <span>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::detail {

// True while a dual_level is alive on this thread and no jvp rule is running (a rule's own ops
// must not propagate tangents of their own). Inline, so that record() pays one thread-local load.
inline thread_local bool forward_mode_on = false;

// Turns tangent propagation off for its lifetime (the plain recording of an op, a rule's own ops)
// and restores it after.
class ForwardModePause {
 public:
  ForwardModePause() noexcept : previous_(forward_mode_on) { forward_mode_on = false; }
  ~ForwardModePause() { forward_mode_on = previous_; }
  ForwardModePause(const ForwardModePause&) = delete;
  ForwardModePause& operator=(const ForwardModePause&) = delete;

 private:
  bool previous_;
};

// Gives `result` its tangent from the tangents of `inputs`, by op's jvp rule; nothing when no
// input carries a tangent.
void record_tangent(TensorOp op, const Tensor& result, std::span<const Tensor* const> inputs,
                    const OpParams& params, const std::vector<Tensor>& saved);

}  // namespace kindling::detail
