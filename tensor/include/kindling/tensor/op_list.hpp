// The tensor op table: one row per op, the single list every tensor op is on (Note [tensor op
// table]). The rows generate the op enum, names, DOT labels, arities, dtype rules and the
// stepper's formula text (op_table.cpp), the kernel ids (kernels.hpp), the declarations and
// method forms (ops.hpp, tensor.hpp), the forwards of the elementwise primitives and the backward
// of the pointwise ones (ops_unary.cpp), the CPU and CUDA elementwise switches and the Python
// bindings. Each elementwise primitive's scalar formula is in kindling/tensor/formulas.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kindling {

// Note [tensor op table]
// Families of rows, one X-macro each; a family fixes the signature, so the declarations, methods
// and bindings are generated without preprocessor conditionals.
//
// PRIMITIVES are graph nodes: each has a forward and a backward, and the backward dispatch is
// generated from them (a primitive without `detail::name_backward` does not link).
//   UNARY   X(name, dtypes, backward, label, formula): y = name(x), elementwise; the UnaryKernel of
//           the same name computes it, with the scalar formula `formula::name` (formulas.hpp).
//           dtypes:   floating (float32, float64) | numeric (int64 too); bool is always rejected.
//           backward: custom    = `detail::name_backward` written by hand in ops_unary.cpp, from
//                                 tensor ops (the ops that had one before the table keep theirs:
//                                 same bits, same launches);
//                     pointwise = dx = `formula::name::backward(g, a)`, one BinaryKernel
//                                 `name_backward` generated from the row (Note [fused backward
//                                 kernels]).
//   BINARY  X(name, label, (formula for a, formula for b)): elementwise, broadcasting, the
//           BinaryKernel of the same name; the forwards (type promotion) are in ops_binary.cpp.
//   REDUCE  X(name, label, formula): (x, axes = {}, keepdim = false), the ReduceKernel of the same
//           name.
//   OTHER   X(name, arity, label, (formula per input)): declared and written by hand (ops.hpp,
//           ops_*.cpp); arity 0 is any number of inputs.
// COMPOSITES are public functions built from primitives (var, logsumexp, ...), so their gradients
// come for free. NOGRAD ops return tensors that never require grad (comparisons, argmax, one_hot).
//
// `formula` is what the stepper prints for the gradient reaching input i, in the names a, b
// (inputs), c (the result) and g (the gradient arriving at c); one text serves every input, a
// parenthesised list gives one per input. Consumers take the columns they use and `...` for the
// rest. Each primitive's jvp rule (forward_mode.cpp) is generated from its name, as its backward.
//
// Every row has a test row: the CPU table in tests/tensor/ (a count check fails when an op has
// none), the GPU comparison in tests/gpu/test_gpu_ops.cpp (the same), and every generated Python
// function a PyTorch reference in tests/python/test_special_values.py (the same).
//
// Adding an elementwise primitive: a row here, a `struct name` in formulas.hpp, and (only when a
// device's math function is wrong at the edges) an override in its math policy.

