// to_dot for tensor graphs: the DOT writer (explain/dot.hpp) over TensorNode, whose dot_fields()
// (label, shape and dtype, grad shape) and dot_op() (the op table's label) say what each node
// shows. Styles that colour parameters and label broadcasts: explain/tensor_graph_style.hpp.
#pragma once

#include <string>

#include "kindling/explain/dot.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling {

std::string to_dot(const Tensor& root, const engine::DotOptions& options = {},
                   const engine::DotStyle<TensorNode>& style = {});

}  // namespace kindling
