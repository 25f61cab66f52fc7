// Op table rows: movement and indexing ops, and one_hot. References are xtensor views and
// plain loops.
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include "op_table.hpp"
#include "reference.hpp"

namespace kindling::test {

namespace {

Array reshaped(const Array& x, Index shape) {
  Array y = x;
  y.reshape(shape);
  return y;
}

Index shape_of(const Array& x) {
  return Index(x.shape().begin(), x.shape().end());
}

}  // namespace

std::vector<Row> movement_rows() {
  std::vector<Row> rows;
  // view splits the last dimension, which any layout allows.
  rows.push_back({TensorOp::view,
                  {{{{{3, 4}}}}, {{{{2, 3, 6}}}}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    Shape s = x[0].shape();
                    const std::int64_t last = s.back();
                    s.back() = 2;
                    s.push_back(last / 2);
                    return view(x[0], s);
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    Index s = shape_of(x[0]);
                    const std::size_t last = s.back();
                    s.back() = 2;
                    s.push_back(last / 2);
                    return reshaped(x[0], s);
                  }});
  // reshape merges dimensions, which needs a copy for a transposed input.
  rows.push_back({TensorOp::reshape,
                  {{{{{3, 4}}}}, {{{{2, 3, 4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return reshape(x[0], {-1, 2});
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    return reshaped(x[0], {x[0].size() / 2, 2});
                  }});
  rows.push_back({TensorOp::flatten,
                  {{{{{2, 3, 4}}}}, {{{{3, 4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) { return flatten(x[0], 1); },
                  [](const std::vector<Array>& x, const Case&) {
                    return reshaped(x[0], {x[0].shape()[0], x[0].size() / x[0].shape()[0]});
                  }});
  rows.push_back({TensorOp::permute,
                  {{{{{2, 3, 4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return permute(x[0], {2, 0, 1});
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    return Array(xt::transpose(x[0], {2, 0, 1}));
                  }});
  rows.push_back({TensorOp::transpose,
                  {{{{{3, 4}}}}, {{{{2, 3, 4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) { return transpose(x[0], 0, -1); },
                  [](const std::vector<Array>& x, const Case&) {
                    std::vector<std::size_t> order(x[0].dimension());
                    for (std::size_t d = 0; d < order.size(); ++d)
                      order[d] = d;
                    std::swap(order.front(), order.back());
                    return Array(xt::transpose(x[0], order));
                  }});
  rows.push_back({TensorOp::expand,
                  {{{{{3, 1}}}}, {{{{4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return x[0].dim() == 1 ? expand(x[0], {2, 3, 4}) : expand(x[0], {3, 5});
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    return x[0].dimension() == 1 ? Array(xt::broadcast(x[0], {2, 3, 4}))
                                                 : Array(xt::broadcast(x[0], {3, 5}));
                  }});
  rows.push_back({TensorOp::squeeze,
                  {{{{{3, 1, 4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) { return squeeze(x[0], 1); },
                  [](const std::vector<Array>& x, const Case&) {
                    return reshaped(x[0], {x[0].shape()[0], x[0].shape()[2]});
                  }});
  rows.push_back({TensorOp::unsqueeze,
                  {{{{{3, 4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) { return unsqueeze(x[0], -1); },
                  [](const std::vector<Array>& x, const Case&) {
                    return reshaped(x[0], {3, 4, 1});
                  }});
  rows.push_back({TensorOp::slice,
                  {{{{{5, 6}}}}, {{{{7}}}}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return slice(x[0], -1, 1, -1, 2);  // x[..., 1:-1:2]
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    const std::size_t n = x[0].shape().back();
                    return x[0].dimension() == 1
                               ? Array(xt::view(x[0], xt::range(1, n - 1, 2)))
                               : Array(xt::view(x[0], xt::all(), xt::range(1, n - 1, 2)));
                  }});
  rows.push_back({TensorOp::contiguous,
                  {{{{{3, 4}}}}, {{{{2, 3, 4}}}}},
                  [](const std::vector<Tensor>& x, const Case&) { return contiguous(x[0]) * 1.0; },
                  [](const std::vector<Array>& x, const Case&) { return x[0]; }});
  rows.push_back(
      {TensorOp::index_select,
       {{{{{4, 3}}, {{6}, Domain::index, 4}}, {0}}, {{{{4, 3}}, {{5}, Domain::index, 3}}, {1}}},
       [](const std::vector<Tensor>& x, const Case& c) {
         return index_select(x[0], c.axes[0], x[1]);
       },
       [](const std::vector<Array>& x, const Case& c) {
         const std::size_t axis = static_cast<std::size_t>(c.axes[0]);
         Index s = shape_of(x[0]);
         s[axis] = x[1].size();
         Array out = Array::from_shape(s);
         for (std::size_t i = 0; i < out.size(); ++i) {
           Index idx = unravel(i, s);
           idx[axis] = static_cast<std::size_t>(x[1](idx[axis]));
           out.data()[i] = x[0].element(idx.begin(), idx.end());
         }
         return out;
       }});
  rows.push_back(
      {TensorOp::gather,
       {{{{{4, 3}}, {{4, 5}, Domain::index, 3}}, {1}},
        {{{{4, 3}}, {{2, 3}, Domain::index, 4}}, {0}}},
       [](const std::vector<Tensor>& x, const Case& c) { return gather(x[0], c.axes[0], x[1]); },
       [](const std::vector<Array>& x, const Case& c) {
         const std::size_t axis = static_cast<std::size_t>(c.axes[0]);
         const Index s = shape_of(x[1]);
         Array out = Array::from_shape(s);
         for (std::size_t i = 0; i < out.size(); ++i) {
           Index idx = unravel(i, s);
           idx[axis] = static_cast<std::size_t>(x[1].data()[i]);
           out.data()[i] = x[0].element(idx.begin(), idx.end());
         }
         return out;
       }});
  rows.push_back(
      {TensorOp::concat,
       {{{{{2, 3}}, {{4, 3}}}, {0}}, {{{{2, 3}}, {{2, 5}}}, {1}}},
       [](const std::vector<Tensor>& x, const Case& c) {
         return concat({x[0], x[1]}, c.axes[0]);
       },
       [](const std::vector<Array>& x, const Case& c) {
         return Array(xt::concatenate(xt::xtuple(x[0], x[1]), static_cast<std::size_t>(c.axes[0])));
       }});
  rows.push_back({TensorOp::stack,
                  {{{{{2, 3}}, {{2, 3}}}, {0}}, {{{{2, 3}}, {{2, 3}}}, {2}}},
                  [](const std::vector<Tensor>& x, const Case& c) {
                    return stack({x[0], x[1]}, c.axes[0]);
                  },
                  [](const std::vector<Array>& x, const Case& c) {
                    // Each operand with a size-1 axis inserted, then joined along it.
                    const std::size_t axis = static_cast<std::size_t>(c.axes[0]);
                    Index s = shape_of(x[0]);
                    s.insert(s.begin() + static_cast<std::ptrdiff_t>(axis), 1);
                    return Array(
                        xt::concatenate(xt::xtuple(reshaped(x[0], s), reshaped(x[1], s)), axis));
                  }});
  rows.push_back({TensorOp::one_hot,
                  {{{{{6}, Domain::index, 4}}}, {{{{2, 3}, Domain::index, 5}}}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return one_hot(x[0], x[0].dim() == 1 ? 4 : 5);
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    const std::size_t classes = x[0].dimension() == 1 ? 4 : 5;
                    Index s = shape_of(x[0]);
                    s.push_back(classes);
                    Array out = xt::zeros<double>(s);
                    for (std::size_t i = 0; i < x[0].size(); ++i)
                      out.data()[i * classes + static_cast<std::size_t>(x[0].data()[i])] = 1.0;
                    return out;
                  },
                  false});
  return rows;
}

}  // namespace kindling::test
