// GEMM: the matrix-multiply kernel behind matmul and its backward.
#pragma once

#include <cstdint>

namespace kindling::kernels {

// C = alpha * op(A) * op(B) + beta * C, row-major.
//   op(A) is (m, k): A itself with leading dimension lda (A is (m, k)), or, when trans_a, the
//   transpose of the (k, m) matrix A with leading dimension lda. Likewise op(B) is (k, n).
//   C is (m, n) with leading dimension ldc. beta == 0 means C is not read (it may hold NaN).
// Threads: OpenMP inside; call it from one thread.
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
          std::int64_t ldc);

// The same contract, computed by the plain triple loop: the reference the tests and benchmarks
// check gemm() against.
template <class T>
void gemm_reference(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                    T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta,
                    T* c, std::int64_t ldc);

extern template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                                 const float*, std::int64_t, const float*, std::int64_t, float,
                                 float*, std::int64_t);
extern template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                                  const double*, std::int64_t, const double*, std::int64_t, double,
                                  double*, std::int64_t);
extern template void gemm_reference<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t,
                                           float, const float*, std::int64_t, const float*,
                                           std::int64_t, float, float*, std::int64_t);
extern template void gemm_reference<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t,
                                            double, const double*, std::int64_t, const double*,
                                            std::int64_t, double, double*, std::int64_t);

}  // namespace kindling::kernels
