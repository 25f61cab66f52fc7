// bench/gpu_kernels: each CUDA kernel of the KernelTable against its CPU twin on the same inputs.
// For every case: the largest relative error against the twin, the GPU time (median of CUDA
// event timings) and the bandwidth (bytes read + written) or FLOP/s; the GEMM also against
// cuBLAS's SIMT fp32 sgemm (the target: >= 0.7x).
//
//   bench_gpu_kernels            all cases, GEMM 1024..8192
//   bench_gpu_kernels --quick    small sizes only (the sanitizer runs use it)
// Exit status 1 when a kernel does not match its twin.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kindling/gpu/cuda.hpp"
#include "kindling/tensor.hpp"

using namespace kindling;
namespace kk = kindling::kernels;

namespace {

const Device kCuda = Device::cuda(0);
bool g_mismatch = false;  // any case off its twin: the exit status says so

void check(cudaError_t s, const char* what) {
  if (s != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(s));
    std::exit(1);
  }
}

// Median milliseconds of `body` over `repeats` runs after two warm-ups.
double time_gpu(const std::function<void()>& body, int repeats) {
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  body();
  body();
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    check(cudaEventRecord(start), "cudaEventRecord");
    body();
    check(cudaEventRecord(stop), "cudaEventRecord");
    check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float t = 0;
    check(cudaEventElapsedTime(&t, start, stop), "cudaEventElapsedTime");
    ms.push_back(t);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double max_rel_error(const Tensor& got, const Tensor& want) {
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  double worst = 0, scale = 0;
  for (double v : w)
    scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < g.size(); ++i)
    worst = std::max(worst, std::abs(g[i] - w[i]) / std::max(scale, 1e-30));
  return worst;
}

void report(const char* name, const std::string& shape, double ms, double bytes, double flops,
            double error, double tolerance) {
  std::printf("%-22s %-22s %9.1f us", name, shape.c_str(), ms * 1e3);
  if (bytes > 0) std::printf("  %8.1f GB/s", bytes / (ms * 1e-3) / 1e9);
  if (flops > 0) std::printf("  %8.1f GFLOP/s", flops / (ms * 1e-3) / 1e9);
  std::printf("  err %.1e %s\n", error, error <= tolerance ? "ok" : "MISMATCH");
  if (!(error <= tolerance)) g_mismatch = true;
}

// One elementwise-style case: out = kernel(inputs) on both devices.
struct Case {
  const char* name;
  std::vector<Tensor> cpu_inputs;  // views as the kernel sees them
  Shape out_shape;
  DType out_dtype;
  std::function<void(const kk::KernelTable&, const std::vector<Tensor>&, const Tensor&)> run;
  double bytes;
  double flops;
  // Against the largest output value: sums in another order differ by rounding.
  double tolerance = 1e-5;
};

void run_case(const Case& c, int repeats) {
  // The same views on the device: a transposed input is moved as its base, then transposed.
  std::vector<Tensor> gpu_inputs;
  for (const Tensor& t : c.cpu_inputs)
    gpu_inputs.push_back(t.is_contiguous() ? t.to(kCuda) : t.transpose().to(kCuda).transpose());
  const Tensor want = zeros(c.out_shape, c.out_dtype);
  const Tensor got = zeros(c.out_shape, c.out_dtype, kCuda);
  c.run(kk::kernels_for(kCPU), c.cpu_inputs, want);
  const double ms = time_gpu([&] { c.run(kk::kernels_for(kCuda), gpu_inputs, got); }, repeats);
  report(c.name, shape_string(c.cpu_inputs[0].shape()), ms, c.bytes, c.flops,
         max_rel_error(got, want), c.tolerance);
}

void bench_elementwise(bool quick, Generator& gen) {
  const std::int64_t n = quick ? 1 << 16 : 1 << 24, rows = quick ? 256 : 4096;
  const Tensor a = randn({n}, gen), b = randn({n}, gen);
  const Tensor m = randn({rows, rows}, gen), row = randn({rows}, gen);
  const double f = 4.0;
  const std::vector<Case> cases = {
      {"copy",
       {a},
       {n},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.copy(x[0].strided_view(), o.strided_view());
       },
       2 * f * double(n),
       0},
      {"copy_transpose",
       {m.transpose()},
       {rows, rows},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.copy(x[0].strided_view(), o.strided_view());
       },
       2 * f * double(rows * rows),
       0},
      {"unary_exp",
       {a},
       {n},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.unary(kk::UnaryKernel::exp, x[0].strided_view(), o.strided_view());
       },
       2 * f * double(n),
       0},
      {"binary_add",
       {a, b},
       {n},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.binary(kk::BinaryKernel::add, x[0].strided_view(), x[1].strided_view(),
                  o.strided_view());
       },
       3 * f * double(n),
       0},
      {"binary_bcast_row",
       {m, row},
       {rows, rows},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         const Tensor r = x[1].expand(x[0].shape());
         k.binary(kk::BinaryKernel::mul, x[0].strided_view(), r.strided_view(), o.strided_view());
       },
       2 * f * double(rows * rows),
       0},
      {"reduce_sum_rows",
       {m},
       {rows, 1},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.reduce(kk::ReduceKernel::sum, x[0].strided_view(), o.strided_view());
       },
       f * double(rows * rows),
       0,
       1e-3},
      {"reduce_sum_cols",
       {m},
       {1, rows},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.reduce(kk::ReduceKernel::sum, x[0].strided_view(), o.strided_view());
       },
       f * double(rows * rows),
       0,
       1e-3},
      {"reduce_sum_all",
       {a},
       {1},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.reduce(kk::ReduceKernel::sum, x[0].strided_view(), o.strided_view());
       },
       f * double(n),
       0,
       1e-3},
      {"reduce_argmax_rows",
       {m},
       {rows, 1},
       DType::int64,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.reduce(kk::ReduceKernel::argmax, x[0].strided_view(), o.strided_view());
       },
       f * double(rows * rows),
       0},
  };
  for (const Case& c : cases)
    run_case(c, quick ? 3 : 20);
}

