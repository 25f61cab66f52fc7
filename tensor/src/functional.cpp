// The functional transforms (kindling/tensor/functional.hpp): vjp, jvp, jacobian, hessian, hvp
// and vhp, built on grad() (reverse mode, autograd.hpp) and dual tensors (forward mode,
// forward_ad.hpp).
#include "kindling/tensor/functional.hpp"

#include <string>

#include "internal.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/autograd.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/forward_ad.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling::autograd::functional {

namespace {

// Whether create_graph passes record their gradients, for its lifetime (detail::backward_records):
// a gradient that only forward mode differentiates needs its composite steps, not their graph.
class BackwardRecords {
 public:
  explicit BackwardRecords(bool on) noexcept : previous_(detail::backward_records) {
    detail::backward_records = on;
  }
  ~BackwardRecords() { detail::backward_records = previous_; }
  BackwardRecords(const BackwardRecords&) = delete;
  BackwardRecords& operator=(const BackwardRecords&) = delete;

 private:
  bool previous_;
};

void check_inputs(const TensorList& inputs, const char* who) {
  KINDLING_CHECK(!inputs.empty(), who, ": no inputs");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    KINDLING_CHECK(inputs[i].defined(), who, ": input ", i, " is undefined");
    KINDLING_CHECK(is_floating(inputs[i].dtype()), who, ": input ", i,
                   " must be floating-point, got ", dtype_name(inputs[i].dtype()), " of shape ",
                   shape_string(inputs[i].shape()));
  }
}

// What the function runs on for reverse mode: fresh leaves that require grad, so the caller's
// tensors and their grads are untouched. With create_graph an input that requires grad is passed
// as a view of itself instead, so the derivatives stay differentiable with respect to it.
TensorList reverse_inputs(const TensorList& inputs, bool create_graph, const char* who) {
  check_inputs(inputs, who);
  TensorList out;
  out.reserve(inputs.size());
  for (const Tensor& x : inputs) {
    if (create_graph && x.requires_grad()) {
      out.push_back(view(x, x.shape()));
      continue;
    }
    Tensor leaf = x.detach();
    leaf.set_requires_grad(true);
    out.push_back(leaf);
  }
  return out;
}

TensorList call(const Function& func, const TensorList& inputs, const char* who) {
  TensorList outputs;
  {
    const enable_grad on;  // the transforms differentiate, even when called under no_grad
    outputs = func(inputs);
  }
  KINDLING_CHECK(!outputs.empty(), who, ": the function returned no outputs");
  for (std::size_t i = 0; i < outputs.size(); ++i)
    KINDLING_CHECK(outputs[i].defined(), who, ": output ", i, " of the function is undefined");
  return outputs;
}

TensorList detached(TensorList tensors) {
  for (Tensor& t : tensors)
    t = t.detach();
  return tensors;
}

// One tensor per `like` (each of its shape, converted to its dtype), or ones when `given` is
// empty and every `like` has one element, as torch's v = None.
TensorList directions(const TensorList& like, const TensorList& given, const char* who,
                      const char* what) {
  TensorList out;
  if (given.empty()) {
    for (std::size_t i = 0; i < like.size(); ++i) {
      KINDLING_CHECK(like[i].numel() == 1, who, ": v can be omitted only when every ", what,
                     " has one element; ", what, " ", i, " has shape ",
                     shape_string(like[i].shape()));
      out.push_back(ones_like(like[i]));
    }
    return out;
  }
  KINDLING_CHECK(given.size() == like.size(), who, ": v has ", given.size(), " tensors for ",
                 like.size(), " ", what, "s");
  for (std::size_t i = 0; i < like.size(); ++i) {
    KINDLING_CHECK(given[i].defined(), who, ": v[", i, "] is undefined");
    KINDLING_CHECK(given[i].shape() == like[i].shape(), who, ": v[", i, "] has shape ",
                   shape_string(given[i].shape()), " but ", what, " ", i, " has shape ",
                   shape_string(like[i].shape()));
    out.push_back(cast(given[i], like[i].dtype()));
  }
  return out;
}

