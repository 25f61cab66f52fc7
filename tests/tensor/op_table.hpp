// The op table the tensor tests are generated from (Note [tensor op table] in op_list.hpp): one
// row per op with its input cases, the kindling call and an independent reference (xtensor
// expressions or plain loops, always evaluated to xt::xarray<double>).
#pragma once

#include <functional>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>

#include "kindling/explain/tensor_gradcheck.hpp"
#include "kindling/tensor.hpp"

namespace kindling::test {

using Array = xt::xarray<double>;

// How an input's values are drawn.
enum class Domain { normal, positive, index, mask };

struct Input {
  Shape shape;
  Domain domain = Domain::normal;
  std::int64_t high = 0;  // indices are drawn from [0, high)
};

// One call of an op: its inputs and the non-tensor arguments the row's functions read.
struct Case {
  std::vector<Input> inputs;
  Axes axes = {};
  bool keepdim = false;
  std::string note = {};
};

struct Row {
  TensorOp op;
  std::vector<Case> cases;
  std::function<Tensor(const std::vector<Tensor>&, const Case&)> fn;
  std::function<Array(const std::vector<Array>&, const Case&)> reference;
  bool differentiable = true;
  double float64_tolerance = 1e-12;  // forward, absolute (and 10x that relative)
  GradcheckOptions gradcheck = {};
};

std::vector<Row> elementwise_rows();
std::vector<Row> reduction_rows();
std::vector<Row> movement_rows();
std::vector<Row> surface_rows();  // issue 13: op_rows_surface.cpp
std::vector<Row> conv_rows();     // issue 17: op_rows_conv.cpp
// All of the above, in that order (op_table_support.cpp).
std::vector<Row> all_rows();

// Values for an input from its domain: normal, uniform in [0.5, 2] (positive), indices in
// [0, high), or 0/1 (mask).
Array draw(const Input& input, Generator& gen);
enum class Layout { contiguous, transposed };
// A tensor holding `values` (int64 for an index input), contiguous or as a non-contiguous view of a
// larger or permuted buffer (transposed storage for matrices, every other element for vectors).
Tensor make_input(const Array& values, const Input& input, DType dtype, Layout layout);

}  // namespace kindling::test