void bench_index(bool quick, Generator& gen) {
  const std::int64_t vocab = quick ? 1000 : 50000, dim = 256, picks = quick ? 512 : 8192;
  const Tensor table = randn({vocab, dim}, gen);
  const Tensor idx = randint(0, vocab, {picks}, gen);
  const Tensor idx2 = randint(0, dim, {picks, 1}, gen);
  const Tensor rows = randn({picks, dim}, gen);
  const std::vector<Case> cases = {
      {"index_select",
       {table, idx},
       {picks, dim},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.index_select(x[0].strided_view(), 0, x[1].strided_view(), o.strided_view());
       },
       2 * 4.0 * double(picks * dim),
       0},
      {"index_add",
       {rows, idx},
       {vocab, dim},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.fill(o.strided_view(), 0.0);
         k.index_add(o.strided_view(), 0, x[1].strided_view(), x[0].strided_view());
       },
       3 * 4.0 * double(picks * dim),
       0},
      {"gather",
       {rows, idx2},
       {picks, 1},
       DType::float32,
       [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
         k.gather(x[0].strided_view(), 1, x[1].strided_view(), o.strided_view());
       },
       16.0 * double(picks),
       0},
  };
  for (const Case& c : cases)
    run_case(c, quick ? 3 : 20);
  // scatter_add: src (picks, 1) into dst (picks, dim) along axis 1.
  const Tensor src = randn({picks, 1}, gen);
  const Case scatter{"scatter_add",
                     {src, idx2},
                     {picks, dim},
                     DType::float32,
                     [](const kk::KernelTable& k, const std::vector<Tensor>& x, const Tensor& o) {
                       k.fill(o.strided_view(), 0.0);
                       k.scatter_add(o.strided_view(), 1, x[1].strided_view(), x[0].strided_view());
                     },
                     4.0 * double(picks * dim),
                     0};
  run_case(scatter, quick ? 3 : 20);
}

void bench_gemm(bool quick, Generator& gen) {
  cublasHandle_t handle;
  if (cublasCreate(&handle) != CUBLAS_STATUS_SUCCESS) {
    std::printf("cublasCreate failed; GEMM reference skipped\n");
    return;
  }
  std::printf("\nGEMM fp32 (row-major C = A B) against cuBLAS sgemm (SIMT fp32, default math)\n");
  const std::vector<std::int64_t> sizes = quick ? std::vector<std::int64_t>{128, 257}
                                                : std::vector<std::int64_t>{1024, 2048, 4096, 8192};
  for (std::int64_t s : sizes) {
    const Tensor a = randn({s, s}, gen), b = randn({s, s}, gen);
    const Tensor ga = a.to(kCuda), gb = b.to(kCuda);
    const Tensor out = zeros({s, s}, DType::float32, kCuda);
    const Tensor ref = zeros({s, s}, DType::float32, kCuda);
    const kk::KernelTable& k = kk::kernels_for(kCuda);
    const int repeats = s >= 4096 ? 5 : 10;
    const double ms = time_gpu(
        [&] { k.matmul(ga.strided_view(), gb.strided_view(), out.strided_view()); }, repeats);
    const float one = 1, zero = 0;
    const int n = static_cast<int>(s);
    // Row-major C = A B is column-major C^T = B^T A^T.
    const double ms_ref = time_gpu(
        [&] {
          cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one,
                      static_cast<const float*>(gb.raw_data()), n,
                      static_cast<const float*>(ga.raw_data()), n, &zero,
                      static_cast<float*>(ref.raw_data()), n);
        },
        repeats);
    const double flops = 2.0 * double(s) * double(s) * double(s);
    double err = max_rel_error(out, ref);
    if (s <= 1024) err = std::max(err, max_rel_error(out, matmul(a, b)));  // the CPU twin too
    report("sgemm", std::to_string(s) + "^3", ms, 0, flops, err, 1e-4);
    std::printf("%-22s %-22s %9.1f us  %8.1f GFLOP/s  kindling/cuBLAS %.2fx\n", "cublasSgemm",
                (std::to_string(s) + "^3").c_str(), ms_ref * 1e3, flops / (ms_ref * 1e-3) / 1e9,
                ms_ref / ms);
  }
  cublasDestroy(handle);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (!gpu::is_available()) {
    std::printf("bench_gpu_kernels: no CUDA device (%s); nothing to measure\n",
                gpu::unavailable_reason().c_str());
    return 0;
  }
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::printf("device: %s (sm_%d%d, %d SMs)%s\n", prop.name, prop.major, prop.minor,
              prop.multiProcessorCount, quick ? "  [quick]" : "");
  std::printf("%-22s %-22s %12s\n", "kernel", "input", "time");
  Generator gen(2024);
  bench_elementwise(quick, gen);
  bench_index(quick, gen);
  bench_gemm(quick, gen);
  if (g_mismatch) std::printf("\nsome kernels do not match their CPU twin (MISMATCH above)\n");
  return g_mismatch ? 1 : 0;
}