// ---- UNARY ----
// neg: -x (int64 wraps around). exp, log: exact at subnormals. abs: gradient sign(x), 0 at 0 and
// at NaN. relu: relu(NaN) = NaN, relu(-0) = -0, gradient 0 at 0, as in PyTorch. gelu: exact, x *
// Phi(x), as torch's default. silu: x * sigmoid(x) = x / (1 + e^-x), as torch.nn.functional.silu
// (silu(-inf) is NaN, as torch's). sin, cos: exact for huge arguments (sin(1e300) is std::sin's).
// log1p, expm1: exact near 0 and at subnormals. erf: +-1 beyond +-6, NaN at NaN. sign: 0 at 0 and
// at NaN (PyTorch 1.13). floor, round: round is half to even (round(2.5) = 2, round(-0.5) = -0),
// as torch.round; both keep int64 as it is. sign, floor and round have gradient 0 everywhere.
// reciprocal: 1 / x (1/0 = inf, 1/-0 = -inf). rsqrt: 1 / sqrt(x) (rsqrt(-0) = -inf, as torch's).
// tan, log2, log10: C's on the CPU (lane by lane), CUDA's on the device; log2(8) is exactly 3,
// which log(x) / ln 2 is not.
#define KINDLING_TENSOR_UNARY(X)                                                      \
  X(neg, numeric, custom, "neg", ("-g"))                                              \
  X(exp, floating, custom, "exp", ("g * c"))                                          \
  X(log, floating, custom, "log", ("g / a"))                                          \
  X(sqrt, floating, custom, "sqrt", ("g / (2 * c)"))                                  \
  X(abs, numeric, custom, "abs", ("g * sign(a)"))                                     \
  X(tanh, floating, custom, "tanh", ("g * (1 - c^2)"))                                \
  X(sigmoid, floating, custom, "sigmoid", ("g * c * (1 - c)"))                        \
  X(relu, numeric, custom, "relu", ("g * (a > 0)"))                                   \
  X(gelu, floating, custom, "gelu", ("g * gelu'(a)"))                                 \
  X(silu, floating, pointwise, "silu", ("g * s * (1 + a * (1 - s)), s = sigmoid(a)")) \
  X(sin, floating, pointwise, "sin", ("g * cos(a)"))                                  \
  X(cos, floating, pointwise, "cos", ("g * -sin(a)"))                                 \
  X(log1p, floating, pointwise, "log1p", ("g / (a + 1)"))                             \
  X(expm1, floating, pointwise, "expm1", ("g * (c + 1)"))                             \
  X(erf, floating, pointwise, "erf", ("g * 2 / sqrt(pi) * e^(-a^2)"))                 \
  X(sign, numeric, pointwise, "sign", ("0"))                                          \
  X(floor, numeric, pointwise, "floor", ("0"))                                        \
  X(round, numeric, pointwise, "round", ("0"))                                        \
  X(reciprocal, floating, pointwise, "reciprocal", ("-g * c^2"))                      \
  X(rsqrt, floating, pointwise, "rsqrt", ("-g * c^3 / 2"))                            \
  X(tan, floating, pointwise, "tan", ("g * (1 + c^2)"))                               \
  X(log2, floating, pointwise, "log2", ("g / (a * ln 2)"))                            \
  X(log10, floating, pointwise, "log10", ("g / (a * ln 10)"))

// ---- UNARY_PARAM: unary rows with double parameters ----
// X(name, label, formula, params): y = name(x; params), floating only. params is
// P1(name, default) or P2(name0, default0, name1, default1): they become the C++ and Python
// arguments (with their defaults, torch's names), reach the kernel as UnaryArgs{p0, p1} and the
// formula as `formula::name::forward(a, args)`, and the node records them. The backward is
// dx = g * name_grad(a; args): the UnaryKernel `name_grad` computes
// `formula::name::derivative(a, args)` (the binary kernels take no parameters).
// leaky_relu: a > 0 ? a : a * negative_slope (NaN stays NaN; gradient negative_slope at 0).
// elu: a > 0 ? a : alpha * expm1(a) (exact near 0, where torch 1.13's exp(a) - 1 is not;
// elu(-0) = -0; elu(-inf) = -alpha; gradient alpha * e^a at a <= 0, NaN at NaN).
// softplus: a * beta > threshold ? a : log1p(e^(a * beta)) / beta (a itself from the threshold
// on, exclusive, as torch; gradient 1 there, else sigmoid(a * beta)).
#define KINDLING_TENSOR_UNARY_PARAM(X)                                                        \
  X(leaky_relu, "leaky_relu", ("g * (a > 0 ? 1 : negative_slope)"), P1(negative_slope, 0.01)) \
  X(elu, "elu", ("g * (a > 0 ? 1 : alpha * e^a)"), P1(alpha, 1.0))                            \
  X(softplus, "softplus", ("g * (a * beta > threshold ? 1 : sigmoid(a * beta))"),             \
    P2(beta, 1.0, threshold, 20.0))

