// The packed GEMM engine, written once over an xsimd architecture and instantiated by each
// per-instruction-set translation unit (gemm_avx512.cpp, gemm_avx2.cpp, gemm_generic.cpp).
//
// Note [gemm blocking]
// The classic five-loop structure of a high-performance GEMM:
//   jc: columns of C in blocks of NC      (a packed B block, kc x nc, lives in L3 / L2)
//   pc: the k dimension in blocks of KC   (C is updated once per k block)
//   ic: rows of C in blocks of MC         (a packed A block, mc x kc, lives in L2)
//   jr: columns in micro-panels of NR     (one B micro-panel, kc x NR, stays hot in L1)
//   ir: rows in micro-panels of MR        (the micro-kernel: an MR x NR tile of C in registers)
// Packing copies op(A) and op(B) into contiguous, zero-padded panels in exactly the order the
// micro-kernel reads them, so a transposed operand costs nothing beyond a different packing
// loop, and the micro-kernel always streams unit-stride memory.
//
// Note [gemm odr]
// This header is compiled several times with different -m flags. Everything here is a template
// over the xsimd architecture, so each TU's instantiations have distinct mangled names and the
// linker can never pick an AVX-512 copy of a function for the baseline code path. For the same
// reason no std algorithm templates are used here (their instantiations would be shared).
//
// Note [gemm determinism]
// Every element of C is accumulated over k in the same order, with the same blocking, whatever
// the thread count and whichever tile shape covers it, and edge tiles go through the same vector
// arithmetic as full tiles. Results are therefore bitwise identical for any OMP_NUM_THREADS.
#pragma once

#include <omp.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <xsimd/xsimd.hpp>
#if defined(__AVX__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "gemm_internal.hpp"

namespace kindling::kernels::gemm_detail {

// Register and cache blocking of one (architecture, type) pair; see Note [gemm blocking].
//   MR x (NV vectors): the micro-tile; MR * NV accumulators plus NV loads of B and one broadcast
//   of A must fit in the register file.
template <int MR_, int NV_, int KC_, int MC_, int NC_>
struct blocking {
  static constexpr int MR = MR_;
  static constexpr int NV = NV_;
  static constexpr int KC = KC_;
  static constexpr int MC = MC_;
  static constexpr int NC = NC_;
};

template <class Arch, class T, class Blk>
class engine {
 public:
  using batch = xsimd::batch<T, Arch>;
  static constexpr int W = static_cast<int>(batch::size);
  static constexpr int MR = Blk::MR;
  static constexpr int NV = Blk::NV;
  static constexpr int NR = NV * W;

  // Entry point: C = alpha * op(A) * op(B) + beta * C with `threads` OpenMP threads.
  // The dispatcher has already handled empty shapes, k == 0 and alpha == 0.
  static void run(const problem<T>& g, int threads) {
    // A result narrower than one vector (the MLP's 10 logits) would leave most lanes of every
    // tile idle and make each FMA wait for its own broadcast. Computing C^T = op(B)^T op(A)^T
    // instead puts the long dimension in the vector lanes; the micro-kernel then writes its
    // tiles transposed. Same products, same k order: the same bits (Note [gemm determinism]).
    if (g.n < W && g.m >= 2 * W) {
      const view t{!g.trans_b, !g.trans_a, g.n,   g.m,    g.k, g.alpha, g.b,
                   g.ldb,      g.a,        g.lda, g.beta, g.c, 1,       g.ldc};
      run_view(t, threads);
    } else {
      const view v{g.trans_a, g.trans_b, g.m,   g.n,    g.k, g.alpha, g.a,
                   g.lda,     g.b,       g.ldb, g.beta, g.c, g.ldc,   1};
      run_view(v, threads);
    }
  }

 private:
  // A problem as the engine sees it: C addressed with a row and a column stride, so that a
  // transposed C (c_cs = ldc) is just another view.
  struct view {
    bool trans_a, trans_b;
    std::int64_t m, n, k;
    T alpha;
    const T* a;
    std::int64_t lda;
    const T* b;
    std::int64_t ldb;
    T beta;
    T* c;
    std::int64_t c_rs, c_cs;
  };

