// CUDA batched matmul: out (..., m, n) = a (..., m, k) x b (..., k, n), any strides (transposed
// views are read in place), broadcast batch dimensions with stride 0. CPU twin: matmul in
// tensor/src/cpu/linalg_index.cpp (the packed GEMM of tensor/src/gemm*.cpp).
//
// Note [gpu gemm]
// float32 runs sgemm_kernel: a 128 x 128 output tile per block of 256 threads, k in steps of 8
// through shared memory (double-buffered: the next step's tiles are loaded into registers while
// the current ones are multiplied), and an 8 x 8 register block per thread, laid out as two 4 x 4
// quadrants 64 rows/columns apart so that a quarter-warp reads 128 consecutive bytes of shared
// memory (no bank conflicts). Global loads are mapped so that neighbouring threads read
// neighbouring addresses whichever dimension of an operand is contiguous. float64 (gradient
// checks) runs the plain 16 x 16 tiled kernel. With -DKINDLING_GPU_CUBLAS=ON and
// KINDLING_GPU_GEMM=cublas in the environment, float32 products go to cuBLAS instead (an opt-in
// switch and a reference, never the default).
#include <cstdlib>
#include <cstring>

#include "common.cuh"
#include "launchers.hpp"

#ifdef KINDLING_GPU_WITH_CUBLAS
#include <cublas_v2.h>
#endif

