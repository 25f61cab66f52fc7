// to_dot for tensor graphs: the generic writer over the root's node.
#include "kindling/explain/tensor_dot.hpp"

#include "kindling/engine/error.hpp"

namespace kindling {

std::string to_dot(const Tensor& root, const engine::DotOptions& options,
                   const engine::DotStyle<TensorNode>& style) {
  KINDLING_CHECK(root.defined(), "to_dot: the tensor is undefined (a default-constructed Tensor)");
  return engine::to_dot(root.node(), options, style);
}

}  // namespace kindling