  static void run_view(const view& g, int threads) {
    sizes s = plan(g);
    // Two ways to split C between threads:
    // - by rows, sharing one packed B block (packed cooperatively, double-buffered): no
    //   operand is packed twice; the price is one barrier per (jc, pc) block. Used when C has
    //   enough rows to give each thread several micro-panels.
    // - by columns, fully independent: each thread packs its own B columns and the whole of A.
    //   A is small when m is small (the MLP's batch dimension), and no barrier is needed.
    const std::int64_t row_panels = ceil_div(g.m, MR);
    const bool by_rows = threads > 1 && row_panels >= 4 * threads && g.m >= g.n / 2;
    const std::int64_t rows =
        by_rows ? ceil_div(row_panels, threads) * MR : g.m;  // per thread, at most
    const std::int64_t cols =
        threads > 1 && !by_rows ? ceil_div(ceil_div(g.n, NR), threads) * NR : g.n;
    // Note [gemm small problems]
    // Packing pays for itself by being reused: a packed B micro-panel serves every row panel of
    // an MC block, a packed A block every column panel. When a thread's share of C has a single
    // row block (the MLP's batch of 64 or 256), B is read once per row panel anyway, and a
    // row-major B is already contiguous along n: read it in place (whole vectors only, so n must
    // be a multiple of W). Likewise a transposed A is contiguous along m at each k step; read
    // it in place when only a few column panels reuse it. This removes the packing traffic
    // that dominates small products, and with it the threads' shared buffer and barriers.
    s.direct_b = !g.trans_b && rows <= s.mc && g.n % W == 0;
    s.direct_a = g.trans_a && cols <= 4 * NR;
    if (threads <= 1) {
      T* bufs[2] = {s.direct_b ? nullptr : static_cast<T*>(scratch(1, s.b_bytes)), nullptr};
      blocked(g, s, 0, g.m, 0, g.n, bufs, 0, 1);
      return;
    }
    if (by_rows) {
      T* shared[2] = {nullptr, nullptr};
      if (!s.direct_b) {
        shared[0] = static_cast<T*>(scratch(1, 2 * s.b_bytes));
        shared[1] = shared[0] + s.b_bytes / sizeof(T);
      }
#pragma omp parallel num_threads(threads)
      {
        const int tid = omp_get_thread_num();
        const int team = omp_get_num_threads();
        const std::int64_t i0 = min64(g.m, tid * rows);
        const std::int64_t i1 = min64(g.m, i0 + rows);
        // Every thread runs the same jc/pc loops (and so meets the same barriers), even one
        // whose row range is empty.
        blocked(g, s, i0, i1, 0, g.n, shared, tid, team);
      }
    } else {
#pragma omp parallel num_threads(threads)
      {
        const int tid = omp_get_thread_num();
        const std::int64_t j0 = min64(g.n, tid * cols);
        const std::int64_t j1 = min64(g.n, j0 + cols);
        if (j0 < j1) {
          T* bufs[2] = {s.direct_b ? nullptr : static_cast<T*>(scratch(1, s.b_bytes)), nullptr};
          blocked(g, s, 0, g.m, j0, j1, bufs, 0, 1);
        }
      }
    }
  }

  static constexpr std::int64_t min64(std::int64_t x, std::int64_t y) {
    return x < y ? x : y;
  }
  static constexpr std::int64_t ceil_div(std::int64_t x, std::int64_t y) {
    return (x + y - 1) / y;
  }
  static constexpr std::int64_t round_up(std::int64_t x, std::int64_t y) {
    return ceil_div(x, y) * y;
  }

