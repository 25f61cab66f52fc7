// Forward mode (kindling/tensor/forward_ad.hpp): the dual level, make_dual and unpack_dual, the
// hook recording calls, and each primitive's jvp rule, one per row of the op table.
#include <array>
#include <atomic>
#include <memory>
#include <numbers>
#include <unordered_map>
#include <utility>

#include "forward_mode.hpp"
#include "internal.hpp"
#include "kindling/tensor/formulas.hpp"
#include "kindling/tensor/forward_ad.hpp"

namespace kindling {

// Note [forward mode]
// A tangent travels with its tensor, and an op computes its result's tangent as it runs, from
// its inputs' tangents: true forward mode, one pass for one direction (not the trick of
// differentiating a vjp twice).
//   Where: every op records through NodeAccess::record, which, while a dual_level is alive,
// records the op as usual and then calls record_tangent with the op, its inputs, parameters and
// saved tensors. Only primitives record, so the composites (var, logsumexp, einsum, ...) carry
// tangents through the primitives they are built from, as their gradients do.
//   The rules: `name_jvp` below, one per primitive, generated into the dispatch from
// KINDLING_TENSOR_PRIMITIVES, so a new primitive without a jvp rule does not link. A rule reads
// the inputs, the result c and the tangents (zero for an input that carries none), and is
// written with differentiable tensor ops: under grad mode a tangent is itself a graph node, so
// forward-over-reverse (jvp of a gradient) and reverse-over-forward both work. The op table's
// test (tests/tensor/test_forward_mode.cpp) checks every rule against reverse mode and central
// differences, and that the table ran every rule.
//   Storage: the level keeps each dual tensor's handle with its tangent, so a node is never
// freed, and its address reused, while a tangent is filed under it; the level's end frees them.
// Ops whose result is an input itself (contiguous of a contiguous tensor, a cast to its own
// dtype) keep the input's tangent: it is the same tensor.

namespace {

struct Dual {
  Tensor primal;  // keeps the node alive while its tangent is filed under its address
  Tensor tangent;
};

struct Level {
  std::unordered_map<const TensorNode*, Dual> duals;
};

thread_local std::unique_ptr<Level> current_level;

std::array<std::atomic<std::uint64_t>, kTensorOpCount> rule_calls{};

const Dual* find_dual(const Tensor& t) {
  if (!current_level || !t.defined()) return nullptr;
  const auto it = current_level->duals.find(t.node());
  return it == current_level->duals.end() ? nullptr : &it->second;
}

// What a jvp rule reads. An input without a tangent has tangent zero: t(i) makes the zeros, and
// has(i) lets a rule skip a term instead.
struct JvpContext {
  std::span<const Tensor* const> inputs;
  std::span<const Tensor> tangents;  // undefined where an input carries none
  const Tensor& c;                   // the result
  const OpParams& params;
  const std::vector<Tensor>& saved;