/// The parameters of a UNARY_PARAM row, as its kernel and formula see them (P1 rows: p0 only).
/// For leaky_relu p0 is negative_slope; elu: p0 = alpha; softplus: p0 = beta, p1 = threshold.
struct UnaryArgs {
  double p0 = 0.0;  ///< The row's first parameter.
  double p1 = 0.0;  ///< The row's second parameter (P2 rows only; 0 otherwise).
};

// Expansions of a row's params column (P1(...) or P2(...)), pasted onto the prefix:
//   KINDLING_PARAMS_DECL(ps)    , double negative_slope = 0.01     (declarations)
//   KINDLING_PARAMS_DEF(ps)     , double negative_slope            (definitions)
//   KINDLING_PARAMS_NAMES(ps)   , negative_slope                   (forwarding calls)
//   KINDLING_PARAMS_ARGS(ps)    UnaryArgs{negative_slope, 0.0}
//   KINDLING_PARAMS_PYARGS(ps)  , py::arg("negative_slope") = 0.01 (pybind11)
//   KINDLING_PARAMS_METHOD_DECL(ps), KINDLING_PARAMS_METHOD_DEF(ps): the first two without the
//                               leading comma (method forms, where the parameters come first)
#define KINDLING_PARAMS_DECL(ps) KINDLING_PARAMS_DECL_##ps
#define KINDLING_PARAMS_DEF(ps) KINDLING_PARAMS_DEF_##ps
#define KINDLING_PARAMS_NAMES(ps) KINDLING_PARAMS_NAMES_##ps
#define KINDLING_PARAMS_ARGS(ps) KINDLING_PARAMS_ARGS_##ps
#define KINDLING_PARAMS_PYARGS(ps) KINDLING_PARAMS_PYARGS_##ps
#define KINDLING_PARAMS_METHOD_DECL(ps) KINDLING_PARAMS_METHOD_DECL_##ps
#define KINDLING_PARAMS_METHOD_DEF(ps) KINDLING_PARAMS_METHOD_DEF_##ps
#define KINDLING_PARAMS_METHOD_DECL_P1(a, da) double a = da
#define KINDLING_PARAMS_METHOD_DECL_P2(a, da, b, db) double a = da, double b = db
#define KINDLING_PARAMS_METHOD_DEF_P1(a, da) double a
#define KINDLING_PARAMS_METHOD_DEF_P2(a, da, b, db) double a, double b
#define KINDLING_PARAMS_DECL_P1(a, da) , double a = da
#define KINDLING_PARAMS_DECL_P2(a, da, b, db) , double a = da, double b = db
#define KINDLING_PARAMS_DEF_P1(a, da) , double a
#define KINDLING_PARAMS_DEF_P2(a, da, b, db) , double a, double b
#define KINDLING_PARAMS_NAMES_P1(a, da) , a
#define KINDLING_PARAMS_NAMES_P2(a, da, b, db) , a, b
#define KINDLING_PARAMS_ARGS_P1(a, da) \
  ::kindling::UnaryArgs {              \
    a, 0.0                             \
  }
#define KINDLING_PARAMS_ARGS_P2(a, da, b, db) \
  ::kindling::UnaryArgs {                     \
    a, b                                      \
  }
#define KINDLING_PARAMS_PYARGS_P1(a, da) , py::arg(#a) = da
#define KINDLING_PARAMS_PYARGS_P2(a, da, b, db) , py::arg(#a) = da, py::arg(#b) = db

// ---- BINARY ----
#define KINDLING_TENSOR_BINARY(X)                                                       \
  X(add, "+", ("g", "g"))                                                               \
  X(sub, "-", ("g", "-g"))                                                              \
  X(mul, "*", ("g * b", "g * a"))                                                       \
  X(div, "/", ("g / b", "-g * a / b^2"))                                                \
  X(pow, "^", ("g * b * a^(b-1)", "g * c * log(a)"))                                    \
  X(maximum, "maximum", ("g * (a > b) (+ g/2 at ties)", "g * (b > a) (+ g/2 at ties)")) \
  X(minimum, "minimum", ("g * (a < b) (+ g/2 at ties)", "g * (b < a) (+ g/2 at ties)"))