namespace kindling::gpu {

using namespace device;

namespace {

inline constexpr int kBatchDims = kMaxDims - 2;

struct MatmulArgs {
  index_t m = 0, n = 0, k = 0;
  index_t a_rs = 0, a_cs = 0, b_rs = 0, b_cs = 0, o_rs = 0, o_cs = 0;  // row / column strides
  int batch_ndim = 0;
  index_t batches = 1;
  index_t batch_shape[kBatchDims] = {};
  index_t a_bs[kBatchDims] = {}, b_bs[kBatchDims] = {}, o_bs[kBatchDims] = {};
};

__device__ inline void batch_offsets(const MatmulArgs& g, index_t batch, index_t& oa, index_t& ob,
                                     index_t& oo) {
  oa = ob = oo = 0;
  for (int d = g.batch_ndim - 1; d >= 0; --d) {
    const index_t i = batch % g.batch_shape[d];
    batch /= g.batch_shape[d];
    oa += i * g.a_bs[d];
    ob += i * g.b_bs[d];
    oo += i * g.o_bs[d];
  }
}

constexpr int BM = 128, BN = 128, BK = 8;
constexpr int kGemmThreads = 256;
constexpr int kLoads = BM * BK / kGemmThreads;  // elements of each tile one thread loads: 4

// (m, k) x (k, n) -> (m, n) per batch, float32. Grid: (n / 128, m / 128, batches), 256 threads;
// y and z capped at 65535, the rest covered by the loops.
__global__ void __launch_bounds__(kGemmThreads)
    sgemm_kernel(MatmulArgs g, const float* __restrict__ a, const float* __restrict__ b,
                 float* __restrict__ out) {
  __shared__ __align__(16) float as[2][BK][BM];  // a's tile, k-major: as[k][row]
  __shared__ __align__(16) float bs[2][BK][BN];  // b's tile: bs[k][col]
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const bool a_rows_contiguous = g.a_rs == 1 && g.a_cs != 1;  // a transposed view
  const bool b_cols_contiguous = g.b_cs == 1 || g.b_rs != 1;
  const index_t col0 = index_t(blockIdx.x) * BN;

  // Row tiles in a grid-stride loop too: gridDim.y stops at 65535 (m up to 8M rows otherwise).
  for (index_t batch = blockIdx.z; batch < g.batches; batch += gridDim.z)
    for (index_t row0 = index_t(blockIdx.y) * BM; row0 < g.m; row0 += index_t(gridDim.y) * BM) {
      index_t oa, ob, oo;
      batch_offsets(g, batch, oa, ob, oo);
      const float* pa = a + oa;
      const float* pb = b + ob;

      // Where element e of this thread's share of a tile sits: (k, row) of a, (k, col) of b.
      auto a_slot = [&](int e, int& kk, int& mm) {
        const int idx = tid + e * kGemmThreads;
        if (a_rows_contiguous) {
          mm = idx % BM;
          kk = idx / BM;
        } else {
          kk = idx % BK;
          mm = idx / BK;
        }
      };
      auto b_slot = [&](int e, int& kk, int& nn) {
        const int idx = tid + e * kGemmThreads;
        if (b_cols_contiguous) {
          nn = idx % BN;
          kk = idx / BN;
        } else {
          kk = idx % BK;
          nn = idx / BK;
        }
      };
      float ra[kLoads], rb[kLoads];
      auto load = [&](index_t k0) {
#pragma unroll
        for (int e = 0; e < kLoads; ++e) {
          int kk, mm;
          a_slot(e, kk, mm);
          const index_t i = row0 + mm, p = k0 + kk;
          ra[e] = (i < g.m && p < g.k) ? pa[i * g.a_rs + p * g.a_cs] : 0.0f;
          int kb, nn;
          b_slot(e, kb, nn);
          const index_t q = k0 + kb, j = col0 + nn;
          rb[e] = (q < g.k && j < g.n) ? pb[q * g.b_rs + j * g.b_cs] : 0.0f;
        }
      };
      auto store = [&](int buf) {
#pragma unroll
        for (int e = 0; e < kLoads; ++e) {
          int kk, mm;
          a_slot(e, kk, mm);
          as[buf][kk][mm] = ra[e];
          int kb, nn;
          b_slot(e, kb, nn);
          bs[buf][kb][nn] = rb[e];
        }
      };

      float acc[8][8] = {};
      load(0);
      store(0);
      __syncthreads();
      int buf = 0;
      for (index_t k0 = 0; k0 < g.k; k0 += BK) {
        const bool more = k0 + BK < g.k;
        if (more) load(k0 + BK);  // in flight while this tile is multiplied
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
          float fa[8], fb[8];
          const float4 a0 = *reinterpret_cast<const float4*>(&as[buf][kk][ty * 4]);
          const float4 a1 = *reinterpret_cast<const float4*>(&as[buf][kk][64 + ty * 4]);
          const float4 b0 = *reinterpret_cast<const float4*>(&bs[buf][kk][tx * 4]);
          const float4 b1 = *reinterpret_cast<const float4*>(&bs[buf][kk][64 + tx * 4]);
          fa[0] = a0.x, fa[1] = a0.y, fa[2] = a0.z, fa[3] = a0.w;
          fa[4] = a1.x, fa[5] = a1.y, fa[6] = a1.z, fa[7] = a1.w;
          fb[0] = b0.x, fb[1] = b0.y, fb[2] = b0.z, fb[3] = b0.w;
          fb[4] = b1.x, fb[5] = b1.y, fb[6] = b1.z, fb[7] = b1.w;
#pragma unroll
          for (int i = 0; i < 8; ++i)
#pragma unroll
            for (int j = 0; j < 8; ++j)
              acc[i][j] = fmaf(fa[i], fb[j], acc[i][j]);
        }
        // One barrier per step suffices: the other buffer was last read before the previous one.
        if (more) store(buf ^ 1);
        __syncthreads();
        buf ^= 1;
      }

      float* po = out + oo;
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const index_t r = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
        if (r >= g.m) continue;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          const index_t c = col0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + (j - 4));
          if (c < g.n) po[r * g.o_rs + c * g.o_cs] = acc[i][j];
        }
      }
    }
}

constexpr int TILE = 16;

