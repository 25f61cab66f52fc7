// Op table rows of issue 17: unfold, fold, conv2d, max_pool2d and the composites avg_pool2d,
// adaptive_avg_pool2d, batch_norm and pad. References are direct loops over the windows, written
// from the definitions (no im2col): a convolution as its six nested sums.
#include <cmath>
#include <limits>

#include "op_table.hpp"
#include "reference.hpp"

namespace kindling::test {

namespace {

struct Window {
  std::int64_t kh, kw, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

std::int64_t count(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p,
                   std::int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

// x (N, C, H, W) as a reader with zero outside the image.
struct Image {
  const Array& x;
  std::int64_t n, c, h, w;
  explicit Image(const Array& a)
      : x(a),
        n(static_cast<std::int64_t>(a.shape()[0])),
        c(static_cast<std::int64_t>(a.shape()[1])),
        h(static_cast<std::int64_t>(a.shape()[2])),
        w(static_cast<std::int64_t>(a.shape()[3])) {}
  bool inside(std::int64_t i, std::int64_t j) const { return i >= 0 && i < h && j >= 0 && j < w; }
  double at(std::int64_t b, std::int64_t ch, std::int64_t i, std::int64_t j) const {
    return inside(i, j) ? x.data()[((b * c + ch) * h + i) * w + j] : 0.0;
  }
};

Array make(std::initializer_list<std::int64_t> shape) {
  std::vector<std::size_t> s;
  for (std::int64_t v : shape)
    s.push_back(static_cast<std::size_t>(v));
  Array a = Array::from_shape(s);
  a.fill(0.0);
  return a;
}

// out[n][o][y][x] = b[o] + sum_{c in o's group, i, j} w[o][c][i][j] x[n][g c][y s - p + i d][...].
Array conv_ref(const Array& xa, const Array& wa, const Array* bias, const Window& k,
               std::int64_t groups) {
  const Image x(xa);
  const auto o_count = static_cast<std::int64_t>(wa.shape()[0]);
  const auto c_per = static_cast<std::int64_t>(wa.shape()[1]);
  const std::int64_t oh = count(x.h, k.kh, k.sh, k.ph, k.dh),
                     ow = count(x.w, k.kw, k.sw, k.pw, k.dw);
  Array out = make({x.n, o_count, oh, ow});
  const std::int64_t o_per = o_count / groups;
  for (std::int64_t b = 0; b < x.n; ++b)
    for (std::int64_t o = 0; o < o_count; ++o)
      for (std::int64_t yy = 0; yy < oh; ++yy)
        for (std::int64_t xx = 0; xx < ow; ++xx) {
          double s = bias ? bias->data()[o] : 0.0;
          for (std::int64_t c = 0; c < c_per; ++c)
            for (std::int64_t i = 0; i < k.kh; ++i)
              for (std::int64_t j = 0; j < k.kw; ++j)
                s += wa.data()[((o * c_per + c) * k.kh + i) * k.kw + j] *
                     x.at(b, (o / o_per) * c_per + c, yy * k.sh - k.ph + i * k.dh,
                          xx * k.sw - k.pw + j * k.dw);
          out.data()[((b * o_count + o) * oh + yy) * ow + xx] = s;
        }
  return out;
}

Array unfold_ref(const Array& xa, const Window& k) {
  const Image x(xa);
  const std::int64_t oh = count(x.h, k.kh, k.sh, k.ph, k.dh),
                     ow = count(x.w, k.kw, k.sw, k.pw, k.dw);
  Array out = make({x.n, x.c * k.kh * k.kw, oh * ow});
  for (std::int64_t b = 0; b < x.n; ++b)
    for (std::int64_t c = 0; c < x.c; ++c)
      for (std::int64_t i = 0; i < k.kh; ++i)
        for (std::int64_t j = 0; j < k.kw; ++j)
          for (std::int64_t yy = 0; yy < oh; ++yy)
            for (std::int64_t xx = 0; xx < ow; ++xx)
              out.data()[((b * x.c * k.kh * k.kw) + (c * k.kh + i) * k.kw + j) * oh * ow + yy * ow +
                         xx] = x.at(b, c, yy * k.sh - k.ph + i * k.dh, xx * k.sw - k.pw + j * k.dw);
  return out;
}

// The adjoint of unfold: each column entry added to the pixel it reads.
Array fold_ref(const Array& cols, std::int64_t h, std::int64_t w, const Window& k) {
  const auto n = static_cast<std::int64_t>(cols.shape()[0]);
  const std::int64_t c = static_cast<std::int64_t>(cols.shape()[1]) / (k.kh * k.kw);
  const std::int64_t oh = count(h, k.kh, k.sh, k.ph, k.dh), ow = count(w, k.kw, k.sw, k.pw, k.dw);
  Array out = make({n, c, h, w});
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t i = 0; i < k.kh; ++i)
        for (std::int64_t j = 0; j < k.kw; ++j)
          for (std::int64_t yy = 0; yy < oh; ++yy)
            for (std::int64_t xx = 0; xx < ow; ++xx) {
              const std::int64_t r = yy * k.sh - k.ph + i * k.dh, q = xx * k.sw - k.pw + j * k.dw;
              if (r < 0 || r >= h || q < 0 || q >= w) continue;
              out.data()[((b * c + ch) * h + r) * w + q] +=
                  cols.data()[(b * c * k.kh * k.kw + (ch * k.kh + i) * k.kw + j) * oh * ow +
                              yy * ow + xx];
            }
  return out;
}

// max (or mean with the padding counted) over each window.
Array pool_ref(const Array& xa, const Window& k, bool is_max) {
  const Image x(xa);
  const std::int64_t oh = count(x.h, k.kh, k.sh, k.ph, k.dh),
                     ow = count(x.w, k.kw, k.sw, k.pw, k.dw);
  Array out = make({x.n, x.c, oh, ow});
  for (std::int64_t b = 0; b < x.n; ++b)
    for (std::int64_t c = 0; c < x.c; ++c)
      for (std::int64_t yy = 0; yy < oh; ++yy)
        for (std::int64_t xx = 0; xx < ow; ++xx) {
          double best = -std::numeric_limits<double>::infinity(), total = 0.0;
          for (std::int64_t i = 0; i < k.kh; ++i)
            for (std::int64_t j = 0; j < k.kw; ++j) {
              const std::int64_t r = yy * k.sh - k.ph + i * k.dh, q = xx * k.sw - k.pw + j * k.dw;
              total += x.at(b, c, r, q);
              if (x.inside(r, q)) best = std::max(best, x.at(b, c, r, q));
            }
          out.data()[((b * x.c + c) * oh + yy) * ow + xx] =
              is_max ? best : total / static_cast<double>(k.kh * k.kw);
        }
  return out;
}

}  // namespace

std::vector<Row> conv_rows() {
  std::vector<Row> rows;
  struct ConvCase {
    Shape x, w;
    Window k;
    std::int64_t groups;
    bool bias;
    std::string note;
  };
  const std::vector<ConvCase> conv_cases = {
      {{2, 3, 5, 6}, {4, 3, 3, 3}, {3, 3}, 1, true, "3x3 with bias"},
      {{1, 4, 7, 6}, {6, 2, 3, 2}, {3, 2, 2, 1, 1, 0, 1, 2}, 2, false, "groups, stride, dilation"},
      {{2, 2, 6, 6}, {2, 1, 2, 2}, {2, 2, 2, 2, 1, 1, 2, 1}, 2, true, "depthwise, padded"},
      {{1, 3, 4, 4}, {5, 3, 1, 1}, {1, 1}, 1, true, "1x1"},
  };
  for (const ConvCase& cc : conv_cases) {
    Case c{{{cc.x}, {cc.w}}, {}, false, cc.note};
    if (cc.bias) c.inputs.push_back({{cc.w[0]}});
    rows.push_back({TensorOp::conv2d,
                    {c},
                    [cc](const std::vector<Tensor>& x, const Case&) {
                      return conv2d(x[0], x[1], cc.bias ? x[2] : Tensor{}, {cc.k.sh, cc.k.sw},
                                    {cc.k.ph, cc.k.pw}, {cc.k.dh, cc.k.dw}, cc.groups);
                    },
                    [cc](const std::vector<Array>& x, const Case&) {
                      return conv_ref(x[0], x[1], cc.bias ? &x[2] : nullptr, cc.k, cc.groups);
                    },
                    true,
                    1e-12});
  }
  const Window uw{3, 2, 2, 1, 1, 0, 1, 2};
  rows.push_back(
      {TensorOp::unfold,
       {{{{{2, 2, 5, 6}}}, {}, false, "stride, padding, dilation"}},
       [uw](const std::vector<Tensor>& x, const Case&) {
         return unfold(x[0], {uw.kh, uw.kw}, {uw.dh, uw.dw}, {uw.ph, uw.pw}, {uw.sh, uw.sw});
       },
       [uw](const std::vector<Array>& x, const Case&) { return unfold_ref(x[0], uw); }});
  // fold's input: (N, C kh kw, L) with L = 3 x 4 windows of a 5 x 6 image.
  rows.push_back(
      {TensorOp::fold,
       {{{{{2, 2 * 6, 12}}}, {}, false, "overlapping windows"}},
       [uw](const std::vector<Tensor>& x, const Case&) {
         return fold(x[0], {5, 6}, {uw.kh, uw.kw}, {uw.dh, uw.dw}, {uw.ph, uw.pw}, {uw.sh, uw.sw});
       },
       [uw](const std::vector<Array>& x, const Case&) { return fold_ref(x[0], 5, 6, uw); }});
  for (const Window& pw :
       {Window{2, 2, 2, 2}, Window{3, 3, 2, 1, 1, 1, 1, 1}, Window{2, 3, 1, 2, 0, 1, 2, 1}}) {
    rows.push_back(
        {TensorOp::max_pool2d,
         {{{{{2, 3, 6, 7}}}, {}, false, "windows"}},
         [pw](const std::vector<Tensor>& x, const Case&) {
           return max_pool2d(x[0], {pw.kh, pw.kw}, {pw.sh, pw.sw}, {pw.ph, pw.pw}, {pw.dh, pw.dw});
         },
         [pw](const std::vector<Array>& x, const Case&) { return pool_ref(x[0], pw, true); }});
  }
  for (const Window& aw : {Window{2, 2, 2, 2}, Window{3, 2, 2, 1, 1, 1}}) {
    rows.push_back(
        {TensorOp::avg_pool2d,
         {{{{{2, 3, 6, 7}}}, {}, false, "windows, padding counted"}},
         [aw](const std::vector<Tensor>& x, const Case&) {
           return avg_pool2d(x[0], {aw.kh, aw.kw}, {aw.sh, aw.sw}, {aw.ph, aw.pw});
         },
         [aw](const std::vector<Array>& x, const Case&) { return pool_ref(x[0], aw, false); }});
  }
  rows.push_back({TensorOp::adaptive_avg_pool2d,
                  {{{{{2, 3, 7, 5}}}, {}, false, "uneven bins"}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return adaptive_avg_pool2d(x[0], {3, 2});
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    const Image img(x[0]);
                    Array out = make({img.n, img.c, 3, 2});
                    for (std::int64_t b = 0; b < img.n; ++b)
                      for (std::int64_t c = 0; c < img.c; ++c)
                        for (std::int64_t i = 0; i < 3; ++i)
                          for (std::int64_t j = 0; j < 2; ++j) {
                            const std::int64_t r0 = i * img.h / 3, r1 = ((i + 1) * img.h + 2) / 3;
                            const std::int64_t q0 = j * img.w / 2, q1 = ((j + 1) * img.w + 1) / 2;
                            double s = 0.0;
                            for (std::int64_t r = r0; r < r1; ++r)
                              for (std::int64_t q = q0; q < q1; ++q)
                                s += img.at(b, c, r, q);
                            out.data()[((b * img.c + c) * 3 + i) * 2 + j] =
                                s / static_cast<double>((r1 - r0) * (q1 - q0));
                          }
                    return out;
                  }});
  rows.push_back({TensorOp::batch_norm,
                  {{{{{4, 3, 2, 3}}, {{3}}, {{3}}}, {}, false, "training, affine"}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return batch_norm(x[0], {}, {}, x[1], x[2], true, 0.1, 1e-5);
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    const Image img(x[0]);
                    Array out = make({img.n, img.c, img.h, img.w});
                    const double count = static_cast<double>(img.n * img.h * img.w);
                    for (std::int64_t c = 0; c < img.c; ++c) {
                      double m = 0.0, v = 0.0;
                      for (std::int64_t b = 0; b < img.n; ++b)
                        for (std::int64_t i = 0; i < img.h; ++i)
                          for (std::int64_t j = 0; j < img.w; ++j)
                            m += img.at(b, c, i, j) / count;
                      for (std::int64_t b = 0; b < img.n; ++b)
                        for (std::int64_t i = 0; i < img.h; ++i)
                          for (std::int64_t j = 0; j < img.w; ++j)
                            v += (img.at(b, c, i, j) - m) * (img.at(b, c, i, j) - m) / count;
                      for (std::int64_t b = 0; b < img.n; ++b)
                        for (std::int64_t i = 0; i < img.h; ++i)
                          for (std::int64_t j = 0; j < img.w; ++j)
                            out.data()[((b * img.c + c) * img.h + i) * img.w + j] =
                                (img.at(b, c, i, j) - m) / std::sqrt(v + 1e-5) * x[1].data()[c] +
                                x[2].data()[c];
                    }
                    return out;
                  },
                  true,
                  1e-10});
  for (const PadMode mode :
       {PadMode::constant, PadMode::reflect, PadMode::replicate, PadMode::circular}) {
    rows.push_back({TensorOp::pad,
                    {{{{{2, 4, 5}}}, {}, false, "last two dims"}},
                    [mode](const std::vector<Tensor>& x, const Case&) {
                      return pad(x[0], {2, 1, 0, 3}, mode, 0.5);
                    },
                    [mode](const std::vector<Array>& x, const Case&) {
                      // Row-major (2, 4 + 0 + 3, 5 + 2 + 1); each padded position's source per the
                      // mode.
                      auto source = [mode](std::int64_t i, std::int64_t size, std::int64_t before) {
                        std::int64_t s = i - before;
                        if (mode == PadMode::constant)
                          return s >= 0 && s < size ? s : std::int64_t{-1};
                        if (mode == PadMode::replicate)
                          return std::min(std::max(s, std::int64_t{0}), size - 1);
                        if (mode == PadMode::circular) return ((s % size) + size) % size;
                        if (s < 0) s = -s;  // reflect (amounts below the size: one bounce)
                        return s >= size ? 2 * (size - 1) - s : s;
                      };
                      Array out = make({2, 7, 8});
                      for (std::int64_t b = 0; b < 2; ++b)
                        for (std::int64_t i = 0; i < 7; ++i)
                          for (std::int64_t j = 0; j < 8; ++j) {
                            const std::int64_t r = source(i, 4, 0), q = source(j, 5, 2);
                            out.data()[(b * 7 + i) * 8 + j] =
                                r < 0 || q < 0 ? 0.5 : x[0].data()[(b * 4 + r) * 5 + q];
                          }
                      return out;
                    }});
  }
  return rows;
}

}  // namespace kindling::test
