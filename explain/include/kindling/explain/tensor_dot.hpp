// to_dot for tensor graphs: the DOT writer (explain/dot.hpp) over TensorNode, whose dot_fields()
// (label, shape and dtype, grad shape) and dot_op() (the op table's label) say what each node
// shows. Styles that colour parameters and label broadcasts: explain/tensor_graph_style.hpp.
#pragma once

#include <string>

#include "kindling/explain/dot.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling {

/// The DOT graph of everything `root` depends on: a record per tensor, such as
/// `{ w | (2,2) float32 | grad (2,2) }` ("no grad" where none is held), and an ellipse for the op
/// that made it, much as torchviz's make_dot draws PyTorch's. Render it with Graphviz
/// (`dot -Tsvg`).
/// @param root a defined tensor, e.g. a loss.
/// @param options the layout (left to right by default) and the graph's name.
/// @param style hooks that colour, name and cluster the nodes; tensor_graph_style() colours
///   parameters, labels broadcasts and draws modules as clusters.
/// @code
/// kindling::Tensor w = kindling::tensor({1, 2, 3, 4}, {2, 2}).set_requires_grad();
/// kindling::Tensor loss = kindling::sum(kindling::relu(w) * 2.0);
/// kindling::engine::write_text_file("loss.dot", kindling::to_dot(loss));
/// @endcode
std::string to_dot(const Tensor& root, const engine::DotOptions& options = {},
                   const engine::DotStyle<TensorNode>& style = {});

}  // namespace kindling
