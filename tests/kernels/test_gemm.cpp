// kindling::kernels::gemm against gemm_reference: all four transpose combinations, odd sizes
// around the micro-tile and cache-block edges, padded leading dimensions, alpha/beta (beta == 0
// over a C full of NaN), k == 0, every instruction-set variant this machine runs, bitwise
// agreement between 1 and 2 threads, and argument errors.
#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/tensor/gemm.hpp"
#include "kindling/tensor/gemm_isa.hpp"

namespace {

namespace kk = kindling::kernels;

struct gemm_case {
  bool trans_a, trans_b;
  std::int64_t m, n, k;
  std::int64_t pad_a, pad_b, pad_c;  // leading dimension = columns + pad
  double alpha, beta;
};

std::string describe(const gemm_case& g) {
  std::ostringstream s;
  s << (g.trans_a ? 'T' : 'N') << (g.trans_b ? 'T' : 'N') << " m=" << g.m << " n=" << g.n
    << " k=" << g.k << " pads=" << g.pad_a << "," << g.pad_b << "," << g.pad_c
    << " alpha=" << g.alpha << " beta=" << g.beta;
  return s.str();
}

// Operands of one case. Padding columns of A and B hold NaN, so a kernel that reads past the
// leading dimension's valid part poisons its result; C's padding holds a sentinel that must
// survive. With beta == 0, C's valid part is NaN too: the contract says C is not read.
template <class T>
struct operands {
  std::int64_t lda, ldb, ldc;
  std::vector<T> a, b, c0;

  operands(const gemm_case& g, std::uint32_t seed) {
    const std::int64_t a_rows = g.trans_a ? g.k : g.m, a_cols = g.trans_a ? g.m : g.k;
    const std::int64_t b_rows = g.trans_b ? g.n : g.k, b_cols = g.trans_b ? g.k : g.n;
    lda = a_cols + g.pad_a;
    ldb = b_cols + g.pad_b;
    ldc = g.n + g.pad_c;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    std::mt19937 rng(seed);
    std::uniform_real_distribution<T> dist(-1, 1);
    auto fill = [&](std::vector<T>& v, std::int64_t rows, std::int64_t cols, std::int64_t ld,
                    bool valid_nan, T pad_value) {
      v.assign(static_cast<std::size_t>(rows * ld), pad_value);
      for (std::int64_t i = 0; i < rows; ++i) {
        for (std::int64_t j = 0; j < cols; ++j)
          v[i * ld + j] = valid_nan ? nan : dist(rng);
      }
    };
    fill(a, a_rows, a_cols, lda, false, nan);
    fill(b, b_rows, b_cols, ldb, false, nan);
    fill(c0, g.m, g.n, ldc, g.beta == 0, T(12345));
  }
};

// Runs gemm (through `isa`, or the dispatcher when isa is null) and checks it against the
// reference element by element, with the rounding bound gamma * (|alpha| |A||B| + |beta C|),
// computed from a second reference product of absolute values.
template <class T>
std::vector<T> check_case(const gemm_case& g, const kk::IsaLevel* isa) {
  INFO(describe(g) << (isa ? std::string(" isa=") + kk::isa_level_name(*isa) : std::string()));
  operands<T> op(g, static_cast<std::uint32_t>(g.m * 7919 + g.n * 131 + g.k));
  std::vector<T> got = op.c0, want = op.c0;
  const T alpha = static_cast<T>(g.alpha), beta = static_cast<T>(g.beta);
  if (isa) {
    kk::gemm_with_isa<T>(*isa, g.trans_a, g.trans_b, g.m, g.n, g.k, alpha, op.a.data(), op.lda,
                         op.b.data(), op.ldb, beta, got.data(), op.ldc);
  } else {
    kk::gemm<T>(g.trans_a, g.trans_b, g.m, g.n, g.k, alpha, op.a.data(), op.lda, op.b.data(),
                op.ldb, beta, got.data(), op.ldc);
  }
  kk::gemm_reference<T>(g.trans_a, g.trans_b, g.m, g.n, g.k, alpha, op.a.data(), op.lda,
                        op.b.data(), op.ldb, beta, want.data(), op.ldc);
  // |A| and |B| with zeroed padding, for the error bound.
  auto absolute = [](std::vector<T> v) {
    for (auto& x : v)
      x = std::isnan(x) ? T(0) : std::abs(x);
    return v;
  };
  const std::vector<T> abs_a = absolute(op.a), abs_b = absolute(op.b);
  std::vector<T> bound(op.c0.size(), T(0));
  kk::gemm_reference<T>(g.trans_a, g.trans_b, g.m, g.n, g.k, T(1), abs_a.data(), op.lda,
                        abs_b.data(), op.ldb, T(0), bound.data(), op.ldc);
  const T gamma = static_cast<T>(2 * (g.k + 2)) * std::numeric_limits<T>::epsilon();
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < g.m; ++i) {
    for (std::int64_t j = 0; j < op.ldc; ++j) {
      const std::size_t at = static_cast<std::size_t>(i * op.ldc + j);
      if (j >= g.n) {
        // Padding of C is never written.
        if (!(got[at] == T(12345))) ++bad;
        continue;
      }
      const T c_term = g.beta == 0 ? T(0) : std::abs(beta * op.c0[at]);
      const T tol = gamma * (std::abs(alpha) * bound[at] + c_term) + std::numeric_limits<T>::min();
      if (!(std::abs(got[at] - want[at]) <= tol)) {
        if (bad < 5) {
          UNSCOPED_INFO("C(" << i << ", " << j << ") = " << got[at] << ", reference " << want[at]
                             << ", tolerance " << tol);
        }
        ++bad;
      }
    }
  }
  CHECK(bad == 0);
  return got;
}

