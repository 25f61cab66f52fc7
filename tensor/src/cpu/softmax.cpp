// CPU kernels for softmax, log_softmax and cross entropy, forward and backward: each line along
// the axis is copied into a small per-thread buffer and run through the SIMD loops (simd.hpp), so
// a strided line gives the same bits as a contiguous one. Lines are independent, so OpenMP over
// lines gives the same results at any thread count.
#include <cassert>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu.hpp"
#include "iter.hpp"
#include "kindling/engine/error.hpp"
#include "simd.hpp"

namespace kindling::kernels::cpu {

namespace {

// Runs f.template operator()<T>() for a floating dtype (the ops reject the others before here).
template <class F>
void with_floating(DType dtype, F&& f) {
  assert(dtype == DType::float32 || dtype == DType::float64);
  if (dtype == DType::float64)
    f.template operator()<double>();
  else
    f.template operator()<float>();
}

// The element offset of line `line` along `axis` (lines in row-major order of the other dims).
std::int64_t line_offset(const StridedView& v, int axis, std::int64_t line) {
  std::int64_t offset = 0;
  for (int d = v.ndim - 1; d >= 0; --d) {
    if (d == axis) continue;
    offset += (line % v.shape[d]) * v.strides[d];
    line /= v.shape[d];
  }
  return offset;
}

// Calls body(line, buffers) for every line, in parallel when the work pays for the fork; each
// thread owns `buffers` arrays of `length` elements.
template <class T, class Body>
void for_each_line(std::int64_t lines, std::int64_t length, int buffers, Body&& body) {
  const bool parallel = lines > 1 && lines * length >= kParallelThreshold;
#pragma omp parallel if (parallel)
  {
    std::vector<T> storage(static_cast<std::size_t>(length * buffers));
#pragma omp for schedule(static)
    for (std::int64_t line = 0; line < lines; ++line)
      body(line, storage.data());
  }
}

template <class T>
void load(const T* src, std::int64_t stride, std::int64_t n, T* dst) {
  for (std::int64_t i = 0; i < n; ++i)
    dst[i] = src[i * stride];
}
template <class T>
void store(const T* src, std::int64_t n, T* dst, std::int64_t stride) {
  for (std::int64_t i = 0; i < n; ++i)
    dst[i * stride] = src[i];
}

// The shift that keeps exp in range: the line's max, whatever it is, as PyTorch's kernels do. A
// line holding +inf or NaN, or only -inf, then comes out NaN throughout (inf - inf), never as
// made-up probabilities; a -inf logit beside finite ones still has probability 0 (Note [special
// values]). The max propagates NaN.
template <class T>
T shift_of(const T* x, std::int64_t n) {
  return loops<T>().reduce(ReduceKernel::max, x, n);
}

// Shifts x in place by its max (shift_of) and writes e = exp(x); returns sum(e).
template <class T>
T shifted_exp_sum(T* x, T* e, std::int64_t n) {
  const SimdLoops<T>& L = loops<T>();
  const T m = shift_of(x, n);
  L.binary(BinaryKernel::sub, x, 1, &m, 0, x, n);
  L.unary(UnaryKernel::exp, x, e, n, {});
  return L.reduce(ReduceKernel::sum, e, n);
}

}  // namespace

void softmax(const StridedView& x, int axis, bool log, const StridedView& y) {
  const std::int64_t n = x.shape[axis];
  if (x.numel() == 0) return;
  const std::int64_t lines = x.numel() / n, xs = x.strides[axis], ys = y.strides[axis];
  with_floating(x.dtype, [&]<class T>() {
    const SimdLoops<T>& L = loops<T>();
    const T* xp = static_cast<const T*>(x.data);
    T* yp = static_cast<T*>(y.data);
    for_each_line<T>(lines, n, 2, [&](std::int64_t line, T* buffer) {
      T *shifted = buffer, *e = buffer + n;
      load(xp + line_offset(x, axis, line), xs, n, shifted);
      T total = shifted_exp_sum(shifted, e, n);
      if (log) {
        total = std::log(total);
        L.binary(BinaryKernel::sub, shifted, 1, &total, 0, e, n);
      } else {
        L.binary(BinaryKernel::div, e, 1, &total, 0, e, n);
      }
      store(e, n, yp + line_offset(y, axis, line), ys);
    });
  });
}

void softmax_backward(const StridedView& y, const StridedView& dy, int axis, bool log,
                      const StridedView& dx) {
  const std::int64_t n = y.shape[axis];
  if (y.numel() == 0) return;
  const std::int64_t lines = y.numel() / n;
  with_floating(y.dtype, [&]<class T>() {
    const SimdLoops<T>& L = loops<T>();
    const T* yp = static_cast<const T*>(y.data);
    const T* gp = static_cast<const T*>(dy.data);
    T* dp = static_cast<T*>(dx.data);
    for_each_line<T>(lines, n, 3, [&](std::int64_t line, T* buffer) {
      T *yl = buffer, *gl = buffer + n, *t = buffer + 2 * n;
      load(yp + line_offset(y, axis, line), y.strides[axis], n, yl);
      load(gp + line_offset(dy, axis, line), dy.strides[axis], n, gl);
      if (log) {  // dx = dy - exp(y) sum(dy)
        const T s = L.reduce(ReduceKernel::sum, gl, n);
        L.unary(UnaryKernel::exp, yl, t, n, {});
        L.binary(BinaryKernel::mul, t, 1, &s, 0, t, n);
        L.binary(BinaryKernel::sub, gl, 1, t, 1, t, n);
      } else {  // dx = y (dy - sum(dy y))
        L.binary(BinaryKernel::mul, gl, 1, yl, 1, t, n);
        const T s = L.reduce(ReduceKernel::sum, t, n);
        L.binary(BinaryKernel::sub, gl, 1, &s, 0, t, n);
        L.binary(BinaryKernel::mul, yl, 1, t, 1, t, n);
      }
      store(t, n, dp + line_offset(dx, axis, line), dx.strides[axis]);
    });
  });
}

namespace {
// Checked before the parallel loops: an exception must not leave an OpenMP region.
void check_targets(const StridedView& target, std::int64_t classes) {
  const auto* tp = static_cast<const std::int64_t*>(target.data);
  for (std::int64_t i = 0; i < target.shape[0]; ++i) {
    const std::int64_t t = tp[i * target.strides[0]];
    KINDLING_CHECK(t >= 0 && t < classes, "cross_entropy: target ", t, " of sample ", i,
                   " is out of range for ", classes, " classes");
  }
}
}  // namespace

void cross_entropy(const StridedView& logits, const StridedView& target, double scale,
                   const StridedView& loss) {
  const std::int64_t rows = logits.shape[0], c = logits.shape[1];
  const bool reduced = loss.ndim == 0;
  check_targets(target, c);
  const auto* tp = static_cast<const std::int64_t*>(target.data);
  with_floating(logits.dtype, [&]<class T>() {
    const T* xp = static_cast<const T*>(logits.data);
    // Reduced: per-sample losses in a scratch row, summed in sample order afterwards.
    std::vector<T> per_sample(reduced ? static_cast<std::size_t>(rows) : 0);
    T* lp = reduced ? per_sample.data() : static_cast<T*>(loss.data);
    const std::int64_t ls = reduced ? 1 : loss.strides[0];
    for_each_line<T>(rows, c, 2, [&](std::int64_t i, T* buffer) {
      T *shifted = buffer, *e = buffer + c;
      const T* row = xp + i * logits.strides[0];
      load(row, logits.strides[1], c, shifted);
      const T total = shifted_exp_sum(shifted, e, c);
      const std::int64_t t = tp[i * target.strides[0]];
      // -log_softmax(x)[t] = -(x[t] - m - log(total)) = -(shifted[t] - log(total)), negated last
      // as PyTorch's nll_loss does, so a certain sample's loss is -0 as there.
      lp[i * ls] = -(shifted[t] - std::log(total));
    });
    if (reduced) {
      T sum = 0;
      for (const T l : per_sample)
        sum += l;
      *static_cast<T*>(loss.data) = sum * T(scale);  // an empty mean: 0 * inf = NaN, as PyTorch
    }
  });
}

void cross_entropy_backward(const StridedView& logits, const StridedView& target,
                            const StridedView& grad, double scale, const StridedView& dlogits) {
  const std::int64_t rows = logits.shape[0], c = logits.shape[1];
  if (rows == 0) return;
  check_targets(target, c);
  const auto* tp = static_cast<const std::int64_t*>(target.data);
  with_floating(logits.dtype, [&]<class T>() {
    const SimdLoops<T>& L = loops<T>();
    const T* xp = static_cast<const T*>(logits.data);
    const T* gp = static_cast<const T*>(grad.data);
    T* dp = static_cast<T*>(dlogits.data);
    for_each_line<T>(rows, c, 2, [&](std::int64_t i, T* buffer) {
      T *shifted = buffer, *p = buffer + c;
      load(xp + i * logits.strides[0], logits.strides[1], c, shifted);
      const T total = shifted_exp_sum(shifted, p, c);
      L.binary(BinaryKernel::div, p, 1, &total, 0, p, c);
      // p g, then g taken off at the target: PyTorch's order (log_softmax's backward of the
      // one-hot -g), so an infinite g gives NaN at the target, not (p - 1) g.
      const T g = gp[i * grad.strides[0]] * T(scale);
      L.binary(BinaryKernel::mul, p, 1, &g, 0, p, c);
      p[tp[i * target.strides[0]]] -= g;
      store(p, c, dp + i * dlogits.strides[0], dlogits.strides[1]);
    });
  });
}

}  // namespace kindling::kernels::cpu
