// gradcheck: analytic gradients (one backward of a weighted sum) against central differences
// (two forward passes per input element, perturbing the storage in place); gradgradcheck: the
// same for the gradient of a weighted sum of first-order gradients.
#include "kindling/explain/tensor_gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/autograd.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling {

namespace {
// The storage offsets of a tensor's elements, in row-major order.
std::vector<std::int64_t> element_offsets(const Tensor& t) {
  std::vector<std::int64_t> offsets;
  offsets.reserve(static_cast<std::size_t>(t.numel()));
  std::vector<std::int64_t> index(static_cast<std::size_t>(t.dim()), 0);
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    std::int64_t o = t.offset();
    for (std::int64_t d = 0; d < t.dim(); ++d)
      o += index[d] * t.strides()[d];
    offsets.push_back(o);
    for (std::int64_t d = t.dim() - 1; d >= 0; --d) {
      if (++index[d] < t.shape()[d]) break;
      index[d] = 0;
    }
  }
  return offsets;
}

void check_inputs(const std::vector<Tensor>& inputs, const char* who) {
  for (const Tensor& x : inputs) {
    if (!x.requires_grad()) continue;
    KINDLING_CHECK(x.dtype() == DType::float64 && x.device().type == DeviceType::cpu, who,
                   ": inputs that require grad must be float64 CPU tensors, got ",
                   dtype_name(x.dtype()), " on ", to_string(x.device()));
    for (std::int64_t d = 0; d < x.dim(); ++d)
      KINDLING_CHECK(x.shape()[d] <= 1 || x.strides()[d] != 0, who, ": input of shape ",
                     shape_string(x.shape()), " overlaps itself (an expanded view)");
  }
}

// Records the first mismatch of analytic against numeric in result.
void compare(GradcheckResult& result, const GradcheckOptions& options, std::size_t input,
             std::size_t element, double analytic, double numeric) {
  const double error = std::abs(analytic - numeric);
  result.max_error = std::max(result.max_error, error);
  if (result.ok && !(error <= options.atol + options.rtol * std::abs(numeric))) {
    result.ok = false;
    char buffer[200];
    std::snprintf(buffer, sizeof buffer, "input %zu element %zu: analytic %.10g, numeric %.10g",
                  input, element, analytic, numeric);
    result.message = buffer;
  }
}
}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  check_inputs(inputs, "gradcheck");
  // Fixed weights make the scalar objective sensitive to every output element.
  Tensor weights;
  auto objective = [&](const Tensor& out) {
    if (!weights.defined()) {
      Generator generator(1234);
      weights = rand(out.shape(), generator, out.dtype()) + 0.5;
    }
    return sum(out * weights);
  };

  for (const Tensor& x : inputs)
    if (x.requires_grad()) x.zero_grad();
  const Tensor root = objective(fn(inputs));
  KINDLING_CHECK(root.requires_grad(),
                 "gradcheck: the output does not depend on any input that "
                 "requires grad");
  root.backward();

  GradcheckResult result;
  const no_grad guard;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.requires_grad()) continue;
    const Tensor analytic_t = x.grad();
    const std::vector<double> analytic =
        analytic_t.defined() ? analytic_t.to_vector<double>()
                             : std::vector<double>(static_cast<std::size_t>(x.numel()), 0.0);
    // element_offsets counts from the start of storage; raw_data() is element (0, ..., 0).
    double* storage = static_cast<double*>(x.raw_data()) - x.offset();
    const std::vector<std::int64_t> offsets = element_offsets(x);
    for (std::size_t e = 0; e < offsets.size(); ++e) {
      double& element = storage[offsets[e]];
      const double original = element;
      element = original + options.eps;
      const double plus = objective(fn(inputs)).item();
      element = original - options.eps;
      const double minus = objective(fn(inputs)).item();
      element = original;
      x.bump_version();  // written in place, even if back to its value (Note [version counters])
      compare(result, options, i, e, analytic[e], (plus - minus) / (2.0 * options.eps));
    }
  }
  return result;
}

GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  check_inputs(inputs, "gradgradcheck");
  std::vector<Tensor> wrt;  // the inputs that require grad, then w
  for (const Tensor& x : inputs)
    if (x.requires_grad()) wrt.push_back(x);
  KINDLING_CHECK(!wrt.empty(), "gradgradcheck: no input requires grad");
  const std::size_t n_inputs = wrt.size();
  Generator generator(4321);
  std::vector<Tensor> v;
  for (const Tensor& x : wrt)
    v.push_back(rand(x.shape(), generator, x.dtype()) + 0.5);
  Tensor w;  // made from the first output's shape
  // s(inputs, w): the weighted sum of the first-order gradients, recorded or not.
  auto first_order = [&](bool create_graph) {
    const Tensor out = fn(inputs);
    KINDLING_CHECK(out.requires_grad(),
                   "gradgradcheck: the output does not depend on any input that requires grad");
    if (!w.defined()) {
      w = rand(out.shape(), generator, out.dtype()) + 0.5;
      w.set_requires_grad();
    }
    const std::vector<Tensor> inputs_only(wrt.begin(), wrt.begin() + n_inputs);
    const std::vector<Tensor> grads = grad({out}, inputs_only, {w}, std::nullopt, create_graph,
                                           /*allow_unused=*/true);
    Tensor s = zeros({}, DType::float64);
    for (std::size_t j = 0; j < grads.size(); ++j)
      if (grads[j].defined()) s = s + sum(grads[j] * v[j]);
    return s;
  };
  const Tensor s = first_order(true);
  wrt.push_back(w);
  // A gradient that is constant in everything (sign's zeros, add's g without w) has no graph:
  // its derivatives are zero.
  std::vector<Tensor> analytic_t(wrt.size());
  if (s.requires_grad()) analytic_t = grad({s}, wrt, {}, std::nullopt, false, true);

  GradcheckResult result;
  for (std::size_t i = 0; i < wrt.size(); ++i) {
    const Tensor& x = wrt[i];
    const std::vector<double> analytic =
        analytic_t[i].defined() ? analytic_t[i].to_vector<double>()
                                : std::vector<double>(static_cast<std::size_t>(x.numel()), 0.0);
    double* storage = static_cast<double*>(x.raw_data()) - x.offset();
    const std::vector<std::int64_t> offsets = element_offsets(x);
    for (std::size_t e = 0; e < offsets.size(); ++e) {
      double& element = storage[offsets[e]];
      const double original = element;
      element = original + options.eps;
      x.bump_version();
      const double plus = first_order(false).item();
      element = original - options.eps;
      x.bump_version();
      const double minus = first_order(false).item();
      element = original;
      x.bump_version();
      compare(result, options, i, e, analytic[e], (plus - minus) / (2.0 * options.eps));
    }
  }
  return result;
}

}  // namespace kindling