// ---- REDUCE ----
#define KINDLING_TENSOR_REDUCE(X)                             \
  X(sum, "sum", ("expand(g) to a's shape"))                   \
  X(max, "max", ("g at the chosen elements (split at ties)")) \
  X(min, "min", ("g at the chosen elements (split at ties)"))

// ---- OTHER ----
// unfold, fold, conv2d and max_pool2d are the windowed primitives of a CNN (Note [convolution] in
// ops_conv.cpp): unfold (im2col) and fold (its adjoint) are each other's backward; conv2d (x, w
// and, when given, the bias: 2 or 3 inputs) has fold of a product and a product with the saved
// columns as its backward (and g summed for the bias); max_pool2d's scatters g
// back to the recorded indices. avg_pool2d, adaptive_avg_pool2d, batch_norm and pad are
// composites of them and the other primitives.
#define KINDLING_TENSOR_OTHER(X)                                                                   \
  X(where, 2, "where", ("g where a was chosen, 0 elsewhere", "g where b was chosen, 0 elsewhere")) \
  X(cast, 1, "cast", ("cast(g)"))                                                                  \
  X(matmul, 2, "matmul", ("g @ b^T", "a^T @ g"))                                                   \
  X(view, 1, "view", ("view(g) as a's shape"))                                                     \
  X(permute, 1, "permute", ("permute(g) by the inverse order"))                                    \
  X(expand, 1, "expand", ("sum(g) over the expanded axes"))                                        \
  X(slice, 1, "slice", ("g placed into zeros of a's shape"))                                       \
  X(contiguous, 1, "contiguous", ("g"))                                                            \
  X(index_select, 1, "index_select", ("g added back at the selected rows"))                        \
  X(gather, 1, "gather", ("g scattered back (added) at the gathered places"))                      \
  X(scatter_add, 2, "scatter_add", ("g", "gather(g) at the index"))                                \
  X(concat, 0, "concat", ("the slice of g that came from this input"))                             \
  X(softmax, 1, "softmax", ("c * (g - sum(g * c)) along the axis"))                                \
  X(log_softmax, 1, "log_softmax", ("g - exp(c) * sum(g) along the axis"))                         \
  X(cross_entropy, 1, "cross_entropy",                                                             \
    ("g * (softmax(a) - one_hot(target)), over N for the mean"))                                   \
  X(unfold, 1, "unfold", ("fold(g): each column added back at its window"))                        \
  X(fold, 1, "fold", ("unfold(g): each window read back into its column"))                         \
  X(conv2d, 0, "conv2d",                                                                           \
    ("fold(w^T @ g)", "sum over N of g @ unfold(a)^T", "sum of g over N, H, W"))                   \
  X(max_pool2d, 1, "max_pool2d", ("g scattered (added) back at each window's max"))

// KINDLING_IF_POINTWISE_##backward(text...) in a UNARY consumer: the text for pointwise rows,
// nothing for custom ones.
#define KINDLING_IF_POINTWISE_custom(...)
#define KINDLING_IF_POINTWISE_pointwise(...) __VA_ARGS__

// All primitives. A consumer that needs only the name takes `(name, ...)`: the composites and
// nograd rows are X(name) alone, so that form serves KINDLING_TENSOR_ALL_OPS too.
#define KINDLING_TENSOR_PRIMITIVES(X) \
  KINDLING_TENSOR_UNARY(X)            \
  KINDLING_TENSOR_UNARY_PARAM(X)      \
  KINDLING_TENSOR_BINARY(X) KINDLING_TENSOR_REDUCE(X) KINDLING_TENSOR_OTHER(X)

