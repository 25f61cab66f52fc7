// bench/gpu_kernels: each CUDA kernel of the KernelTable against its CPU twin on the same inputs.
// Covered: copy, fill, unary, binary, where, reductions, index ops, softmax/log_softmax and
// cross-entropy forward and backward, the fused optimizer steps (single and batched) and GEMM.
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
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"

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
         k.unary(kk::UnaryKernel::exp, x[0].strided_view(), o.strided_view(), {});
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

// Softmax and cross entropy: a classifier head (10 classes) and a wide one (1000), both axes.
void bench_softmax(bool quick, Generator& gen) {
  const std::int64_t rows = quick ? 256 : 8192;
  for (std::int64_t classes : {std::int64_t{10}, std::int64_t{1000}}) {
    const Tensor x = randn({rows, classes}, gen) * 3.0;
    const Tensor dy = randn({rows, classes}, gen);
    const Tensor target = randint(0, classes, {rows}, gen);
    const Tensor grad = randn({rows}, gen);
    const double bytes = 4.0 * double(rows * classes);
    std::vector<Case> cases;
    for (bool log : {false, true}) {
      cases.push_back(
          {log ? "log_softmax" : "softmax",
           {x},
           {rows, classes},
           DType::float32,
           [log](const kk::KernelTable& k, const std::vector<Tensor>& in, const Tensor& o) {
             k.softmax(in[0].strided_view(), 1, log, o.strided_view());
           },
           2 * bytes,
           0});
      // The backward's y must be a real softmax output for the formulas to mean anything.
      const Tensor y = log ? log_softmax(x, 1) : softmax(x, 1);
      cases.push_back(
          {log ? "log_softmax_backward" : "softmax_backward",
           {y, dy},
           {rows, classes},
           DType::float32,
           [log](const kk::KernelTable& k, const std::vector<Tensor>& in, const Tensor& o) {
             k.softmax_backward(in[0].strided_view(), in[1].strided_view(), 1, log,
                                o.strided_view());
           },
           3 * bytes,
           0});
    }
    // Along axis 0: strided lines.
    cases.push_back({"softmax (axis 0)",
                     {x},
                     {rows, classes},
                     DType::float32,
                     [](const kk::KernelTable& k, const std::vector<Tensor>& in, const Tensor& o) {
                       k.softmax(in[0].strided_view(), 0, false, o.strided_view());
                     },
                     2 * bytes,
                     0});
    cases.push_back({"cross_entropy",
                     {x, target},
                     {rows},
                     DType::float32,
                     [](const kk::KernelTable& k, const std::vector<Tensor>& in, const Tensor& o) {
                       k.cross_entropy(in[0].strided_view(), in[1].strided_view(), 1.0,
                                       o.strided_view());
                     },
                     bytes + 12.0 * double(rows),
                     0});
    // The mean in the same kernel (one block for small inputs, two launches above 2^20 logits).
    cases.push_back(
        {"cross_entropy_mean",
         {x, target},
         {},
         DType::float32,
         [rows](const kk::KernelTable& k, const std::vector<Tensor>& in, const Tensor& o) {
           k.cross_entropy(in[0].strided_view(), in[1].strided_view(), 1.0 / double(rows),
                           o.strided_view());
         },
         bytes + 8.0 * double(rows),
         0});
    cases.push_back({"cross_entropy_backward",
                     {x, target, grad},
                     {rows, classes},
                     DType::float32,
                     [](const kk::KernelTable& k, const std::vector<Tensor>& in, const Tensor& o) {
                       k.cross_entropy_backward(in[0].strided_view(), in[1].strided_view(),
                                                in[2].strided_view(), 1.0, o.strided_view());
                     },
                     2 * bytes + 12.0 * double(rows),
                     0});
    for (const Case& c : cases)
      run_case(c, quick ? 3 : 20);
  }
}

