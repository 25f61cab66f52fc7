// Op table rows: reductions, matmul and the network ops (softmax, log_softmax, cross_entropy).
#include <algorithm>
#include <cmath>
#include <xtensor/xbroadcast.hpp>

#include "op_table.hpp"
#include "reference.hpp"

namespace kindling::test {

namespace {

std::vector<Case> reduce_cases() {
  return {{{{{3, 4}}}, {}, false, "all"}, {{{{3, 4}}}, {0}, false},    {{{{3, 4}}}, {1}, true},
          {{{{2, 3, 5}}}, {0, 2}, false}, {{{{2, 3, 5}}}, {-1}, true}, {{{{2, 3, 5}}}, {1}, false}};
}

Row reduction(TensorOp op, Tensor (*fn)(const Tensor&, const Axes&, bool),
              double (*f)(const std::vector<double>&)) {
  return {op, reduce_cases(),
          [fn](const std::vector<Tensor>& x, const Case& c) { return fn(x[0], c.axes, c.keepdim); },
          [f](const std::vector<Array>& x, const Case& c) {
            return reduce_ref(x[0], c.axes, c.keepdim, f);
          }};
}

double mean_of(const std::vector<double>& v) {
  return sum_of(v) / static_cast<double>(v.size());
}
double var_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v)
    s += (x - m) * (x - m);
  return s / static_cast<double>(v.size() - 1);
}

// softmax / log_softmax along one axis, from the definition.
Array softmax_ref(const Array& x, std::int64_t axis, bool log_form) {
  const Array lse = reduce_ref(x, {axis}, true, [](const std::vector<double>& v) {
    double s = 0;
    for (double e : v)
      s += std::exp(e);
    return std::log(s);
  });
  Array shifted = x - xt::broadcast(lse, x.shape());
  return log_form ? shifted : Array(xt::exp(shifted));
}

// (..., m, k) x (..., k, n) with broadcast batch dims, matrix-vector forms as numpy.matmul.
Array matmul_ref(Array a, Array b) {
  const bool av = a.dimension() == 1, bv = b.dimension() == 1;
  if (av) a.reshape({1, a.shape()[0]});
  if (bv) b.reshape({b.shape()[0], 1});
  const std::size_t m = a.shape()[a.dimension() - 2], k = a.shape()[a.dimension() - 1],
                    n = b.shape()[b.dimension() - 1];
  Index ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  const std::size_t nd = std::max(ba.size(), bb.size());
  ba.insert(ba.begin(), nd - ba.size(), 1);
  bb.insert(bb.begin(), nd - bb.size(), 1);
  Index batch(nd);
  for (std::size_t d = 0; d < nd; ++d)
    batch[d] = std::max(ba[d], bb[d]);
  std::size_t batches = 1;
  for (auto s : batch)
    batches *= s;
  Index out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Array out = Array::from_shape(out_shape);
  for (std::size_t t = 0; t < batches; ++t) {
    const Index idx = unravel(t, batch);
    std::size_t ia = 0, ib = 0;
    for (std::size_t d = 0; d < nd; ++d) {
      ia = ia * ba[d] + (ba[d] == 1 ? 0 : idx[d]);
      ib = ib * bb[d] + (bb[d] == 1 ? 0 : idx[d]);
    }
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        double s = 0;
        for (std::size_t p = 0; p < k; ++p)
          s += a.data()[ia * m * k + i * k + p] * b.data()[ib * k * n + p * n + j];
        out.data()[t * m * n + i * n + j] = s;
      }
  }
  Index final_shape(out_shape.begin(), out_shape.end() - 2);
  if (!av) final_shape.push_back(m);
  if (!bv) final_shape.push_back(n);
  out.reshape(final_shape);
  return out;
}

Array arg_ref(const Array& x, std::int64_t axis, bool keepdim, bool is_max) {
  // The position of the first extremum within each reduced slice.
  const Array values = reduce_ref(x, {axis}, keepdim, [is_max](const std::vector<double>& v) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < v.size(); ++i)
      if (is_max ? v[i] > v[best] : v[i] < v[best]) best = i;
    return static_cast<double>(best);
  });
  return values;
}

}  // namespace