#define KINDLING_TENSOR_COMPOSITES(X) \
  X(clamp)                            \
  X(mean)                             \
  X(var)                              \
  X(stddev)                           \
  X(logsumexp)                        \
  X(reshape)                          \
  X(flatten)                          \
  X(transpose)                        \
  X(squeeze)                          \
  X(unsqueeze)                        \
  X(stack)                            \
  X(masked_fill)                      \
  X(square)                           \
  X(amax)                             \
  X(amin)                             \
  X(prod)                             \
  X(cumsum)                           \
  X(norm)                             \
  X(sort)                             \
  X(topk)                             \
  X(repeat)                           \
  X(tile)                             \
  X(flip)                             \
  X(chunk)                            \
  X(split)                            \
  X(unbind)                           \
  X(tril)                             \
  X(triu)                             \
  X(diag)                             \
  X(einsum)                           \
  X(avg_pool2d)                       \
  X(adaptive_avg_pool2d)              \
  X(batch_norm)                       \
  X(pad)

#define KINDLING_TENSOR_NOGRAD(X) \
  X(eq)                           \
  X(ne)                           \
  X(lt)                           \
  X(le)                           \
  X(gt)                           \
  X(ge)                           \
  X(argmax)                       \
  X(argmin)                       \
  X(one_hot)                      \
  X(logical_not)                  \
  X(logical_and)                  \
  X(logical_or)                   \
  X(logical_xor)                  \
  X(any)                          \
  X(all)                          \
  X(isnan)                        \
  X(isinf)

#define KINDLING_TENSOR_ALL_OPS(X) \
  KINDLING_TENSOR_PRIMITIVES(X) KINDLING_TENSOR_COMPOSITES(X) KINDLING_TENSOR_NOGRAD(X)

/// Which op made a tensor (Tensor::op()): `leaf`, then one value per row of
/// KINDLING_TENSOR_ALL_OPS, named as the row (TensorOp::matmul, TensorOp::softmax, ...).
/// Composites and nograd rows have values too, for their names and the test tables, though no
/// graph node carries them.
enum class TensorOp : std::uint8_t {
  leaf,  ///< A tensor that no op produced (or one made under no_grad).

#define KINDLING_X(name, ...) name,
  KINDLING_TENSOR_ALL_OPS(KINDLING_X)
#undef KINDLING_X
};

/// How many values TensorOp has: `leaf` and one per row of KINDLING_TENSOR_ALL_OPS.
inline constexpr std::size_t kTensorOpCount = 1
/// @cond KINDLING_OP_ROWS
// Hidden from Doxygen, which ignores this redefinition of KINDLING_X and would read the rows
// as variables.
#define KINDLING_X(name, ...) +1
    KINDLING_TENSOR_ALL_OPS(KINDLING_X)
#undef KINDLING_X
    /// @endcond
    ;

/// The dtype rule of an elementwise row (its `dtypes` column).
enum class DTypeRule : std::uint8_t {
  floating,  ///< float32 and float64; an int64 or bool input is computed in float32, as torch's
             ///< (the unary rows but gelu and silu, which refuse it, as torch's).
  numeric    ///< int64 too; bool is always rejected.
};

/// The op's name, as the C++ function is spelled: "matmul", "leaf".
std::string_view op_name(TensorOp op) noexcept;
/// The op's label in DOT graphs: the row's label column ("+" for add, "matmul"), a composite's
/// or nograd op's name, "" for leaf.
std::string_view op_label(TensorOp op) noexcept;
/// Number of inputs of a primitive's graph node; 0 for any number (concat, conv2d) and for ops
/// that are not graph nodes (composites, nograd ops, leaf).
std::size_t op_arity(TensorOp op) noexcept;
/// The stepper's text for the gradient a primitive gives input `i` (Note [tensor op table]):
/// "g * c" for exp; empty for ops that are never graph nodes.
std::string_view op_backward_formula(TensorOp op, std::size_t i) noexcept;

}  // namespace kindling