// (m, k) x (k, n) -> (m, n) per batch, any T: 16 x 16 tiles through shared memory, one output
// per thread. Grid: (n / 16, m / 16, batches), 16 x 16 threads.
template <class T>
__global__ void gemm_tiled_kernel(MatmulArgs g, const T* a, const T* b, T* out) {
  __shared__ T ta[TILE][TILE + 1];  // +1: no bank conflicts when read by column
  __shared__ T tb[TILE][TILE + 1];
  const index_t c = index_t(blockIdx.x) * TILE + threadIdx.x;
  // Row tiles in a grid-stride loop: gridDim.y stops at 65535 (m up to 1M rows otherwise). The
  // loop bound is the tile's first row, the same for every thread (barriers inside).
  for (index_t batch = blockIdx.z; batch < g.batches; batch += gridDim.z)
    for (index_t r0 = index_t(blockIdx.y) * TILE; r0 < g.m; r0 += index_t(gridDim.y) * TILE) {
      const index_t r = r0 + threadIdx.y;
      index_t oa, ob, oo;
      batch_offsets(g, batch, oa, ob, oo);
      T acc = 0;
      for (index_t k0 = 0; k0 < g.k; k0 += TILE) {
        const index_t pa = k0 + threadIdx.x, pb = k0 + threadIdx.y;
        ta[threadIdx.y][threadIdx.x] =
            (r < g.m && pa < g.k) ? a[oa + r * g.a_rs + pa * g.a_cs] : T(0);
        tb[threadIdx.y][threadIdx.x] =
            (pb < g.k && c < g.n) ? b[ob + pb * g.b_rs + c * g.b_cs] : T(0);
        __syncthreads();
#pragma unroll
        for (int p = 0; p < TILE; ++p)
          acc += ta[threadIdx.y][p] * tb[p][threadIdx.x];
        __syncthreads();
      }
      if (r < g.m && c < g.n) out[oo + r * g.o_rs + c * g.o_cs] = acc;
    }
}

#ifdef KINDLING_GPU_WITH_CUBLAS
bool use_cublas() {
  static const bool on = [] {
    const char* v = std::getenv("KINDLING_GPU_GEMM");
    return v != nullptr && std::strcmp(v, "cublas") == 0;
  }();
  return on;
}

// out = a x b through cuBLAS when the layouts allow it (row-major out, each operand contiguous
// along one dimension, at most one batch dimension); false when they do not.
bool cublas_matmul(const MatmulArgs& g, const float* a, const float* b, float* out) {
  if (g.o_cs != 1 || g.batch_ndim > 1) return false;
  static cublasHandle_t handle = [] {
    cublasHandle_t h = nullptr;
    KINDLING_CHECK(cublasCreate(&h) == CUBLAS_STATUS_SUCCESS, "matmul: cublasCreate failed");
    return h;  // kept for the process: destroying it at exit races the runtime's teardown
  }();
  // Row-major out = a b is column-major out^T = b^T a^T.
  // How cuBLAS reads a (rows, cols) row-major operand: as is (N) or transposed (T), with a
  // leading dimension it accepts (a broadcast operand with stride 0 has none: our kernel then).
  auto op_of = [](index_t rs, index_t cs, index_t rows, index_t cols, cublasOperation_t& op,
                  index_t& ld) {
    if (cs == 1 || cols == 1) {
      op = CUBLAS_OP_N;
      ld = rows == 1 ? std::max<index_t>(cols, 1) : rs;
      if (ld >= std::max<index_t>(cols, 1)) return true;
    }
    if (rs == 1 || rows == 1) {
      op = CUBLAS_OP_T;
      ld = cols == 1 ? std::max<index_t>(rows, 1) : cs;
      if (ld >= std::max<index_t>(rows, 1)) return true;
    }
    return false;
  };
  cublasOperation_t opa, opb;
  index_t lda, ldb;
  if (!op_of(g.a_rs, g.a_cs, g.m, g.k, opa, lda) || !op_of(g.b_rs, g.b_cs, g.k, g.n, opb, ldb))
    return false;
  const float one = 1.0f, zero = 0.0f;
  const index_t sa = g.batch_ndim ? g.a_bs[0] : 0, sb = g.batch_ndim ? g.b_bs[0] : 0,
                so = g.batch_ndim ? g.o_bs[0] : 0;
  const cublasStatus_t status =
      cublasSgemmStridedBatched(handle, opb, opa, int(g.n), int(g.m), int(g.k), &one, b, int(ldb),
                                sb, a, int(lda), sa, &zero, out, int(g.o_rs), so, int(g.batches));
  KINDLING_CHECK(status == CUBLAS_STATUS_SUCCESS, "matmul: cublasSgemmStridedBatched failed (",
                 int(status), ")");
  detail::check_launch("cublasSgemmStridedBatched", __FILE__, __LINE__);
  return true;
}
#endif

}  // namespace