std::vector<gemm_case> cases() {
  std::vector<gemm_case> v;
  const bool flags[2] = {false, true};
  // Odd sizes around micro-tile edges (MR, NR and vector widths for every variant).
  const std::int64_t sizes[] = {1, 7, 17, 33, 65, 129};
  for (bool ta : flags) {
    for (bool tb : flags) {
      for (std::int64_t m : sizes) {
        for (std::int64_t n : sizes) {
          for (std::int64_t k : {std::int64_t{1}, std::int64_t{17}, std::int64_t{65}}) {
            v.push_back({ta, tb, m, n, k, 0, 0, 0, 1.0, 0.0});
          }
        }
      }
      // Padded leading dimensions and the alpha/beta forms.
      v.push_back({ta, tb, 33, 65, 17, 3, 5, 7, 1.0, 1.0});
      v.push_back({ta, tb, 65, 33, 129, 1, 16, 2, -0.5, 0.75});
      v.push_back({ta, tb, 17, 129, 33, 9, 0, 31, 2.0, 0.0});
      v.push_back({ta, tb, 7, 7, 7, 1, 1, 1, 1.0, -1.0});
      // Several k blocks (k > KC), row blocks (m > MC) and a narrow result.
      v.push_back({ta, tb, 300, 70, 530, 4, 3, 5, 0.5, 0.25});
      v.push_back({ta, tb, 13, 4200, 20, 0, 8, 0, 1.0, 1.0});  // n > NC: several column blocks
      // Multiples of the vector width, where B and a transposed A are read in place.
      v.push_back({ta, tb, 40, 48, 33, 0, 0, 0, 1.0, 0.0});
      v.push_back({ta, tb, 129, 64, 17, 2, 3, 16, 1.0, 0.5});
      v.push_back({ta, tb, 16, 96, 300, 0, 0, 0, -1.0, 1.0});
      v.push_back({ta, tb, 100, 10, 40, 0, 1, 0, 1.0, 0.0});  // narrow: computed as C^T
      v.push_back({ta, tb, 50, 3, 7, 3, 0, 2, 2.0, 1.0});
      v.push_back({ta, tb, 100, 10, 40, 1, 2, 3, 0.5, 0.75});  // transposed tiles with beta
      v.push_back({ta, tb, 70, 4, 33, 0, 0, 0, 1.0, 1.0});
      v.push_back({ta, tb, 40, 12, 20, 0, 0, 5, -2.0, 2.0});
      // MLP shapes: forward, dW = X^T dY, dX = dY W^T at batch 64.
      v.push_back({ta, tb, 64, 256, 784, 0, 0, 0, 1.0, 0.0});
      v.push_back({ta, tb, 784, 256, 64, 0, 0, 0, 1.0, 1.0});
      v.push_back({ta, tb, 64, 10, 128, 0, 0, 0, 1.0, 0.0});
    }
  }
  return v;
}

}  // namespace