  // Block sizes of one call: the nominal KC/MC/NC, evened out so that the last block is not a
  // sliver (k = 784 runs as 4 x 196, not 3 x 256 + 16).
  struct sizes {
    std::int64_t kc, mc, nc;
    std::size_t a_bytes, b_bytes;
    // Read an operand in place instead of packing it (Note [gemm small problems]).
    bool direct_a = false, direct_b = false;
  };
  static sizes plan(const view& g) {
    sizes s{};
    s.kc = ceil_div(g.k, ceil_div(g.k, Blk::KC));
    s.mc = round_up(ceil_div(g.m, ceil_div(g.m, Blk::MC)), MR);
    s.nc = round_up(ceil_div(g.n, ceil_div(g.n, Blk::NC)), NR);
    s.a_bytes = static_cast<std::size_t>(s.mc * s.kc) * sizeof(T);
    s.b_bytes = static_cast<std::size_t>(s.nc * s.kc) * sizeof(T);
    return s;
  }

  // ---- micro-kernel -------------------------------------------------------------------------
  // C[0:MRE, 0:n_valid] = alpha * (A panel x B panel) + beta * C  (beta == 0: C is not read);
  // element (r, j) of the tile is c[r * rs + j * cs].
  //   ap: A micro-panel, k-major: k step p holds the MRE values ap[p * a_step + r]. Packed
  //       (a_step = MR), or op(A)^T read in place when A is stored transposed (a_step = lda).
  //   bp: B micro-panel, k-major: k step p holds bp[p * b_step + 0 .. NVE * W). Packed and
  //       zero-padded (b_step = NVE * W), or B read in place (b_step = ldb; whole vectors only).
  // The MRE x NVE accumulators stay in registers for the whole k loop; each k step loads NVE
  // vectors of B and broadcasts MRE scalars of A into MRE * NVE fused multiply-adds.
  using micro_fn = void (*)(std::int64_t kc, const T* ap, std::int64_t a_step, const T* bp,
                            std::int64_t b_step, T* c, std::int64_t rs, std::int64_t cs,
                            std::int64_t n_valid, T alpha, T beta);

  template <int MRE, int NVE>
  static void micro(std::int64_t kc, const T* __restrict ap, std::int64_t a_step,
                    const T* __restrict bp, std::int64_t b_step, T* __restrict c, std::int64_t rs,
                    std::int64_t cs, std::int64_t n_valid, T alpha, T beta) {
    // Ask for the C tile now, so that its lines arrive while the k loop runs.
    if (cs == 1) {
#pragma GCC unroll 32
      for (int r = 0; r < MRE; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < NVE; ++v)
          __builtin_prefetch(c + r * rs + v * W, 1, 3);
      }
    }
    batch acc[MRE][NVE];
#pragma GCC unroll 32
    for (int r = 0; r < MRE; ++r) {
#pragma GCC unroll 8
      for (int v = 0; v < NVE; ++v)
        acc[r][v] = batch(T(0));
    }
    for (std::int64_t p = 0; p < kc; ++p) {
      batch bv[NVE];
#pragma GCC unroll 8
      for (int v = 0; v < NVE; ++v)
        bv[v] = batch::load_unaligned(bp + v * W);
#pragma GCC unroll 32
      for (int r = 0; r < MRE; ++r) {
        const batch av(ap[r]);
#pragma GCC unroll 8
        for (int v = 0; v < NVE; ++v)
          acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
      }
      ap += a_step;
      bp += b_step;
    }
    const batch va(alpha);
    const batch vb(beta);
    if (cs == 1 && n_valid == NVE * W) {
#pragma GCC unroll 32
      for (int r = 0; r < MRE; ++r) {
        T* cr = c + r * rs;
#pragma GCC unroll 8
        for (int v = 0; v < NVE; ++v) {
          batch out = acc[r][v] * va;
          if (beta != T(0)) out = xsimd::fma(vb, batch::load_unaligned(cr + v * W), out);
          out.store_unaligned(cr + v * W);
        }
      }
      return;
    }
    if constexpr (pow2(MRE) && MRE <= W) {
      if (rs == 1) {
        store_transposed<MRE, NVE>(acc, c, cs, n_valid, va, vb, beta);
        return;
      }
    }
    // Edge or transposed tile: go through a staging row so that the arithmetic is the very same
    // vector code as above (Note [gemm determinism]); only the valid elements are touched.
    alignas(64) T row[NVE * W] = {};
    for (int r = 0; r < MRE; ++r) {
      T* cr = c + r * rs;
      if (beta != T(0)) {
        for (std::int64_t j = 0; j < n_valid; ++j)
          row[j] = cr[j * cs];
      }
#pragma GCC unroll 8
      for (int v = 0; v < NVE; ++v) {
        batch out = acc[r][v] * va;
        if (beta != T(0)) out = xsimd::fma(vb, batch::load_aligned(row + v * W), out);
        out.store_aligned(row + v * W);
      }
      for (std::int64_t j = 0; j < n_valid; ++j)
        cr[j * cs] = row[j];
    }
  }

