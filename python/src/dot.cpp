// The DOT text of tensor graphs for kindling.to_dot (python/kindling/_dot.py): the plain layout or
// tensor_graph_style's (parameters and inputs coloured, broadcast edges labelled, modules drawn as
// clusters), with the names of the tensors the caller lists (a model's named_parameters()).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/explain/tensor_dot.hpp"
#include "kindling/explain/tensor_graph_style.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::python {

namespace {

std::string tensor_to_dot(const Tensor& root, const std::string& rankdir, const std::string& style,
                          std::vector<std::pair<std::string, Tensor>> names,
                          std::vector<std::string> collapsed) {
  KINDLING_CHECK(rankdir == "LR" || rankdir == "TB", "to_dot: rankdir must be 'LR' or 'TB', got '",
                 rankdir, "'");
  KINDLING_CHECK(
      style == "tensor" || style == "plain",
      "to_dot: style must be 'tensor' (colours, broadcasts, module clusters) or 'plain', "
      "got '",
      style, "'");
  KINDLING_CHECK(style == "tensor" || (names.empty() && collapsed.empty()),
                 "to_dot: params and collapsed need style='tensor'");
  engine::DotOptions options;
  options.rankdir = rankdir == "LR" ? engine::RankDir::LR : engine::RankDir::TB;
  if (style == "plain") return to_dot(root, options);
  return to_dot(root, options,
                tensor_graph_style({.names = std::move(names), .collapsed = std::move(collapsed)}));
}

}  // namespace

void bind_dot(py::module_& m) {
  m.def("_tensor_to_dot_styled", &tensor_to_dot, py::arg("root"), py::arg("rankdir") = "LR",
        py::arg("style") = "tensor",
        py::arg("names") = std::vector<std::pair<std::string, Tensor>>{},
        py::arg("collapsed") = std::vector<std::string>{});
}

}  // namespace kindling::python