// d(sum_i <outputs[i], cotangents[i]>) / d inputs[j] for each j. An input no output depends on
// gets zeros, or with strict an error; outputs that do not require grad contribute nothing.
TensorList gradients(const TensorList& outputs, const TensorList& inputs,
                     const TensorList& cotangents, bool create_graph, bool strict,
                     const char* who) {
  TensorList used_outputs, used_cotangents;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].requires_grad()) continue;
    used_outputs.push_back(outputs[i]);
    used_cotangents.push_back(cotangents[i]);
  }
  TensorList grads(inputs.size());
  if (!used_outputs.empty())
    grads = grad(used_outputs, inputs, used_cotangents, /*retain_graph=*/true, create_graph,
                 /*allow_unused=*/true);
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    if (grads[j].defined()) continue;
    KINDLING_CHECK(!strict, who, ": the outputs do not depend on input ", j, " (shape ",
                   shape_string(inputs[j].shape()), "), and strict is set");
    grads[j] = zeros_like(inputs[j]);
  }
  return grads;
}

// Runs func on duals of `inputs` carrying `tangents` (an undefined tangent: that input carries
// none) and returns the outputs and their tangents (zeros, or with strict an error, where an
// output depends on no tangent).
OutputsAndDerivatives forward_pass(const Function& func, const TensorList& inputs,
                                   const TensorList& tangents, bool create_graph, bool strict,
                                   const char* who) {
  const forward_ad::dual_level level;
  TensorList duals;
  duals.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor primal =
        create_graph && inputs[i].requires_grad() ? inputs[i] : inputs[i].detach();
    duals.push_back(tangents[i].defined() ? forward_ad::make_dual(primal, tangents[i]) : primal);
  }
  const TensorList outputs = call(func, duals, who);
  TensorList derivatives;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    Tensor tangent = forward_ad::unpack_dual(outputs[i]).tangent;
    if (!tangent.defined()) {
      KINDLING_CHECK(!strict, who, ": output ", i, " (shape ", shape_string(outputs[i].shape()),
                     ") does not depend on the inputs, and strict is set");
      tangent = zeros_like(outputs[i]);
    }
    derivatives.push_back(create_graph ? tangent : tangent.detach());
  }
  return {create_graph ? outputs : detached(outputs), derivatives};
}

// outputs.shape + input.shape, the shape of one block of a Jacobian.
Shape block_shape(const Tensor& output, const Tensor& input) {
  Shape shape = output.shape();
  shape.insert(shape.end(), input.shape().begin(), input.shape().end());
  return shape;
}

// Row (or column) `k` of n: the one-hot direction of `like`'s shape and dtype.
Tensor one_hot_like(const Tensor& like, std::int64_t k) {
  const no_grad guard;
  Tensor flat = zeros({like.numel()}, like.dtype(), like.device());
  flat.slice(0, k, k + 1).fill_(1.0);
  return reshape(flat, like.shape());
}

// The rows (or columns) of a block, each flattened, stacked along `axis` into the block's shape.
Tensor assemble(const TensorList& parts, std::int64_t axis, const Tensor& output,
                const Tensor& input) {
  if (parts.empty()) return zeros(block_shape(output, input), output.dtype(), output.device());
  return reshape(stack(parts, axis), block_shape(output, input));
}

std::vector<TensorList> reverse_jacobian(const Function& func, const TensorList& inputs,
                                         bool create_graph, bool strict, const char* who) {
  const TensorList xs = reverse_inputs(inputs, create_graph, who);
  const TensorList outputs = call(func, xs, who);
  std::vector<TensorList> blocks(outputs.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    std::vector<TensorList> rows(xs.size());
    for (std::int64_t k = 0; k < out.numel(); ++k) {
      const TensorList g = gradients({out}, xs, {one_hot_like(out, k)}, create_graph, strict, who);
      for (std::size_t j = 0; j < xs.size(); ++j)
        rows[j].push_back(reshape(create_graph ? g[j] : g[j].detach(), {-1}));
    }
    for (std::size_t j = 0; j < xs.size(); ++j)
      blocks[i].push_back(assemble(rows[j], 0, out, xs[j]));
  }
  return blocks;
}

