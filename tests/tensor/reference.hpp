// Plain-loop references for the tests (reductions over axis sets, softmax, matmul with
// broadcast batches, index ops): written from the definitions, independent of kindling's code.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>
#include <xtensor/xarray.hpp>

namespace kindling::test {

using Array = xt::xarray<double>;
using Index = std::vector<std::size_t>;

// Row-major multi-index of flat position i in `shape`.
inline Index unravel(std::size_t i, const Index& shape) {
  Index idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] == 0 ? 0 : i % shape[d];
    i = shape[d] == 0 ? 0 : i / shape[d];
  }
  return idx;
}

inline std::vector<std::size_t> normalize_axes(const std::vector<std::int64_t>& axes,
                                               std::size_t ndim) {
  std::vector<std::size_t> out;
  if (axes.empty())
    for (std::size_t d = 0; d < ndim; ++d)
      out.push_back(d);
  for (auto a : axes)
    out.push_back(static_cast<std::size_t>(a < 0 ? a + static_cast<std::int64_t>(ndim) : a));
  std::sort(out.begin(), out.end());
  return out;
}

// Applies f to the list of elements of each reduced slice.
inline Array reduce_ref(const Array& x, const std::vector<std::int64_t>& axes_in, bool keepdim,
                        const std::function<double(const std::vector<double>&)>& f) {
  const Index shape(x.shape().begin(), x.shape().end());
  const auto axes = normalize_axes(axes_in, shape.size());
  Index keep = shape, result;
  for (auto a : axes)
    keep[a] = 1;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (keep[d] == shape[d] && std::find(axes.begin(), axes.end(), d) == axes.end())
      result.push_back(shape[d]);
    else if (keepdim)
      result.push_back(1);
  std::size_t out_count = 1;
  for (auto k : keep)
    out_count *= k;
  std::vector<std::vector<double>> groups(out_count);
  for (std::size_t i = 0; i < x.size(); ++i) {
    Index idx = unravel(i, shape);
    std::size_t o = 0;
    for (std::size_t d = 0; d < shape.size(); ++d)
      o = o * keep[d] + (keep[d] == 1 ? 0 : idx[d]);
    groups[o].push_back(x.data()[i]);
  }
  Array out = Array::from_shape(result);
  for (std::size_t o = 0; o < out_count; ++o)
    out.data()[o] = f(groups[o]);
  return out;
}

inline double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v)
    s += x;
  return s;
}

}  // namespace kindling::test