  const Tensor& a(std::size_t i = 0) const { return *inputs[i]; }
  bool has(std::size_t i) const { return tangents[i].defined(); }
  Tensor t(std::size_t i = 0) const { return has(i) ? tangents[i] : zeros_like(a(i)); }
  template <class P>
  const P& param() const {
    const P* p = std::get_if<P>(&params);
    assert(p != nullptr && "the op recorded other parameters");
    return *p;
  }
  Tensor zero() const { return detail::scalar_like(c, 0.0); }
};

// The sum of the terms a rule has (a binary op's two inputs may not both carry a tangent); the
// caller knows at least one does.
Tensor sum_of(const Tensor& first, const Tensor& second) {
  if (!first.defined()) return second;
  if (!second.defined()) return first;
  return first + second;
}

// The axes a reduction folded (the size-1 entries of its keepdim shape, where the input was not
// already 1), and the tangent summed over them in that shape.
Axes reduced_axes(const Shape& keep, const Shape& input) {
  Axes axes;
  for (std::size_t d = 0; d < keep.size(); ++d)
    if (keep[d] == 1 && input[d] != 1) axes.push_back(static_cast<std::int64_t>(d));
  return axes;
}
Tensor sum_kept(const Tensor& x, const Axes& axes) {
  return axes.empty() ? x : sum(x, axes, true);
}

}  // namespace

// ---- the rules: dc = J(a) t, one per primitive, in the order of op_list.hpp ----
namespace detail {
#define KINDLING_X(name, ...) Tensor name##_jvp(const JvpContext& x);
KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X

// UNARY: dc = t * f'(a), f' as the backward's formula (op_list.hpp) writes it.
Tensor neg_jvp(const JvpContext& x) {
  return neg(x.t());
}
Tensor exp_jvp(const JvpContext& x) {
  return x.t() * x.c;
}
Tensor log_jvp(const JvpContext& x) {
  return x.t() / x.a();
}
Tensor sqrt_jvp(const JvpContext& x) {
  return x.t() / (x.c * 2.0);
}
Tensor abs_jvp(const JvpContext& x) {
  return x.t() * sign(x.a());
}
Tensor tanh_jvp(const JvpContext& x) {
  return x.t() * (1.0 - x.c * x.c);
}
Tensor sigmoid_jvp(const JvpContext& x) {
  return x.t() * x.c * (1.0 - x.c);
}
// relu passes t where the result is positive or NaN (PyTorch's threshold_backward on c), 0 at 0.
Tensor relu_jvp(const JvpContext& x) {
  return where(le(x.c, 0.0), x.zero(), x.t());
}
// gelu'(a) = Phi(a) + a phi(a).
Tensor gelu_jvp(const JvpContext& x) {
  const Tensor& a = x.a();
  const Tensor cdf = (erf(a * formula::kInvSqrt2) + 1.0) * 0.5;
  const Tensor pdf = exp(a * a * -0.5) * formula::kInvSqrt2Pi;
  return x.t() * (cdf + a * pdf);
}
Tensor silu_jvp(const JvpContext& x) {
  const Tensor s = sigmoid(x.a());
  return x.t() * s * (1.0 + x.a() * (1.0 - s));
}
Tensor sin_jvp(const JvpContext& x) {
  return x.t() * cos(x.a());
}
Tensor cos_jvp(const JvpContext& x) {
  return x.t() * neg(sin(x.a()));
}
Tensor log1p_jvp(const JvpContext& x) {
  return x.t() / (x.a() + 1.0);
}
Tensor expm1_jvp(const JvpContext& x) {
  return x.t() * (x.c + 1.0);
}
Tensor erf_jvp(const JvpContext& x) {
  return x.t() * (exp(neg(x.a() * x.a())) * formula::kTwoOverSqrtPi);
}
// sign, floor and round are flat: tangent 0 (as their gradient), whatever t is.
Tensor sign_jvp(const JvpContext& x) {
  return zeros_like(x.c);
}
Tensor floor_jvp(const JvpContext& x) {
  return zeros_like(x.c);
}
Tensor round_jvp(const JvpContext& x) {
  return zeros_like(x.c);
}
Tensor reciprocal_jvp(const JvpContext& x) {
  return neg(x.t()) * (x.c * x.c);
}
Tensor rsqrt_jvp(const JvpContext& x) {
  return neg(x.t()) * (x.c * x.c * x.c) * 0.5;
}
Tensor tan_jvp(const JvpContext& x) {
  return x.t() * (1.0 + x.c * x.c);
}
Tensor log2_jvp(const JvpContext& x) {
  return x.t() / (x.a() * std::numbers::ln2);
}
Tensor log10_jvp(const JvpContext& x) {
  return x.t() / (x.a() * std::numbers::ln10);
}

// UNARY_PARAM: the derivative each row's `name_grad` kernel computes, in tensor ops.
Tensor leaky_relu_jvp(const JvpContext& x) {
  const double slope = x.param<UnaryArgs>().p0;
  return where(gt(x.a(), 0.0), x.t(), x.t() * slope);
}
Tensor elu_jvp(const JvpContext& x) {
  const double alpha = x.param<UnaryArgs>().p0;
  return where(gt(x.a(), 0.0), x.t(), x.t() * (exp(x.a()) * alpha));
}
Tensor softplus_jvp(const JvpContext& x) {
  const auto [beta, threshold] = x.param<UnaryArgs>();
  const Tensor scaled = x.a() * beta;
  return where(gt(scaled, threshold), x.t(), x.t() * sigmoid(scaled));
}

// BINARY: the inputs were broadcast to one shape and dtype before the op recorded them.
Tensor add_jvp(const JvpContext& x) {
  return sum_of(x.tangents[0], x.tangents[1]);
}
Tensor sub_jvp(const JvpContext& x) {
  if (!x.has(1)) return x.t(0);
  return x.has(0) ? x.t(0) - x.t(1) : neg(x.t(1));
}
Tensor mul_jvp(const JvpContext& x) {
  return sum_of(x.has(0) ? x.t(0) * x.a(1) : Tensor{}, x.has(1) ? x.a(0) * x.t(1) : Tensor{});
}
Tensor div_jvp(const JvpContext& x) {
  const Tensor& b = x.a(1);
  return sum_of(x.has(0) ? x.t(0) / b : Tensor{}, x.has(1) ? neg(x.t(1) * (x.c / b)) : Tensor{});
}
// PyTorch's pow masks (Note [special values] in ops_binary.cpp's pow_backward).
Tensor pow_jvp(const JvpContext& x) {
  const Tensor &a = x.a(0), &b = x.a(1), zero = x.zero();
  Tensor da, db;
  if (x.has(0)) da = where(eq(b, zero), zero, x.t(0) * (b * pow(a, b - 1.0)));
  if (x.has(1)) {
    const Tensor slope = x.c * log(a);
    db = x.t(1) * where(eq(a, zero), where(ge(b, zero), zero, slope), slope);
  }
  return sum_of(da, db);
}
// Each operand that does not lose passes its tangent, halved on a tie (the gradient's rule).
Tensor extremum_jvp(const JvpContext& x, Tensor (*loses)(const Tensor&, const Tensor&)) {
  const Tensor &a = x.a(0), &b = x.a(1), zero = x.zero();
  const Tensor tie = eq(a, b);
  auto passed = [&](std::size_t i, const Tensor& mine, const Tensor& other) {
    if (!x.has(i)) return Tensor{};
    return where(loses(mine, other), zero, where(tie, x.t(i) * 0.5, x.t(i)));
  };
  return sum_of(passed(0, a, b), passed(1, b, a));
}
Tensor maximum_jvp(const JvpContext& x) {
  return extremum_jvp(x, &lt);
}
Tensor minimum_jvp(const JvpContext& x) {
  return extremum_jvp(x, &gt);
}

// REDUCE
Tensor sum_jvp(const JvpContext& x) {
  const Shape& keep = x.param<ReduceParams>().keep;
  return reshape(sum_kept(x.t(), reduced_axes(keep, x.a().shape())), x.c.shape());
}
// The tangent of the chosen elements, their mean at ties (Note [max of NaN] in ops_reduce.cpp).
Tensor reduce_extremum_jvp(const JvpContext& x) {
  const Tensor& a = x.a();
  const ReduceParams& p = x.param<ReduceParams>();
  const Tensor y = expand(reshape(x.c, p.keep), a.shape());
  const Tensor hit = p.whole ? where(ne(y, y), ne(a, a), eq(a, y)) : eq(a, y);
  const Tensor mask = cast(hit, a.dtype());
  const Axes axes = reduced_axes(p.keep, a.shape());
  const Tensor chosen = p.whole ? where(hit, x.t(), x.zero()) : mask * x.t();
  return reshape(sum_kept(chosen, axes) / sum_kept(mask, axes), x.c.shape());
}
Tensor max_jvp(const JvpContext& x) {
  return reduce_extremum_jvp(x);
}
Tensor min_jvp(const JvpContext& x) {
  return reduce_extremum_jvp(x);
}

// OTHER
Tensor where_jvp(const JvpContext& x) {
  return where(x.saved[0], x.t(0), x.t(1));  // the condition is saved, expanded to the shape
}
Tensor cast_jvp(const JvpContext& x) {
  return cast(x.t(), x.c.dtype());
}
Tensor matmul_jvp(const JvpContext& x) {
  return sum_of(x.has(0) ? matmul(x.t(0), x.a(1)) : Tensor{},
                x.has(1) ? matmul(x.a(0), x.t(1)) : Tensor{});
}
Tensor view_jvp(const JvpContext& x) {
  return reshape(x.t(), x.c.shape());  // the tangent's strides need not allow a view
}
Tensor permute_jvp(const JvpContext& x) {
  return permute(x.t(), x.param<PermuteParams>().order);
}
Tensor expand_jvp(const JvpContext& x) {
  return expand(x.t(), x.c.shape());
}
Tensor slice_jvp(const JvpContext& x) {
  const auto [axis, start, step] = x.param<SliceParams>();
  const std::int64_t length = x.c.shape()[static_cast<std::size_t>(axis)];
  return slice(x.t(), axis, start, length == 0 ? start : start + (length - 1) * step + 1, step);
}
Tensor contiguous_jvp(const JvpContext& x) {
  return contiguous(x.t());
}
Tensor index_select_jvp(const JvpContext& x) {
  return index_select(x.t(), x.param<AxisParams>().axis, x.saved[0]);
}
Tensor gather_jvp(const JvpContext& x) {
  return gather(x.t(), x.param<AxisParams>().axis, x.saved[0]);
}
Tensor scatter_add_jvp(const JvpContext& x) {
  if (!x.has(1)) return x.t(0);
  return scatter_add(x.t(0), x.param<AxisParams>().axis, x.saved[0], x.t(1));
}
Tensor concat_jvp(const JvpContext& x) {
  std::vector<Tensor> parts;
  parts.reserve(x.inputs.size());
  for (std::size_t i = 0; i < x.inputs.size(); ++i)
    parts.push_back(x.t(i));
  return concat(parts, x.param<AxisParams>().axis);
}
// softmax: dc = c (t - sum(c t)); log_softmax: dc = t - sum(e^c t), along the axis.
Tensor softmax_jvp(const JvpContext& x) {
  const std::int64_t axis = x.param<AxisParams>().axis;
  return x.c * (x.t() - sum(x.t() * x.c, {axis}, true));
}
Tensor log_softmax_jvp(const JvpContext& x) {
  const std::int64_t axis = x.param<AxisParams>().axis;
  return x.t() - sum(exp(x.c) * x.t(), {axis}, true);
}
// l_i = logsumexp(z_i) - z_i[target_i]: dl_i = sum_j softmax(z_i)_j t_ij - t_i[target_i], then
// the reduction's scale and sum.
Tensor cross_entropy_jvp(const JvpContext& x) {
  const Tensor& z = x.a();
  const Tensor& target = x.saved[0];
  const std::int64_t n = z.shape()[0];
  const Tensor per_sample =
      sum(softmax(z, 1) * x.t(), {1}) - reshape(gather(x.t(), 1, unsqueeze(target, 1)), {n});
  if (x.c.dim() != 0) return per_sample;
  return sum(per_sample) * x.param<ScaleParams>().scale;
}

// The windowed ops are linear in each input: unfold and fold of the tangent; conv2d's two terms
// through the primitive itself (with the recorded window parameters); max_pool2d's tangent read
// at the recorded indices.
Tensor unfold_jvp(const JvpContext& x) {
  const ConvParams& p = x.param<ConvParams>();
  return unfold(x.t(), {p.kernel[0], p.kernel[1]}, {p.dilation[0], p.dilation[1]},
                {p.padding[0], p.padding[1]}, {p.stride[0], p.stride[1]});
}
Tensor fold_jvp(const JvpContext& x) {
  const ConvParams& p = x.param<ConvParams>();
  return fold(x.t(), {p.image[0], p.image[1]}, {p.kernel[0], p.kernel[1]},
              {p.dilation[0], p.dilation[1]}, {p.padding[0], p.padding[1]},
              {p.stride[0], p.stride[1]});
}
Tensor conv2d_jvp(const JvpContext& x) {
  const ConvParams& p = x.param<ConvParams>();
  auto conv = [&](const Tensor& in, const Tensor& w) {
    return conv2d(in, w, {}, {p.stride[0], p.stride[1]}, {p.padding[0], p.padding[1]},
                  {p.dilation[0], p.dilation[1]}, p.groups);
  };
  Tensor tangent = sum_of(x.has(0) ? conv(x.t(0), x.a(1)) : Tensor{},
                          x.has(1) ? conv(x.a(0), x.t(1)) : Tensor{});
  if (x.inputs.size() == 3 && x.has(2)) {  // the bias, broadcast over N, H and W
    const Tensor bias = reshape(x.t(2), {1, x.c.size(1), 1, 1});
    tangent = tangent.defined() ? tangent + bias : expand(bias, x.c.shape());
  }
  return tangent;
}
Tensor max_pool2d_jvp(const JvpContext& x) {
  const Shape& s = x.a().shape();
  const Tensor index = reshape(x.saved[0], {s[0], s[1], -1});
  return reshape(gather(reshape(x.t(), {s[0], s[1], -1}), 2, index), x.c.shape());
}

}  // namespace detail

// ---- the hook ----------------------------------------------------------------------------------

void detail::record_tangent(TensorOp op, const Tensor& result,
                            std::span<const Tensor* const> inputs, const OpParams& params,
                            const std::vector<Tensor>& saved) {
  std::vector<Tensor> tangents(inputs.size());
  bool any = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (const Dual* d = find_dual(*inputs[i])) {
      tangents[i] = d->tangent;
      any = true;
    }
  }
  if (!any || !is_floating(result.dtype())) return;  // integers carry no tangent
  Tensor tangent;
  {
    const ForwardModePause pause;  // the rule's own ops carry no tangents
    const JvpContext context{inputs, tangents, result, params, saved};
    switch (op) {
#define KINDLING_X(name, ...)              \
  case TensorOp::name:                     \
    tangent = detail::name##_jvp(context); \
    break;
      KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X
      default:
        assert(false && "only primitives record");
        return;
    }
    rule_calls[static_cast<std::size_t>(op)].fetch_add(1, std::memory_order_relaxed);
    if (tangent.dtype() != result.dtype()) tangent = cast(tangent, result.dtype());
    KINDLING_CHECK(tangent.shape() == result.shape(), "forward mode: the jvp rule of ", op_name(op),
                   " gave a tangent of shape ", shape_string(tangent.shape()),
                   " for a result of shape ", shape_string(result.shape()));
  }
  current_level->duals.insert_or_assign(result.node(), Dual{result, std::move(tangent)});
}