  // A tile of a transposed view of C (element (r, j) at c[r + j * cs]: each tile column is a
  // contiguous run of MRE values of one row of C). Transpose each MRE x W slab in registers so
  // that every tile column leaves as one short copy instead of MRE scattered scalar stores.
  template <int MRE, int NVE>
  static void store_transposed(batch (&acc)[MRE][NVE], T* __restrict c, std::int64_t cs,
                               std::int64_t n_valid, const batch& va, const batch& vb, T beta) {
    constexpr int per = W / MRE;  // tile columns per vector after the transpose
    alignas(64) T stage[W];
    for (int v = 0; v < NVE; ++v) {
      batch t[MRE];
#pragma GCC unroll 16
      for (int r = 0; r < MRE; ++r)
        t[r] = acc[r][v] * va;
      rows_to_columns<MRE>(t);
      for (int q = 0; q < MRE; ++q) {
        const std::int64_t j0 = v * W + q * per;
        if (j0 >= n_valid) break;
        const int cols = static_cast<int>(min64(per, n_valid - j0));
        batch out = t[q];
        if (beta != T(0)) {
          for (int h = 0; h < cols; ++h) {
            std::memcpy(stage + h * MRE, c + (j0 + h) * cs, MRE * sizeof(T));
          }
          out = xsimd::fma(vb, batch::load_aligned(stage), out);
        }
        out.store_aligned(stage);
        for (int h = 0; h < cols; ++h) {
          std::memcpy(c + (j0 + h) * cs, stage + h * MRE, MRE * sizeof(T));
        }
      }
    }
  }

  // Table of micro-kernels for every edge shape: entry (mr - 1) * NV + (nv - 1) handles an
  // mr-row, nv-vector tile, so edges do no work on padding rows and at most W - 1 padding columns.
  struct kernel_table {
    micro_fn fn[MR * NV];
  };
  template <int... I>
  static constexpr kernel_table make_table(std::integer_sequence<int, I...>) {
    return kernel_table{{&micro<I / NV + 1, I % NV + 1>...}};
  }
  static constexpr kernel_table table = make_table(std::make_integer_sequence<int, MR * NV>{});

  // ---- in-register transposition --------------------------------------------------------------
  // Full-width interleave of the low (Hi = false) or high halves of x and y: {x0, y0, x1, y1, ..}.
  // xsimd 8.1's zip_lo/zip_hi interleave within each 128-bit lane on AVX and AVX-512, so the
  // wide instruction sets use their own permutes; on 128-bit sets the two agree.
  template <bool Hi>
  static batch interleave(const batch& x, const batch& y) {
#if defined(__AVX512F__)
    if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
      if constexpr (std::is_same_v<T, float>) {
        const __m512i idx =
            Hi ? _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)
               : _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        return batch(_mm512_permutex2var_ps(x, idx, y));
      } else {
        const __m512i idx = Hi ? _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15)
                               : _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
        return batch(_mm512_permutex2var_pd(x, idx, y));
      }
    }
