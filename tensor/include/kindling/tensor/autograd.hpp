// kindling::grad: the gradients of some outputs with respect to some inputs, returned rather
// than accumulated into .grad (PyTorch's torch.autograd.grad). With create_graph the gradients
// are graph nodes themselves, so that grad() of them gives second derivatives:
//
//   Tensor x = kindling::randn({3}, gen).set_requires_grad();
//   Tensor y = kindling::sum(kindling::exp(x) * x);
//   Tensor dx = kindling::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
//   Tensor d2 = kindling::grad({kindling::sum(dx)}, {x})[0];  // sum_j d2y / dx_i dx_j
//
// Note [create_graph] in tensor/src/autograd.cpp says how a recorded backward works.
#pragma once

#include <optional>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling {

// The gradient of sum_i <grad_outputs[i], outputs[i]> with respect to each input, in the order
// of `inputs`. Nothing's .grad changes (hooks registered with register_hook on the tensors the
// gradient passes through do run).
//   grad_outputs: one per output (an undefined entry, or an empty list, is a ones seed, allowed
//                 only for a one-element output); each has its output's shape.
//   retain_graph: keep the graph's saved tensors for another backward; defaults to create_graph.
//   create_graph: record the backward, so the results can be differentiated again.
//   allow_unused: an input that the outputs do not depend on gets an undefined Tensor instead of
//                 an error.
// Throws kindling::error naming `grad` for an output or input that does not require grad, a
// non-scalar output without a grad_output, an input not reached without allow_unused, and (naming
// the op) a backward through a graph whose saved tensors an earlier backward freed.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {},
                         std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                         bool allow_unused = false);

// While one is alive, the backward steps this thread runs record the graph of their gradients,
// as those of backward(create_graph = true) do (Note [create_graph]): for code that runs a pass
// one step at a time (TensorStepper); backward() and grad() set it themselves.
class create_graph_mode {
 public:
  explicit create_graph_mode(bool on = true) noexcept;
  ~create_graph_mode();
  create_graph_mode(const create_graph_mode&) = delete;
  create_graph_mode& operator=(const create_graph_mode&) = delete;

 private:
  bool previous_;
};

}  // namespace kindling