void matmul(const StridedView& a, const StridedView& b, const StridedView& out) {
  const int nd = out.ndim;
  KINDLING_CHECK(nd >= 2 && a.ndim == nd && b.ndim == nd,
                 "matmul: cuda kernel expects operands "
                 "of equal rank >= 2, got ",
                 a.ndim, ", ", b.ndim, " and ", nd);
  MatmulArgs g;
  g.m = out.shape[nd - 2];
  g.n = out.shape[nd - 1];
  g.k = a.shape[nd - 1];
  g.a_rs = a.strides[nd - 2], g.a_cs = a.strides[nd - 1];
  g.b_rs = b.strides[nd - 2], g.b_cs = b.strides[nd - 1];
  g.o_rs = out.strides[nd - 2], g.o_cs = out.strides[nd - 1];
  for (int d = 0; d < nd - 2; ++d) {
    if (out.shape[d] == 1) continue;
    g.batch_shape[g.batch_ndim] = out.shape[d];
    g.a_bs[g.batch_ndim] = a.strides[d];
    g.b_bs[g.batch_ndim] = b.strides[d];
    g.o_bs[g.batch_ndim] = out.strides[d];
    ++g.batch_ndim;
    g.batches *= out.shape[d];
  }
  if (g.m == 0 || g.n == 0 || g.batches == 0) return;
  if (g.k == 0) {  // an empty sum: zeros
    fill(out, 0.0);
    return;
  }
  const unsigned z = static_cast<unsigned>(std::min<index_t>(g.batches, 65535));
  auto rows = [&](index_t tile) {
    return static_cast<unsigned>(std::min<index_t>((g.m + tile - 1) / tile, 65535));
  };
  if (out.dtype == DType::float32) {
#ifdef KINDLING_GPU_WITH_CUBLAS
    if (use_cublas() &&
        cublas_matmul(g, static_cast<const float*>(a.data), static_cast<const float*>(b.data),
                      static_cast<float*>(out.data)))
      return;
#endif
    const dim3 grid(unsigned((g.n + BN - 1) / BN), rows(BM), z);
    sgemm_kernel<<<grid, kGemmThreads>>>(g, static_cast<const float*>(a.data),
                                         static_cast<const float*>(b.data),
                                         static_cast<float*>(out.data));
    KINDLING_CUDA_CHECK_LAUNCH("sgemm_kernel");
    return;
  }
  KINDLING_CHECK(out.dtype == DType::float64, "matmul: ", dtype_name(out.dtype),
                 " tensors are not supported");
  const dim3 grid(unsigned((g.n + TILE - 1) / TILE), rows(TILE), z);
  gemm_tiled_kernel<double><<<grid, dim3(TILE, TILE)>>>(g, static_cast<const double*>(a.data),
                                                        static_cast<const double*>(b.data),
                                                        static_cast<double*>(out.data));
  KINDLING_CUDA_CHECK_LAUNCH("gemm_tiled_kernel");
}

}  // namespace kindling::gpu