// The fused optimizer steps (gpu/src/kernels/optim.cu) against the CPU loops, their twins: one
// step compared, then timed (the state drifts while timing, which does not change the cost).
void bench_optimizers(bool quick, Generator& gen) {
  const std::int64_t n = quick ? 1 << 14 : 1 << 22;
  if (!kk::supports(kCuda, kk::Kernel::adam_multi_step)) {
    std::printf("no CUDA optimizer kernels registered; optimizer steps skipped\n");
    return;
  }
  const kk::KernelTable& cpu = kk::kernels_for(kCPU);
  const kk::KernelTable* cuda = &kk::kernels_on(kCuda);
  const Tensor param = randn({n}, gen), grad = randn({n}, gen);
  const Tensor avg = randn({n}, gen) * 0.1, avg_sq = rand({n}, gen) * 0.01;
  struct Step {
    const char* name;
    std::function<void(const kk::KernelTable&, const std::vector<Tensor>&)> run;
    double bytes;  // read + written per element, times n
  };
  const std::vector<Step> steps = {
      {"adamw_step",
       [](const kk::KernelTable& k, const std::vector<Tensor>& t) {
         k.adam_step(t[0].strided_view(), t[1].strided_view(), t[2].strided_view(),
                     t[3].strided_view(), {1e-3, 0.9, 0.999, 1e-8, 1e-2, 7, true});
       },
       7 * 4.0},
      {"sgd_momentum_step",
       [](const kk::KernelTable& k, const std::vector<Tensor>& t) {
         k.sgd_step(t[0].strided_view(), t[1].strided_view(), t[2].strided_view(),
                    {1e-2, 0.9, 0.0, 1e-4, true, false});
       },
       5 * 4.0},
  };
  for (const Step& step : steps) {
    std::vector<Tensor> host = {param.clone(), grad, avg.clone(), avg_sq.clone()};
    std::vector<Tensor> device;
    for (const Tensor& t : host)
      device.push_back(t.to(kCuda));
    step.run(cpu, host);
    step.run(*cuda, device);
    const double error =
        std::max(max_rel_error(device[0], host[0]), max_rel_error(device[2], host[2]));
    const double ms = time_gpu([&] { step.run(*cuda, device); }, quick ? 3 : 20);
    report(step.name, shape_string(param.shape()), ms, step.bytes * double(n), 0, error, 1e-5);
  }
  // The batched AdamW step over the six parameters of the Fashion-MNIST MLP: one launch.
  const std::vector<Shape> shapes = {{256, 784}, {256}, {128, 256}, {128}, {10, 128}, {10}};
  std::vector<std::vector<Tensor>> host, device;
  double elements = 0;
  for (const Shape& shape : shapes) {
    host.push_back({randn(shape, gen), randn(shape, gen), zeros(shape), zeros(shape)});
    device.emplace_back();
    for (const Tensor& t : host.back())
      device.back().push_back(t.to(kCuda));
    elements += double(host.back()[0].numel());
  }
  auto batch_of = [](const std::vector<std::vector<Tensor>>& sets) {
    std::vector<kk::AdamTensors> batch;
    for (const auto& t : sets)
      batch.push_back(
          {t[0].strided_view(), t[1].strided_view(), t[2].strided_view(), t[3].strided_view()});
    return batch;
  };
  const kk::AdamHyper h{1e-3, 0.9, 0.999, 1e-8, 1e-2, 1, true};
  const std::vector<kk::AdamTensors> host_batch = batch_of(host), device_batch = batch_of(device);
  cpu.adam_multi_step(host_batch.data(), host_batch.size(), h);
  cuda->adam_multi_step(device_batch.data(), device_batch.size(), h);
  double error = 0;
  for (std::size_t i = 0; i < host.size(); ++i)
    error = std::max(error, max_rel_error(device[i][0], host[i][0]));
  const double ms = time_gpu(
      [&] { cuda->adam_multi_step(device_batch.data(), device_batch.size(), h); }, quick ? 3 : 20);
  report("adamw_multi_step", "MLP 784-256-128-10", ms, 7 * 4.0 * elements, 0, error, 1e-5);
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
    std::printf(
        "RESULT bench=gpu_kernels case=sgemm_%lld kindling=%.2fus peer=cublas peer_value=%.2fus "
        "ratio=%.3f\n",
        static_cast<long long>(s), ms * 1e3, ms_ref * 1e3, ms / ms_ref);
  }
  cublasDestroy(handle);
}

int bench(bool quick) {
  if (!gpu::is_available()) {
    std::printf("bench_gpu_kernels: no CUDA device (%s); nothing to measure\n",
                gpu::unavailable_reason().c_str());
    return 0;
  }
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  std::printf("device: %s (sm_%d%d, %d SMs)%s\ncpu: %s\n", prop.name, prop.major, prop.minor,
              prop.multiProcessorCount, quick ? "  [quick]" : "",
              kindling_cli::cpu_model().c_str());
  std::printf("%-22s %-22s %12s\n", "kernel", "input", "time");
  Generator gen(2024);
  bench_elementwise(quick, gen);
  bench_index(quick, gen);
  bench_softmax(quick, gen);
  bench_optimizers(quick, gen);
  bench_gemm(quick, gen);
  if (g_mismatch) std::printf("\nsome kernels do not match their CPU twin (MISMATCH above)\n");
  return g_mismatch ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_gpu_kernels", [&] {
    bool quick = false;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--quick")) {
        quick = true;
      } else if (args.is("--help") || args.is("-h")) {
        std::printf("usage: bench_gpu_kernels [--quick]\n");
        return 0;
      } else {
        args.unknown();
      }
    }
    return bench(quick);
  });
}