TEST_CASE("gemm matches the reference, float", "[gemm]") {
  for (const gemm_case& g : cases())
    check_case<float>(g, nullptr);
}

TEST_CASE("gemm matches the reference, double", "[gemm]") {
  for (const gemm_case& g : cases())
    check_case<double>(g, nullptr);
}

TEST_CASE("gemm with k == 0 or alpha == 0 scales C by beta", "[gemm]") {
  for (int dtype = 0; dtype < 2; ++dtype) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> c = {1, 2, 3, 4, 5, 6};
    const float a[6] = {nan, nan, nan, nan, nan, nan};
    // k == 0: A and B are never read; C = beta * C.
    kk::gemm<float>(false, false, 2, 3, 0, 1.0f, a, 0, a, 3, 2.0f, c.data(), 3);
    CHECK(c == std::vector<float>{2, 4, 6, 8, 10, 12});
    // beta == 0 over NaN: C becomes 0, never NaN.
    std::vector<float> d(6, nan);
    kk::gemm<float>(false, false, 2, 3, 0, 1.0f, a, 0, a, 3, 0.0f, d.data(), 3);
    CHECK(d == std::vector<float>(6, 0.0f));
    // alpha == 0: op(A) op(B) is not evaluated.
    kk::gemm<float>(true, true, 2, 3, 1, 0.0f, a, 2, a, 1, 0.5f, c.data(), 3);
    CHECK(c == std::vector<float>{1, 2, 3, 4, 5, 6});
    (void)dtype;
  }
  // Empty results touch nothing (null pointers are fine).
  kk::gemm<double>(false, false, 0, 5, 3, 1.0, nullptr, 3, nullptr, 5, 0.0, nullptr, 5);
  kk::gemm<double>(false, false, 5, 0, 3, 1.0, nullptr, 3, nullptr, 0, 0.0, nullptr, 0);
}

TEST_CASE("every gemm instruction set this CPU runs agrees with the reference", "[gemm]") {
  const kk::IsaLevel all[] = {kk::IsaLevel::baseline, kk::IsaLevel::avx2, kk::IsaLevel::avx512};
  const std::vector<gemm_case> table = {
      {false, false, 129, 65, 300, 0, 0, 0, 1.0, 0.0},
      {true, false, 33, 129, 17, 2, 1, 3, -1.0, 0.5},
      {false, true, 65, 33, 129, 0, 5, 0, 1.0, 1.0},
      {true, true, 17, 7, 65, 1, 0, 0, 0.5, 0.0},
      {false, false, 64, 256, 784, 0, 0, 0, 1.0, 0.0},
      {true, false, 784, 256, 64, 0, 0, 0, 1.0, 0.0},
      {false, true, 64, 784, 256, 0, 0, 0, 1.0, 0.0},
      {true, false, 128, 10, 64, 0, 0, 0, 1.0, 0.5},  // narrow results: C^T on wide vectors
      {false, false, 64, 3, 50, 0, 0, 0, 1.0, 0.5},
      {false, true, 66, 2, 9, 0, 0, 0, 1.0, 0.0},
  };
  int ran = 0;
  for (kk::IsaLevel isa : all) {
    if (!kk::gemm_isa_supported(isa)) {
      WARN("gemm variant " << kk::isa_level_name(isa) << " not supported here: skipped");
      CHECK_THROWS_AS(kk::gemm_with_isa<float>(isa, false, false, 1, 1, 1, 1.0f, nullptr, 1,
                                               nullptr, 1, 0.0f, nullptr, 1),
                      kindling::error);
      continue;
    }
    ++ran;
    for (const gemm_case& g : table) {
      check_case<float>(g, &isa);
      check_case<double>(g, &isa);
    }
  }
  CHECK(ran >= 1);
  // The dispatcher runs the best supported variant.
  CHECK(kk::gemm_isa_supported(kk::gemm_active_isa()));
}