std::vector<TensorList> forward_jacobian(const Function& func, const TensorList& inputs,
                                         bool create_graph, bool strict, const char* who) {
  check_inputs(inputs, who);
  TensorList shapes_of;  // the outputs, for their shapes (and for inputs without elements)
  {
    const no_grad guard;
    shapes_of = func(detached(inputs));
  }
  std::vector<TensorList> blocks(shapes_of.size(), TensorList(inputs.size()));
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    std::vector<TensorList> columns(shapes_of.size());
    for (std::int64_t l = 0; l < inputs[j].numel(); ++l) {
      TensorList tangents(inputs.size());
      tangents[j] = one_hot_like(inputs[j], l);
      const OutputsAndDerivatives r =
          forward_pass(func, inputs, tangents, create_graph, strict, who);
      KINDLING_CHECK(r.derivatives.size() == shapes_of.size(), who, ": the function returned ",
                     r.derivatives.size(), " outputs, then ", shapes_of.size());
      for (std::size_t i = 0; i < r.derivatives.size(); ++i)
        columns[i].push_back(reshape(r.derivatives[i], {-1}));
    }
    for (std::size_t i = 0; i < shapes_of.size(); ++i)
      blocks[i][j] = assemble(columns[i], 1, shapes_of[i], inputs[j]);
  }
  return blocks;
}

void check_scalar_output(const TensorList& outputs, const char* who) {
  KINDLING_CHECK(outputs.size() == 1 && outputs[0].numel() == 1, who,
                 ": the function must return one tensor with one element, got ", outputs.size(),
                 " outputs", outputs.empty() ? "" : ", the first of shape ",
                 outputs.empty() ? std::string{} : shape_string(outputs[0].shape()));
}

Function single(const TensorFunction& func) {
  return [func](const TensorList& xs) { return TensorList{func(xs[0])}; };
}

// v^T H (equal to H v: the Hessian is symmetric): the gradient's product with v, differentiated.
OutputsAndDerivatives second_order_product(const Function& func, const TensorList& inputs,
                                           const TensorList& v, bool create_graph, bool strict,
                                           const char* who) {
  const TensorList xs = reverse_inputs(inputs, create_graph, who);
  const TensorList outputs = call(func, xs, who);
  check_scalar_output(outputs, who);
  const TensorList directions_v = directions(xs, v, who, "input");
  const TensorList g =
      gradients(outputs, xs, {ones_like(outputs[0])}, /*create_graph=*/true, strict, who);
  Tensor product;
  for (std::size_t j = 0; j < g.size(); ++j) {
    if (!g[j].requires_grad()) continue;  // zeros, or a constant gradient: no second derivative
    const Tensor term = sum(g[j] * directions_v[j]);
    product = product.defined() ? product + term : term;
  }
  TensorList result;
  if (product.defined()) {
    result = gradients({product}, xs, {ones_like(product)}, create_graph, strict, who);
  } else {
    KINDLING_CHECK(!strict, who, ": the gradient does not depend on the inputs, and strict is set");
    for (const Tensor& x : xs)
      result.push_back(zeros_like(x));
  }
  return {create_graph ? outputs : detached(outputs), create_graph ? result : detached(result)};
}

}  // namespace

OutputsAndDerivatives vjp(const Function& func, const TensorList& inputs, const TensorList& v,
                          bool create_graph, bool strict) {
  const TensorList xs = reverse_inputs(inputs, create_graph, "vjp");
  const TensorList outputs = call(func, xs, "vjp");
  const TensorList cotangents = directions(outputs, v, "vjp", "output");
  const TensorList g = gradients(outputs, xs, cotangents, create_graph, strict, "vjp");
  return {create_graph ? outputs : detached(outputs), create_graph ? g : detached(g)};
}

OutputsAndDerivatives jvp(const Function& func, const TensorList& inputs, const TensorList& v,
                          bool create_graph, bool strict) {
  check_inputs(inputs, "jvp");
  return forward_pass(func, inputs, directions(inputs, v, "jvp", "input"), create_graph, strict,
                      "jvp");
}

std::vector<TensorList> jacobian(const Function& func, const TensorList& inputs, bool create_graph,
                                 bool strict, Strategy strategy) {
  return strategy == Strategy::reverse_mode
             ? reverse_jacobian(func, inputs, create_graph, strict, "jacobian")
             : forward_jacobian(func, inputs, create_graph, strict, "jacobian");
}