std::vector<Row> reduction_rows() {
  std::vector<Row> rows;
  rows.push_back(reduction(TensorOp::sum, &sum, &sum_of));
  rows.push_back(reduction(TensorOp::mean, &mean, &mean_of));
  rows.push_back(reduction(TensorOp::max, &max, [](const std::vector<double>& v) {
    return *std::max_element(v.begin(), v.end());
  }));
  rows.push_back(reduction(TensorOp::min, &min, [](const std::vector<double>& v) {
    return *std::min_element(v.begin(), v.end());
  }));
  rows.push_back(reduction(
      TensorOp::var, [](const Tensor& x, const Axes& a, bool k) { return var(x, a, 1, k); },
      &var_of));
  rows.push_back(reduction(
      TensorOp::stddev, [](const Tensor& x, const Axes& a, bool k) { return stddev(x, a, 1, k); },
      [](const std::vector<double>& v) { return std::sqrt(var_of(v)); }));
  rows.push_back(reduction(TensorOp::logsumexp, &logsumexp, [](const std::vector<double>& v) {
    double s = 0;
    for (double e : v)
      s += std::exp(e);
    return std::log(s);
  }));
  // any / all over 0/1 masks (as floats: nonzero is true), on slices short enough that both
  // answers occur.
  for (bool is_any : {true, false}) {
    rows.push_back({is_any ? TensorOp::any : TensorOp::all,
                    {{{{{6, 2}, Domain::mask}}, {1}, false},
                     {{{{2, 6}, Domain::mask}}, {0}, true},
                     {{{{4, 3, 2}, Domain::mask}}, {0, 2}, false},
                     {{{{2, 2, 3}, Domain::mask}}, {-1}, false},
                     {{{{3, 4}, Domain::mask}}, {}, false, "all"}},
                    [is_any](const std::vector<Tensor>& x, const Case& c) {
                      return is_any ? any(x[0], c.axes, c.keepdim) : all(x[0], c.axes, c.keepdim);
                    },
                    [is_any](const std::vector<Array>& x, const Case& c) {
                      return reduce_ref(
                          x[0], c.axes, c.keepdim, [is_any](const std::vector<double>& v) {
                            const auto nonzero = [](double e) { return e != 0; };
                            const bool yes = is_any ? std::any_of(v.begin(), v.end(), nonzero)
                                                    : std::all_of(v.begin(), v.end(), nonzero);
                            return yes ? 1.0 : 0.0;
                          });
                    },
                    false});
  }
  for (bool is_max : {true, false}) {
    rows.push_back(
        {is_max ? TensorOp::argmax : TensorOp::argmin,
         {{{{{3, 4}}}, {0}, false}, {{{{3, 4}}}, {1}, true}, {{{{2, 3, 5}}}, {-2}, false}},
         [is_max](const std::vector<Tensor>& x, const Case& c) {
           return is_max ? argmax(x[0], c.axes[0], c.keepdim) : argmin(x[0], c.axes[0], c.keepdim);
         },
         [is_max](const std::vector<Array>& x, const Case& c) {
           return arg_ref(x[0], c.axes[0], c.keepdim, is_max);
         },
         false});
  }
  rows.push_back({TensorOp::matmul,
                  {{{{{3, 4}}, {{4, 5}}}},
                   {{{{2, 3, 4}}, {{2, 4, 5}}}, {}, false, "batched"},
                   {{{{2, 1, 3, 4}}, {{3, 4, 2}}}, {}, false, "broadcast batch"},
                   {{{{3, 4}}, {{4}}}, {}, false, "matrix-vector"},
                   {{{{4}}, {{4, 5}}}, {}, false, "vector-matrix"},
                   {{{{4}}, {{4}}}, {}, false, "dot"}},
                  [](const std::vector<Tensor>& x, const Case&) { return matmul(x[0], x[1]); },
                  [](const std::vector<Array>& x, const Case&) { return matmul_ref(x[0], x[1]); }});
  for (bool log_form : {false, true}) {
    rows.push_back({log_form ? TensorOp::log_softmax : TensorOp::softmax,
                    {{{{{3, 4}}}, {-1}}, {{{{3, 4}}}, {0}}, {{{{2, 3, 5}}}, {1}}},
                    [log_form](const std::vector<Tensor>& x, const Case& c) {
                      return log_form ? log_softmax(x[0], c.axes[0]) : softmax(x[0], c.axes[0]);
                    },
                    [log_form](const std::vector<Array>& x, const Case& c) {
                      return softmax_ref(x[0], c.axes[0], log_form);
                    }});
  }
  rows.push_back({TensorOp::cross_entropy,
                  {{{{{5, 4}}, {{5}, Domain::index, 4}}, {}, false, "mean"},
                   {{{{5, 4}}, {{5}, Domain::index, 4}}, {}, false, "sum"},
                   {{{{5, 4}}, {{5}, Domain::index, 4}}, {}, false, "none"}},
                  [](const std::vector<Tensor>& x, const Case& c) {
                    const Reduction r = c.note == "mean"  ? Reduction::mean
                                        : c.note == "sum" ? Reduction::sum
                                                          : Reduction::none;
                    return cross_entropy(x[0], x[1], r);
                  },
                  [](const std::vector<Array>& x, const Case& c) {
                    const Array lp = softmax_ref(x[0], 1, true);
                    const std::size_t n = x[0].shape()[0], classes = x[0].shape()[1];
                    Array loss = Array::from_shape({n});
                    for (std::size_t i = 0; i < n; ++i)
                      loss(i) = -lp.data()[i * classes + static_cast<std::size_t>(x[1](i))];
                    if (c.note == "none") return loss;
                    double s = 0;
                    for (double v : loss)
                      s += v;
                    return Array(c.note == "sum" ? s : s / static_cast<double>(n));
                  }});
  return rows;
}

}  // namespace kindling::test
