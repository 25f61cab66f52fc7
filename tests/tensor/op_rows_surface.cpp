// Op table rows for the PyTorch surface of issue 13 (tan, log2, log10, square, isnan, isinf, amax,
// amin, prod, cumsum, norm, scatter_add, sort, topk, repeat, tile, flip, chunk, split, unbind,
// tril, triu, diag, einsum). References are plain loops over the definitions, in double.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "op_table.hpp"
#include "reference.hpp"

namespace kindling::test {

namespace {

using Tensors = const std::vector<Tensor>&;
using Arrays = const std::vector<Array>&;

Index shape_of(const Array& a) {
  return Index(a.shape().begin(), a.shape().end());
}

double product_of(const std::vector<double>& v) {
  double p = 1;
  for (double x : v)
    p *= x;
  return p;
}

std::vector<Case> reduce_cases() {
  return {{{{{3, 4}}}, {}, false, "all"}, {{{{3, 4}}}, {0}, false},    {{{{3, 4}}}, {1}, true},
          {{{{2, 3, 5}}}, {0, 2}, false}, {{{{2, 3, 5}}}, {-1}, true}, {{{{2, 3, 5}}}, {1}, false}};
}

// Along the last axis of a 2-D array: each row through f (a row of n values to a row of m).
Array per_row(const Array& x, std::size_t m,
              const std::function<std::vector<double>(const std::vector<double>&)>& f) {
  const std::size_t rows = x.shape()[0], n = x.shape()[1];
  Array out = Array::from_shape({rows, m});
  for (std::size_t r = 0; r < rows; ++r) {
    std::vector<double> row(x.data() + r * n, x.data() + (r + 1) * n);
    const std::vector<double> got = f(row);
    std::copy(got.begin(), got.end(), out.data() + r * m);
  }
  return out;
}

// Elementwise on an array.
Array map(const Array& x, double (*f)(double)) {
  Array y = x;
  for (double& v : y)
    v = f(v);
  return y;
}

// out[i, j] = x[(i % rows), (j % cols)] for a 2-D x tiled to (rows * r0, cols * r1).
Array tiled(const Array& x, std::size_t r0, std::size_t r1) {
  const std::size_t rows = x.shape()[0], cols = x.shape()[1];
  Array out = Array::from_shape({rows * r0, cols * r1});
  for (std::size_t i = 0; i < rows * r0; ++i)
    for (std::size_t j = 0; j < cols * r1; ++j)
      out(i, j) = x(i % rows, j % cols);
  return out;
}

}  // namespace

std::vector<Row> surface_rows() {
  std::vector<Row> rows;
  auto unary_cases = [](Domain d) {
    return std::vector<Case>{{{{{3, 4}, d}}}, {{{{2, 3, 5}, d}}}, {{{{}, d}}}, {{{{7}, d}}}};
  };
  auto unary = [&](TensorOp op, Tensor (*fn)(const Tensor&), double (*ref)(double), Domain d) {
    rows.push_back({op, unary_cases(d), [fn](Tensors x, const Case&) { return fn(x[0]); },
                    [ref](Arrays x, const Case&) { return map(x[0], ref); }});
  };
  unary(
      TensorOp::tan, &tan, [](double v) { return std::tan(v); }, Domain::normal);
  unary(
      TensorOp::log2, &log2, [](double v) { return std::log2(v); }, Domain::positive);
  unary(
      TensorOp::log10, &log10, [](double v) { return std::log10(v); }, Domain::positive);
  unary(
      TensorOp::square, &square, [](double v) { return v * v; }, Domain::normal);
  // isnan / isinf of inputs made from the draws: x / (x > 0.3 ? 0 : 1) puts +inf (and for
  // isnan, 0 / 0) at known places.
  rows.push_back({TensorOp::isnan, unary_cases(Domain::normal),
                  [](Tensors x, const Case&) {
                    const Tensor nans = where(gt(x[0], 0.3), x[0] * NAN, x[0]);
                    return cast(isnan(nans), x[0].dtype());
                  },
                  [](Arrays x, const Case&) {
                    return map(x[0], [](double v) { return v > 0.3 ? 1.0 : 0.0; });
                  },
                  false});
  rows.push_back({TensorOp::isinf, unary_cases(Domain::normal),
                  [](Tensors x, const Case&) {
                    const Tensor infs = where(gt(x[0], 0.3), x[0] / 0.0, x[0]);
                    return cast(isinf(where(lt(x[0], -1.0), x[0] * NAN, infs)), x[0].dtype());
                  },
                  [](Arrays x, const Case&) {
                    return map(x[0], [](double v) { return v > 0.3 ? 1.0 : 0.0; });
                  },
                  false});

  // ---- reductions ----
  auto reduction = [&](TensorOp op, Tensor (*fn)(const Tensor&, const Axes&, bool),
                       double (*f)(const std::vector<double>&)) {
    rows.push_back(
        {op, reduce_cases(), [fn](Tensors x, const Case& c) { return fn(x[0], c.axes, c.keepdim); },
         [f](Arrays x, const Case& c) { return reduce_ref(x[0], c.axes, c.keepdim, f); }});
  };
  reduction(TensorOp::amax, &amax,
            [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
  reduction(TensorOp::amin, &amin,
            [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); });
  reduction(TensorOp::prod, &prod, &product_of);
  rows.push_back({TensorOp::norm, reduce_cases(),
                  [](Tensors x, const Case& c) {
                    // The 2-norm, the 1-norm, the max norm and p = 3 in one sum.
                    return norm(x[0], 2.0, c.axes, c.keepdim) + norm(x[0], 1.0, c.axes, c.keepdim) +
                           norm(x[0], INFINITY, c.axes, c.keepdim) +
                           norm(x[0], 3.0, c.axes, c.keepdim);
                  },
                  [](Arrays x, const Case& c) {
                    return Array(reduce_ref(x[0], c.axes, c.keepdim, [](const auto& v) {
                      double s2 = 0, s1 = 0, m = 0, s3 = 0;
                      for (double e : v) {
                        s2 += e * e;
                        s1 += std::abs(e);
                        m = std::max(m, std::abs(e));
                        s3 += std::pow(std::abs(e), 3.0);
                      }
                      return std::sqrt(s2) + s1 + m + std::cbrt(s3);
                    }));
                  }});
  rows.push_back({TensorOp::cumsum,
                  {{{{{3, 5}}}, {1}}, {{{{3, 5}}}, {0}}, {{{{2, 9}}}, {-1}}},
                  [](Tensors x, const Case& c) { return cumsum(x[0], c.axes[0]); },
                  [](Arrays x, const Case& c) {
                    const Array moved = c.axes[0] == 0 ? Array(xt::transpose(x[0])) : x[0];
                    Array out = per_row(moved, moved.shape()[1], [](const auto& row) {
                      std::vector<double> s(row.size());
                      std::partial_sum(row.begin(), row.end(), s.begin());
                      return s;
                    });
                    return c.axes[0] == 0 ? Array(xt::transpose(out)) : out;
                  }});

  // ---- indexing and ordering ----
  rows.push_back({TensorOp::scatter_add,
                  {{{{{3, 4}}, {{5, 4}}, {{5, 4}, Domain::index, 3}}, {0}},
                   {{{{3, 4}}, {{3, 6}}, {{3, 6}, Domain::index, 4}}, {1}}},
                  [](Tensors x, const Case& c) { return scatter_add(x[0], c.axes[0], x[2], x[1]); },
                  [](Arrays x, const Case& c) {
                    Array out = x[0];
                    const Index s = shape_of(x[1]);
                    for (std::size_t i = 0; i < x[1].size(); ++i) {
                      Index idx = unravel(i, s);
                      idx[static_cast<std::size_t>(c.axes[0])] =
                          static_cast<std::size_t>(x[2].data()[i]);
                      out.element(idx.begin(), idx.end()) += x[1].data()[i];
                    }
                    return out;
                  }});
  // sort / topk: the values (with their gradient) plus the indices as numbers, so both are
  // checked; descending sorts and the smallest k too.
  rows.push_back({TensorOp::sort,
                  {{{{{3, 6}}}, {1}, false}, {{{{3, 6}}}, {1}, true, "descending"}},
                  [](Tensors x, const Case& c) {
                    const ValuesIndices r = sort(x[0], -1, c.keepdim);
                    return r.values + cast(r.indices, x[0].dtype()) * 10.0;
                  },
                  [](Arrays x, const Case& c) {
                    return per_row(x[0], x[0].shape()[1], [&c](const auto& row) {
                      std::vector<std::size_t> order(row.size());
                      std::iota(order.begin(), order.end(), 0);
                      std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) {
                        return c.keepdim ? row[a] > row[b] : row[a] < row[b];
                      });
                      std::vector<double> out;
                      for (auto i : order)
                        out.push_back(row[i] + 10.0 * static_cast<double>(i));
                      return out;
                    });
                  }});
  rows.push_back({TensorOp::topk,
                  {{{{{3, 6}}}, {2}, false}, {{{{3, 6}}}, {4}, true, "largest"}},
                  [](Tensors x, const Case& c) {
                    const ValuesIndices r = topk(x[0], c.axes[0], -1, c.keepdim);
                    return r.values + cast(r.indices, x[0].dtype()) * 10.0;
                  },
                  [](Arrays x, const Case& c) {
                    const auto k = static_cast<std::size_t>(c.axes[0]);
                    return per_row(x[0], k, [&c, k](const auto& row) {
                      std::vector<std::size_t> order(row.size());
                      std::iota(order.begin(), order.end(), 0);
                      std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) {
                        return c.keepdim ? row[a] > row[b] : row[a] < row[b];
                      });
                      std::vector<double> out;
                      for (std::size_t j = 0; j < k; ++j)
                        out.push_back(row[order[j]] + 10.0 * static_cast<double>(order[j]));
                      return out;
                    });
                  }});

  // ---- shape ----
  rows.push_back({TensorOp::repeat,
                  {{{{{2, 3}}}}},
                  [](Tensors x, const Case&) {
                    return repeat(x[0], {2, 3});
                  },
                  [](Arrays x, const Case&) { return tiled(x[0], 2, 3); }});
  rows.push_back({TensorOp::tile,
                  {{{{{2, 3}}}}},
                  [](Tensors x, const Case&) { return tile(x[0], {2}); },  // (1, 2): the columns
                  [](Arrays x, const Case&) { return tiled(x[0], 1, 2); }});
  rows.push_back({TensorOp::flip,
                  {{{{{3, 4}}}, {1}}, {{{{3, 4}}}, {0, 1}}},
                  [](Tensors x, const Case& c) { return flip(x[0], c.axes); },
                  [](Arrays x, const Case& c) {
                    Array out = x[0];
                    const std::size_t rows_n = out.shape()[0], cols = out.shape()[1];
                    for (std::size_t i = 0; i < rows_n; ++i)
                      for (std::size_t j = 0; j < cols; ++j)
                        out(i, j) = x[0](c.axes.size() == 2 ? rows_n - 1 - i : i, cols - 1 - j);
                    return out;
                  }});
  // chunk, split and unbind: the pieces weighted 1, 2, 3, ... and joined again, so a piece in
  // the wrong place (or a gradient sent to the wrong one) changes the result.
  auto weighted = [](const std::vector<Tensor>& parts, std::int64_t axis) {
    std::vector<Tensor> scaled;
    for (std::size_t i = 0; i < parts.size(); ++i)
      scaled.push_back(parts[i] * static_cast<double>(i + 1));
    return concat(scaled, axis);
  };
  // Column j of a (3, 7) array in pieces of `size` columns: weight j / size + 1.
  auto weighted_ref = [](const Array& x, std::size_t size) {
    Array out = x;
    for (std::size_t i = 0; i < out.shape()[0]; ++i)
      for (std::size_t j = 0; j < out.shape()[1]; ++j)
        out(i, j) *= static_cast<double>(j / size + 1);
    return out;
  };
  rows.push_back({TensorOp::chunk,
                  {{{{{3, 7}}}}},
                  [weighted](Tensors x, const Case&) { return weighted(chunk(x[0], 3, 1), 1); },
                  [weighted_ref](Arrays x, const Case&) { return weighted_ref(x[0], 3); }});
  rows.push_back({TensorOp::split,
                  {{{{{3, 7}}}}},
                  [weighted](Tensors x, const Case&) {
                    return weighted(split(x[0], 2, 1), 1) + weighted(split(x[0], {3, 4}, 1), 1);
                  },
                  [weighted_ref](Arrays x, const Case&) {
                    // Pieces of 3 and 4 columns: weight 1 for columns 0-2, 2 for 3-6.
                    Array sections = x[0];
                    for (std::size_t i = 0; i < sections.shape()[0]; ++i)
                      for (std::size_t j = 3; j < sections.shape()[1]; ++j)
                        sections(i, j) *= 2.0;
                    return Array(weighted_ref(x[0], 2) + sections);
                  }});
  rows.push_back({TensorOp::unbind,
                  {{{{{3, 7}}}}},
                  [](Tensors x, const Case&) {
                    std::vector<Tensor> parts = unbind(x[0], 1);
                    for (std::size_t i = 0; i < parts.size(); ++i)
                      parts[i] = parts[i] * static_cast<double>(i + 1);
                    return stack(parts, 1);
                  },
                  [weighted_ref](Arrays x, const Case&) { return weighted_ref(x[0], 1); }});
  // tril / triu with diagonals 0, 1 and -1, on a wide matrix and a batch of tall ones.
  auto triangle = [&](TensorOp op, bool lower) {
    rows.push_back({op,
                    {{{{{3, 5}}}, {0}}, {{{{3, 5}}}, {1}}, {{{{2, 4, 3}}}, {-1}}},
                    [lower](Tensors x, const Case& c) {
                      return lower ? tril(x[0], c.axes[0]) : triu(x[0], c.axes[0]);
                    },
                    [lower](Arrays x, const Case& c) {
                      Array out = x[0];
                      const Index s = shape_of(out);
                      const std::size_t nd = s.size();
                      for (std::size_t i = 0; i < out.size(); ++i) {
                        const Index idx = unravel(i, s);
                        const auto offset = static_cast<std::int64_t>(idx[nd - 1]) -
                                            static_cast<std::int64_t>(idx[nd - 2]);
                        const bool keep = lower ? offset <= c.axes[0] : offset >= c.axes[0];
                        if (!keep) out.data()[i] = 0.0;
                      }
                      return out;
                    }});
  };
  triangle(TensorOp::tril, true);
  triangle(TensorOp::triu, false);
  // diag: a vector onto diagonals 0, 2 and -1; a matrix's diagonals 0, 1 and -2.
  rows.push_back({TensorOp::diag,
                  {{{{{4}}}, {0}},
                   {{{{4}}}, {2}},
                   {{{{3}}}, {-1}},
                   {{{{3, 5}}}, {0}},
                   {{{{3, 5}}}, {1}},
                   {{{{4, 3}}}, {-2}}},
                  [](Tensors x, const Case& c) { return diag(x[0], c.axes[0]); },
                  [](Arrays x, const Case& c) {
                    const std::int64_t k = c.axes[0];
                    if (x[0].dimension() == 1) {
                      const std::size_t n = x[0].size() + static_cast<std::size_t>(std::abs(k));
                      Array out = xt::zeros<double>({n, n});
                      for (std::size_t i = 0; i < x[0].size(); ++i)
                        out(k >= 0 ? i : i - static_cast<std::size_t>(k),
                            k >= 0 ? i + static_cast<std::size_t>(k) : i) = x[0](i);
                      return out;
                    }
                    std::vector<double> d;
                    for (std::int64_t i = 0; i < static_cast<std::int64_t>(x[0].shape()[0]); ++i) {
                      const std::int64_t j = i + k;
                      if (j >= 0 && j < static_cast<std::int64_t>(x[0].shape()[1]))
                        d.push_back(x[0](static_cast<std::size_t>(i), static_cast<std::size_t>(j)));
                    }
                    Array out = Array::from_shape({d.size()});
                    std::copy(d.begin(), d.end(), out.begin());
                    return out;
                  }});
  // einsum: a batched contraction with a summed-out letter, an outer product with a transpose,
  // a trace-free reduction and an implicit output, checked against loops over the letters.
  rows.push_back(
      {TensorOp::einsum,
       {{{{{2, 3, 4}}, {{2, 4, 5}}}, {0}, false, "bij,bjk->bik"},
        {{{{3}}, {{4}}}, {1}, false, "i,j->ji"},
        {{{{3, 4}}, {{4, 2}}}, {2}, false, "ij,jk (implicit ik)"},
        {{{{2, 3, 4}}}, {3}, false, "ijk->ki"}},
       [](Tensors x, const Case& c) {
         switch (c.axes[0]) {
           case 0:
             return einsum("bij,bjk->bik", {x[0], x[1]});
           case 1:
             return einsum("i,j->ji", {x[0], x[1]});
           case 2:
             return einsum("ij,jk", {x[0], x[1]});
           default:
             return einsum("ijk->ki", {x[0]});
         }
       },
       [](Arrays x, const Case& c) {
         const auto& a = x[0];
         switch (c.axes[0]) {
           case 0: {
             Array out = xt::zeros<double>({a.shape()[0], a.shape()[1], x[1].shape()[2]});
             for (std::size_t b = 0; b < a.shape()[0]; ++b)
               for (std::size_t i = 0; i < a.shape()[1]; ++i)
                 for (std::size_t k = 0; k < x[1].shape()[2]; ++k)
                   for (std::size_t j = 0; j < a.shape()[2]; ++j)
                     out(b, i, k) += a(b, i, j) * x[1](b, j, k);
             return out;
           }
           case 1: {
             Array out = Array::from_shape({x[1].size(), a.size()});
             for (std::size_t j = 0; j < x[1].size(); ++j)
               for (std::size_t i = 0; i < a.size(); ++i)
                 out(j, i) = a(i) * x[1](j);
             return out;
           }
           case 2: {
             Array out = xt::zeros<double>({a.shape()[0], x[1].shape()[1]});
             for (std::size_t i = 0; i < a.shape()[0]; ++i)
               for (std::size_t k = 0; k < x[1].shape()[1]; ++k)
                 for (std::size_t j = 0; j < a.shape()[1]; ++j)
                   out(i, k) += a(i, j) * x[1](j, k);
             return out;
           }
           default: {
             Array out = xt::zeros<double>({a.shape()[2], a.shape()[0]});
             for (std::size_t i = 0; i < a.shape()[0]; ++i)
               for (std::size_t j = 0; j < a.shape()[1]; ++j)
                 for (std::size_t k = 0; k < a.shape()[2]; ++k)
                   out(k, i) += a(i, j, k);
             return out;
           }
         }
       }});
  return rows;
}

}  // namespace kindling::test
