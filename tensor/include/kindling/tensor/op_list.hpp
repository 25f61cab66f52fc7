// The tensor op table: the single list every tensor op is on (Note [tensor op table]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kindling {

// Note [tensor op table]
// Three lists, one enum. PRIMITIVES are graph nodes: each has a forward and a backward written
// side by side in tensor/src/ops_*.cpp, and the backward dispatch is generated from this list (a
// primitive without `name_backward` does not link). COMPOSITES are public functions built from
// primitives (var, logsumexp, ...), so their gradients come for free. NOGRAD ops return tensors
// that never require grad (comparisons, argmax, one_hot). The test table in tests/tensor/ has a
// row per entry of all three lists, and a count check fails when an entry has none.
#define KINDLING_TENSOR_PRIMITIVES(X) \
  X(neg)                              \
  X(exp)                              \
  X(log)                              \
  X(sqrt)                             \
  X(abs)                              \
  X(tanh)                             \
  X(sigmoid)                          \
  X(relu)                             \
  X(gelu)                             \
  X(add)                              \
  X(sub)                              \
  X(mul)                              \
  X(div)                              \
  X(pow)                              \
  X(maximum)                          \
  X(minimum)                          \
  X(where)                            \
  X(cast)                             \
  X(sum)                              \
  X(max)                              \
  X(min)                              \
  X(matmul)                           \
  X(view)                             \
  X(permute)                          \
  X(expand)                           \
  X(slice)                            \
  X(contiguous)                       \
  X(index_select)                     \
  X(gather)                           \
  X(concat)                           \
  X(softmax)                          \
  X(log_softmax)                      \
  X(cross_entropy)

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
  X(masked_fill)

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
  X(all)

#define KINDLING_TENSOR_ALL_OPS(X) \
  KINDLING_TENSOR_PRIMITIVES(X) KINDLING_TENSOR_COMPOSITES(X) KINDLING_TENSOR_NOGRAD(X)

// `leaf` marks a tensor that no op produced (or one made under no_grad).
enum class TensorOp : std::uint8_t {
  leaf,
#define KINDLING_X(name) name,
  KINDLING_TENSOR_ALL_OPS(KINDLING_X)
#undef KINDLING_X
};

inline constexpr std::size_t kTensorOpCount = 1
#define KINDLING_X(name) +1
    KINDLING_TENSOR_ALL_OPS(KINDLING_X)
#undef KINDLING_X
    ;

enum class OpKind : std::uint8_t { leaf, primitive, composite, nograd };

std::string_view op_name(TensorOp op) noexcept;  // "matmul"
OpKind op_kind(TensorOp op) noexcept;

}  // namespace kindling
