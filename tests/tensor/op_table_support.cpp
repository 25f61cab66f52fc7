// The op table's shared test support (op_table.hpp): every row, and the inputs drawn from a
// case's domains, for the tests generated from the table (test_op_table.cpp, test_forward_mode.cpp,
// test_double_backward.cpp).
#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>

#include "op_table.hpp"
#include "reference.hpp"

namespace kindling::test {

std::vector<Row> all_rows() {
  std::vector<Row> rows = elementwise_rows();
  for (auto* more : {&reduction_rows, &movement_rows, &surface_rows, &conv_rows}) {
    std::vector<Row> extra = more();
    rows.insert(rows.end(), extra.begin(), extra.end());
  }
  return rows;
}

Array draw(const Input& input, Generator& gen) {
  Array values = Array::from_shape(Index(input.shape.begin(), input.shape.end()));
  for (double& v : values) {
    switch (input.domain) {
      case Domain::normal:
        v = gen.normal();
        break;
      case Domain::positive:
        v = gen.uniform(0.5, 2.0);
        break;
      case Domain::index:
        v = static_cast<double>(gen.below(static_cast<std::uint64_t>(input.high)));
        break;
      case Domain::mask:
        v = static_cast<double>(gen.below(2));
        break;
    }
  }
  return values;
}

// A tensor holding `values`, contiguous or as a non-contiguous view of a larger or permuted
// buffer (transposed storage for matrices, every other element for vectors).
Tensor make_input(const Array& values, const Input& input, DType dtype, Layout layout) {
  if (input.domain == Domain::index) {
    return from_vector(std::vector<std::int64_t>(values.begin(), values.end()), input.shape);
  }
  const std::size_t nd = values.dimension();
  if (layout == Layout::contiguous || nd == 0) {
    return from_vector(std::vector<double>(values.begin(), values.end()), input.shape, dtype);
  }
  if (nd == 1) {
    std::vector<double> spread(values.size() * 2, -99.0);
    for (std::size_t i = 0; i < values.size(); ++i)
      spread[2 * i] = values(i);
    return from_vector(spread, {static_cast<std::int64_t>(spread.size())}, dtype)
        .slice(0, 0, -1, 2)
        .detach();
  }
  std::vector<std::size_t> order(nd);
  for (std::size_t d = 0; d < nd; ++d)
    order[d] = d;
  std::swap(order[nd - 1], order[nd - 2]);
  const Array swapped = xt::transpose(values, order);
  const Shape swapped_shape(swapped.shape().begin(), swapped.shape().end());
  return from_vector(std::vector<double>(swapped.begin(), swapped.end()), swapped_shape, dtype)
      .transpose(-2, -1)
      .detach();
}

}  // namespace kindling::test