#endif
#if defined(__AVX__)
    if constexpr (std::is_base_of_v<xsimd::avx, Arch>) {
      // unpacklo/hi interleave per 128-bit lane; the lane permute puts the halves in order.
      if constexpr (std::is_same_v<T, float>) {
        const __m256 lo = _mm256_unpacklo_ps(x, y), hi = _mm256_unpackhi_ps(x, y);
        return batch(Hi ? _mm256_permute2f128_ps(lo, hi, 0x31)
                        : _mm256_permute2f128_ps(lo, hi, 0x20));
      } else {
        const __m256d lo = _mm256_unpacklo_pd(x, y), hi = _mm256_unpackhi_pd(x, y);
        return batch(Hi ? _mm256_permute2f128_pd(lo, hi, 0x31)
                        : _mm256_permute2f128_pd(lo, hi, 0x20));
      }
    }
#endif
    if constexpr (static_cast<int>(sizeof(typename batch::register_type)) == 16) {
      return Hi ? xsimd::zip_hi(x, y) : xsimd::zip_lo(x, y);
    } else {
      // Not reached: every instruction set compiled here is handled above. Kept total.
      alignas(64) T xs[W], ys[W], out[W];
      x.store_aligned(xs);
      y.store_aligned(ys);
      for (int i = 0; i < W / 2; ++i) {
        out[2 * i] = xs[i + (Hi ? W / 2 : 0)];
        out[2 * i + 1] = ys[i + (Hi ? W / 2 : 0)];
      }
      return batch::load_aligned(out);
    }
  }

  // R vectors holding an R x W block row by row become the same block column by column (vector
  // q then holds columns q * W / R .. of it). Each round is a perfect shuffle of the R * W
  // elements, rotating the bits of an element's index by one; log2(R) rounds move the row bits
  // below the column bits, which is the transpose.
  template <int R>
  static void rows_to_columns(batch (&v)[R]) {
    static_assert(R >= 2 && (R & (R - 1)) == 0 && R <= 64, "R must be a power of two");
    for (int round = 1; round < R; round *= 2) {
      batch t[R];
#pragma GCC unroll 16
      for (int j = 0; j < R / 2; ++j) {
        t[2 * j] = interleave<false>(v[j], v[j + R / 2]);
        t[2 * j + 1] = interleave<true>(v[j], v[j + R / 2]);
      }
#pragma GCC unroll 16
      for (int j = 0; j < R; ++j)
        v[j] = t[j];
    }
  }
  static constexpr bool pow2(int x) {
    return x >= 2 && (x & (x - 1)) == 0;
  }
  static_assert(pow2(W), "xsimd batches hold a power of two of lanes");

  // ---- packing -------------------------------------------------------------------------------
  // op(A)[i0:i0+mc, p0:p0+kc] -> MR-row panels, each (kc, MR) k-major; the panel of rows ir..
  // starts at dst + ir * kc. Rows past mc are zero.
  static void pack_a(const view& g, std::int64_t i0, std::int64_t mc, std::int64_t p0,
                     std::int64_t kc, T* __restrict dst) {
    for (std::int64_t ir = 0; ir < mc; ir += MR) {
      const std::int64_t mr = min64(MR, mc - ir);
      T* __restrict d = dst + ir * kc;
      if (!g.trans_a) {
        // op(A)(i, p) = a[i * lda + p]: MR row streams read side by side.
        const T* src = g.a + (i0 + ir) * g.lda + p0;
        const std::int64_t lda = g.lda;
        if (mr == MR) {
          std::int64_t p = 0;
          if constexpr (pow2(MR) && MR <= W) {
            // MR rows x W columns at a time, transposed in registers: the block comes out as
            // MR * W contiguous packed values.
            for (; p + W <= kc; p += W) {
              batch v[MR];
#pragma GCC unroll 32
              for (int r = 0; r < MR; ++r)
                v[r] = batch::load_unaligned(src + r * lda + p);
              rows_to_columns<MR>(v);
#pragma GCC unroll 32
              for (int q = 0; q < MR; ++q)
                v[q].store_unaligned(d + p * MR + q * W);
            }
          }
          for (; p < kc; ++p) {
#pragma GCC unroll 32
            for (int r = 0; r < MR; ++r)
              d[p * MR + r] = src[r * lda + p];
          }
        } else {
          for (std::int64_t p = 0; p < kc; ++p) {
            for (int r = 0; r < MR; ++r)
              d[p * MR + r] = r < mr ? src[r * lda + p] : T(0);
          }
        }
      } else {
        // op(A)(i, p) = a[p * lda + i]: each k step is a contiguous run of mr values.
        const T* src = g.a + p0 * g.lda + i0 + ir;
        const std::int64_t lda = g.lda;
        if (mr == MR) {
          // One short contiguous copy per k step (a single vector move when MR values fill
          // one, as 8 floats do on AVX2 and 8 doubles on AVX-512).
          for (std::int64_t p = 0; p < kc; ++p) {
            std::memcpy(d + p * MR, src + p * lda, MR * sizeof(T));
          }
        } else {
          for (std::int64_t p = 0; p < kc; ++p) {
            for (int r = 0; r < MR; ++r)
              d[p * MR + r] = r < mr ? src[p * lda + r] : T(0);
          }
        }
      }
    }
  }

  // op(B)[p0:p0+kc, j0+jr_begin : j0+jr_end] -> column panels of NR (the last one rounded up to
  // whole vectors and zero-padded), each (kc, width) k-major; the panel of columns jr.. starts
  // at dst + jr * kc. jr_begin is a multiple of NR; threads split a block by panel ranges.
  static void pack_b(const view& g, std::int64_t p0, std::int64_t kc, std::int64_t j0,
                     std::int64_t nc, std::int64_t jr_begin, std::int64_t jr_end,
                     T* __restrict dst) {
    const std::int64_t ldb = g.ldb;
    for (std::int64_t jr = jr_begin; jr < jr_end; jr += NR) {
      const std::int64_t nr = min64(NR, nc - jr);
      const std::int64_t w = round_up(nr, W);
      T* __restrict d = dst + jr * kc;
      if (!g.trans_b) {
        // op(B)(p, j) = b[p * ldb + j]: each k step is a contiguous row segment.
        const T* src = g.b + p0 * ldb + j0 + jr;
        if (nr == NR) {
          for (std::int64_t p = 0; p < kc; ++p) {
#pragma GCC unroll 8
            for (int v = 0; v < NV; ++v) {
              batch::load_unaligned(src + p * ldb + v * W).store_aligned(d + p * NR + v * W);
            }
          }
        } else {
          // The last, narrower panel: whole vectors, then the ragged columns and zero padding.
          const std::int64_t full_j = nr / W * W;
          for (std::int64_t p = 0; p < kc; ++p) {
            for (std::int64_t j = 0; j < full_j; j += W) {
              batch::load_unaligned(src + p * ldb + j).store_aligned(d + p * w + j);
            }
            for (std::int64_t j = full_j; j < w; ++j) {
              d[p * w + j] = j < nr ? src[p * ldb + j] : T(0);
            }
          }
        }
      } else {
        // op(B)(p, j) = b[j * ldb + p]: column j of op(B) is a contiguous row of b. Blocks of
        // W rows x W k-steps are transposed in registers; leftovers go element by element.
        const T* src = g.b + (j0 + jr) * ldb + p0;
        const std::int64_t full_j = nr / W * W;
        const std::int64_t full_p = kc / W * W;
        for (std::int64_t jb = 0; jb < full_j; jb += W) {
          for (std::int64_t p = 0; p < full_p; p += W) {
            batch v[W];
#pragma GCC unroll 16
            for (int q = 0; q < W; ++q)
              v[q] = batch::load_unaligned(src + (jb + q) * ldb + p);
            rows_to_columns<W>(v);
#pragma GCC unroll 16
            for (int q = 0; q < W; ++q)
              v[q].store_aligned(d + (p + q) * w + jb);
          }
        }
        // The k steps left after the blocks (all columns), then the columns left (all k steps).
        for (std::int64_t p = full_p; p < kc; ++p) {
          for (std::int64_t j = 0; j < w; ++j)
            d[p * w + j] = j < nr ? src[j * ldb + p] : T(0);
        }
        for (std::int64_t j = full_j; j < w; ++j) {
          const T* sj = src + j * ldb;
          for (std::int64_t p = 0; p < full_p; ++p)
            d[p * w + j] = j < nr ? sj[p] : T(0);
        }
      }
    }
  }

  // ---- the blocked loops (Note [gemm blocking]) ---------------------------------------------
  // Computes rows [i_begin, i_end) x columns [j_begin, j_end) of C. When team > 1 the B blocks
  // in bpack[0] / bpack[1] are shared by the whole team: each thread packs a slice of the panels,
  // a barrier publishes them, and the two buffers alternate so that packing block t + 1 can
  // overlap with threads still computing on block t (one barrier per block, not two).
  static void blocked(const view& g, const sizes& s, std::int64_t i_begin, std::int64_t i_end,
                      std::int64_t j_begin, std::int64_t j_end, T* bpack[2], int tid, int team) {
    T* apack = s.direct_a ? nullptr : static_cast<T*>(scratch(0, s.a_bytes));
    int flip = 0;
    for (std::int64_t jc = j_begin; jc < j_end; jc += s.nc) {
      const std::int64_t nc = min64(s.nc, j_end - jc);
      for (std::int64_t pc = 0; pc < g.k; pc += s.kc) {
        const std::int64_t kc = min64(s.kc, g.k - pc);
        T* bp = bpack[flip];
        if (s.direct_b) {
          // B read in place: nothing to pack, nothing to share (Note [gemm small problems]).
        } else if (team > 1) {
          const std::int64_t panels = ceil_div(nc, NR);
          const std::int64_t per = ceil_div(panels, team);
          const std::int64_t q0 = min64(panels, tid * per);
          const std::int64_t q1 = min64(panels, q0 + per);
          pack_b(g, pc, kc, jc, nc, q0 * NR, min64(nc, q1 * NR), bp);
#pragma omp barrier
          flip ^= 1;
        } else {
          pack_b(g, pc, kc, jc, nc, 0, nc, bp);
        }
        // The first k block applies the caller's beta; later ones accumulate onto it.
        const T beta = pc == 0 ? g.beta : T(1);
        for (std::int64_t ic = i_begin; ic < i_end; ic += s.mc) {
          const std::int64_t mc = min64(s.mc, i_end - ic);
          if (!s.direct_a) pack_a(g, ic, mc, pc, kc, apack);
          // (mc, kc) x (kc, nc) -> (mc, nc), micro-panel by micro-panel.
          for (std::int64_t jr = 0; jr < nc; jr += NR) {
            const std::int64_t nr = min64(NR, nc - jr);
            const std::int64_t nv = ceil_div(nr, W);
            const T* b_panel = s.direct_b ? g.b + pc * g.ldb + jc + jr : bp + jr * kc;
            const std::int64_t b_step = s.direct_b ? g.ldb : nv * W;
            T* c_col = g.c + (jc + jr) * g.c_cs;
            for (std::int64_t ir = 0; ir < mc; ir += MR) {
              const std::int64_t mr = min64(MR, mc - ir);
              // op(A)^T stored (k, m): k step p of rows ic + ir.. starts at a[p * lda + i].
              const T* a_panel = s.direct_a ? g.a + pc * g.lda + ic + ir : apack + ir * kc;
              const std::int64_t a_step = s.direct_a ? g.lda : MR;
              table.fn[(mr - 1) * NV + (nv - 1)](kc, a_panel, a_step, b_panel, b_step,
                                                 c_col + (ic + ir) * g.c_rs, g.c_rs, g.c_cs, nr,
                                                 g.alpha, beta);
            }
          }
        }
      }
    }
  }
};

}  // namespace kindling::kernels::gemm_detail