TEST_CASE("gemm gives bitwise the same result on 1 and 2 threads", "[gemm][threads]") {
  const std::vector<gemm_case> table = {
      {false, false, 64, 256, 784, 0, 0, 0, 1.0, 0.0},   // MLP forward
      {true, false, 784, 256, 64, 0, 0, 0, 1.0, 1.0},    // dW = X^T dY
      {false, true, 64, 784, 256, 0, 0, 0, 1.0, 0.0},    // dX = dY W^T
      {false, false, 300, 301, 302, 1, 2, 3, 0.5, 0.5},  // rows split, odd edges
      {true, true, 257, 129, 513, 0, 0, 0, 1.0, 0.0},
      {false, false, 5, 700, 300, 0, 0, 0, 1.0, 0.0},  // columns split
      {true, false, 256, 10, 256, 0, 0, 0, 1.0, 0.0},  // narrow, computed as C^T
      {false, false, 512, 512, 512, 0, 0, 0, 1.0, 0.0},
  };
  const int saved = omp_get_max_threads();
  // Busy cores must not quietly turn the 2-thread runs into 1-thread ones.
  kk::gemm_set_contention_fallback(false);
  for (const gemm_case& g : table) {
    INFO(describe(g));
    omp_set_num_threads(1);
    const std::vector<float> one = check_case<float>(g, nullptr);
    const std::vector<double> one_d = check_case<double>(g, nullptr);
    omp_set_num_threads(2);
    const std::vector<float> two = check_case<float>(g, nullptr);
    const std::vector<double> two_d = check_case<double>(g, nullptr);
    CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(one_d.data(), two_d.data(), one_d.size() * sizeof(double)) == 0);
  }
  omp_set_num_threads(saved);
  kk::gemm_set_contention_fallback(true);
}

TEST_CASE("gemm rejects bad arguments with kindling::error", "[gemm][errors]") {
  std::vector<float> a(64, 1.0f), b(64, 1.0f), c(64, 0.0f);
  auto message = [](auto&& call) {
    try {
      call();
    } catch (const kindling::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(message([&] {
               kk::gemm<float>(false, false, -1, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f,
                               c.data(), 2);
             }),
             Contains("gemm") && Contains("m = -1"));
  // A is (3, 4) row-major: lda must be at least 4.
  CHECK_THAT(message([&] {
               kk::gemm<float>(false, false, 3, 2, 4, 1.0f, a.data(), 3, b.data(), 2, 0.0f,
                               c.data(), 2);
             }),
             Contains("gemm") && Contains("lda = 3"));
  // Transposed A is stored (k, m) = (4, 3): lda must be at least 3.
  CHECK_NOTHROW(
      kk::gemm<float>(true, false, 3, 2, 4, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(), 2));
  CHECK_THAT(message([&] {
               kk::gemm<float>(false, true, 3, 5, 4, 1.0f, a.data(), 4, b.data(), 3, 0.0f, c.data(),
                               5);
             }),
             Contains("gemm") && Contains("ldb = 3"));
  CHECK_THAT(message([&] {
               kk::gemm<double>(false, false, 2, 5, 2, 1.0, nullptr, 2, nullptr, 5, 0.0, nullptr,
                                4);
             }),
             Contains("gemm") && Contains("ldc = 4"));
}
