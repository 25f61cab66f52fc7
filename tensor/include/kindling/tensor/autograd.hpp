// kindling::grad: the gradients of some outputs with respect to some inputs, returned rather
// than accumulated into .grad (PyTorch's torch.autograd.grad). With create_graph the gradients
// are graph nodes themselves, so that grad() of them gives second derivatives (the example is
// in grad's comment). Note [create_graph] in tensor/src/autograd.cpp says how a recorded
// backward works.
#pragma once

#include <optional>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling {

/// The gradients of `outputs` with respect to `inputs`, returned rather than accumulated into
/// .grad (torch.autograd.grad): for each input, in the order of `inputs`, the gradient of
/// sum_i <grad_outputs[i], outputs[i]>, of the input's shape. Nothing's .grad changes; hooks
/// registered with register_hook on the tensors the gradient passes through do run. Inputs may
/// be interior tensors, and may repeat.
/// @param outputs The tensors to differentiate; each must require grad.
/// @param inputs The tensors to differentiate by; each must require grad.
/// @param grad_outputs One seed per output, floating-point and of the output's shape and device
///        (converted to its dtype); an undefined entry, or an empty list, seeds a one-element
///        output with 1.
/// @param retain_graph Keep the saved tensors of the steps that ran, for another backward;
///        defaults to create_graph, as in PyTorch.
/// @param create_graph Record the backward (Note [create_graph] in tensor/src/autograd.cpp), so
///        that the results are graph nodes that can be differentiated again.
/// @param allow_unused Give an undefined Tensor for an input the outputs do not depend on,
///        instead of throwing.
/// @throws kindling::error naming `grad` for no outputs, grad_outputs neither empty nor one per
///         output, an undefined output or input, one that does not require grad, a grad_output
///         of another shape or device or not floating-point, a non-scalar output without a
///         grad_output, or an input not reached without allow_unused; and, naming the op, for a
///         backward through saved tensors that an earlier backward freed or that were modified
///         in place.
/// @code
/// kindling::Generator gen(0);
/// kindling::Tensor x = kindling::randn({3}, gen).set_requires_grad();
/// kindling::Tensor y = kindling::sum(kindling::exp(x) * x);
/// // create_graph = true: dx is a graph node, and its graph is retained.
/// kindling::Tensor dx = kindling::grad({y}, {x}, {}, std::nullopt, true)[0];  // (1 + x) exp(x)
/// kindling::Tensor d2 = kindling::grad({kindling::sum(dx)}, {x})[0];           // (2 + x) exp(x)
/// @endcode
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {},
                         std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                         bool allow_unused = false);

/// While one is alive, the backward steps this thread runs record the graph of their gradients,
/// as those of backward(create_graph = true) do (Note [create_graph] in tensor/src/autograd.cpp).
/// For code that runs a pass one step at a time (TensorStepper); backward() and grad() set it
/// themselves. A thread-local RAII guard, as no_grad is.
class create_graph_mode {
 public:
  /// Sets recording on this thread to `on` (true: record) until destruction.
  explicit create_graph_mode(bool on = true) noexcept;
  /// Puts back the setting from before construction.
  ~create_graph_mode();
  create_graph_mode(const create_graph_mode&) = delete;
  create_graph_mode& operator=(const create_graph_mode&) = delete;

 private:
  bool previous_;
};

}  // namespace kindling