Tensor jacobian(const TensorFunction& func, const Tensor& input, bool create_graph, bool strict,
                Strategy strategy) {
  return jacobian(single(func), {input}, create_graph, strict, strategy)[0][0];
}

// The jacobian of the gradient. The outer pass hands the gradient function either leaves that
// require grad (reverse mode) or duals that carry a tangent (forward mode); the inner gradient
// needs leaves that require grad, so a dual's primal becomes one, and the function runs on a
// dual of it, which carries the tangent through the gradient (forward over reverse).
std::vector<TensorList> hessian(const Function& func, const TensorList& inputs, bool create_graph,
                                bool strict, Strategy outer_jacobian_strategy) {
  // A forward outer pass differentiates the gradient by its tangents only (as hvp does): unless
  // create_graph, the inner backward need not record itself.
  const bool records = create_graph || outer_jacobian_strategy == Strategy::reverse_mode;
  const Function gradient = [&func, strict, records](const TensorList& xs) {
    TensorList leaves, run_on;
    for (const Tensor& x : xs) {
      if (x.requires_grad()) {
        leaves.push_back(x);
        run_on.push_back(x);
        continue;
      }
      Tensor leaf = x.detach();
      leaf.set_requires_grad(true);
      const Tensor tangent =
          forward_ad::is_forward_ad_enabled() ? forward_ad::unpack_dual(x).tangent : Tensor{};
      leaves.push_back(leaf);
      run_on.push_back(tangent.defined() ? forward_ad::make_dual(leaf, tangent) : leaf);
    }
    const TensorList outputs = call(func, run_on, "hessian");
    check_scalar_output(outputs, "hessian");
    const BackwardRecords record(records);
    return gradients(outputs, leaves, {ones_like(outputs[0])}, /*create_graph=*/true, strict,
                     "hessian");
  };
  return jacobian(gradient, inputs, create_graph, strict, outer_jacobian_strategy);
}

Tensor hessian(const TensorFunction& func, const Tensor& input, bool create_graph, bool strict,
               Strategy outer_jacobian_strategy) {
  return hessian(single(func), {input}, create_graph, strict, outer_jacobian_strategy)[0][0];
}

// H v as the tangent of the gradient along v (forward over reverse): the function runs on duals
// carrying v, its gradient is taken with create_graph (so that every backward step is made of
// recorded ops, which carry tangents), and the gradient's tangent is H v. One forward pass with
// tangents and one backward pass with tangents, where reverse over reverse (vhp) needs a third
// pass, the backward of the backward.
OutputsAndDerivatives hvp(const Function& func, const TensorList& inputs, const TensorList& v,
                          bool create_graph, bool strict) {
  const TensorList xs = reverse_inputs(inputs, create_graph, "hvp");
  const TensorList directions_v = directions(xs, v, "hvp", "input");
  const forward_ad::dual_level level;
  TensorList duals;
  for (std::size_t j = 0; j < xs.size(); ++j)
    duals.push_back(forward_ad::make_dual(xs[j], directions_v[j]));
  const TensorList outputs = call(func, duals, "hvp");
  check_scalar_output(outputs, "hvp");
  TensorList g;
  {
    // The gradient is differentiated by its tangent only: unless the caller wants H v as a graph,
    // its backward runs the composite steps without recording them.
    const BackwardRecords records(create_graph);
    g = gradients(outputs, xs, {ones_like(outputs[0])}, /*create_graph=*/true, strict, "hvp");
  }
  TensorList products;
  bool any = false;
  for (std::size_t j = 0; j < g.size(); ++j) {
    const Tensor tangent = forward_ad::unpack_dual(g[j]).tangent;
    any = any || tangent.defined();
    products.push_back(tangent.defined() ? tangent : zeros_like(xs[j]));
  }
  KINDLING_CHECK(any || !strict,
                 "hvp: the gradient does not depend on the inputs, and strict is set");
  return {create_graph ? outputs : detached(outputs), create_graph ? products : detached(products)};
}

OutputsAndDerivatives vhp(const Function& func, const TensorList& inputs, const TensorList& v,
                          bool create_graph, bool strict) {
  return second_order_product(func, inputs, v, create_graph, strict, "vhp");
}

}  // namespace kindling::autograd::functional