// ---- the public face ---------------------------------------------------------------------------

namespace autograd::forward_ad {

dual_level::dual_level() {
  KINDLING_CHECK(!current_level,
                 "dual_level: a dual level is already active on this thread; nested levels are "
                 "not supported (as in PyTorch)");
  current_level = std::make_unique<Level>();
  detail::forward_mode_on = true;
}

dual_level::~dual_level() {
  detail::forward_mode_on = false;
  current_level.reset();
}

bool is_forward_ad_enabled() noexcept {
  return current_level != nullptr;
}

Tensor make_dual(const Tensor& primal, const Tensor& tangent) {
  KINDLING_CHECK(current_level, "make_dual: no dual_level is active on this thread");
  KINDLING_CHECK(primal.defined() && tangent.defined(),
                 "make_dual: the primal or the tangent is undefined");
  KINDLING_CHECK(is_floating(primal.dtype()), "make_dual: the primal must be floating-point, got ",
                 dtype_name(primal.dtype()), " of shape ", shape_string(primal.shape()));
  KINDLING_CHECK(tangent.shape() == primal.shape(), "make_dual: the tangent has shape ",
                 shape_string(tangent.shape()), " but the primal has shape ",
                 shape_string(primal.shape()));
  KINDLING_CHECK(tangent.dtype() == primal.dtype(), "make_dual: the tangent is ",
                 dtype_name(tangent.dtype()), " but the primal is ", dtype_name(primal.dtype()));
  KINDLING_CHECK(tangent.device() == primal.device(), "make_dual: the tangent is on ",
                 to_string(tangent.device()), " but the primal is on ", to_string(primal.device()));
  Tensor dual;
  {
    const detail::ForwardModePause pause;  // the primal's own tangent, if any, is replaced
    dual = view(primal, primal.shape());
    if (dual.node() == primal.node()) dual = primal.detach();  // a leaf view of the same data
  }
  current_level->duals.insert_or_assign(dual.node(), Dual{dual, tangent});
  return dual;
}

UnpackedDual unpack_dual(const Tensor& tensor) {
  KINDLING_CHECK(tensor.defined(), "unpack_dual: the tensor is undefined");
  const Dual* d = find_dual(tensor);
  return {tensor, d ? d->tangent : Tensor{}};
}

}  // namespace autograd::forward_ad

namespace testing {
std::uint64_t jvp_rule_calls(TensorOp op) noexcept {
  return rule_calls[static_cast<std::size_t>(op)].load(std::memory_order_relaxed);
}
}  // namespace testing

}  // namespace kindling
