// GEMM: the matrix-multiply kernel behind matmul and its backward.
#pragma once

#include <cstdint>

namespace kindling::kernels {

/// C = alpha * op(A) * op(B) + beta * C, row-major (BLAS's gemm), for T = float or double, on
/// the best instruction set the CPU has (Note [gemm dispatch] in gemm_isa.hpp).
///   op(A) is (m, k): A itself with leading dimension lda (A is (m, k)), or, when trans_a, the
///   transpose of the (k, m) matrix A with leading dimension lda. Likewise op(B) is (k, n).
///   C is (m, n) with leading dimension ldc. beta == 0 means C is not read (it may hold NaN).
/// Threads: OpenMP inside; call it from one thread. Results do not depend on the thread count
/// (Note [gemm determinism]).
/// @throws kindling::error for a negative size, a leading dimension smaller than its matrix's
///         columns, or a null matrix that would be read or written.
/// @code
/// const float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 0, 0, 1, 1, 1};  // (2, 3) and (3, 2)
/// float c[4];
/// kindling::kernels::gemm(false, false, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2);
/// // c = {4, 5, 10, 11}
/// @endcode
template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
          std::int64_t ldc);

/// The same contract, computed by the plain triple loop: the reference the tests and benchmarks
/// check gemm() against.
template <class T>
void gemm_reference(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                    T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta,
                    T* c, std::int64_t ldc);

// Hidden from Doxygen: these extern template declarations (the instantiations are in gemm.cpp)
// would be documented as more overloads, and Sphinx's C++ parser cannot read them.
/// @cond KINDLING_EXPLICIT_INSTANTIATIONS
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
/// @endcond

}  // namespace kindling::kernels
