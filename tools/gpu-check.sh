#!/usr/bin/env bash
# The GPU checks in one command, on a machine with an NVIDIA GPU, nvcc and a driver:
#   1. configure and build kindling with CUDA (and cuBLAS for the references) in build-gpu-check/
#   2. run the GPU tests with KINDLING_GPU_REQUIRED=1 (a missing device fails instead of skipping)
#   3. compute-sanitizer memcheck and racecheck on the GPU test binary, with the caching allocator
#      off (KINDLING_GPU_NO_CACHE=1) so that memcheck sees every allocation's true bounds
#   4. the benchmarks: every kernel against its CPU twin (GEMM against cuBLAS too) and the MLP
#      training step against PyTorch CUDA
# Everything is also written to build-gpu-check/gpu-check-report.txt. Exit status: the number of
# failed stages (0: all passed).
#
#   tools/gpu-check.sh                       all of it
#   CUDA_ARCH=90 JOBS=16 tools/gpu-check.sh  choose the architectures and build parallelism
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KINDLING_GPU_BUILD:-$root/build-gpu-check}
arch=${CUDA_ARCH:-native}  # the machine's own GPU; "75;90" builds for both shipped targets
jobs=${JOBS:-$(nproc)}
report=$build/gpu-check-report.txt
# nvcc and compute-sanitizer often live outside PATH.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=$PATH:/usr/local/cuda/bin
fi
mkdir -p "$build"
: >"$report"
failures=0

stage() { printf '\n==== %s ====\n' "$*" | tee -a "$report"; }
run() {
  # Runs a command, appends its output to the report, counts a failure.
  "$@" 2>&1 | tee -a "$report"
  local status=${PIPESTATUS[0]}
  if [ "$status" -ne 0 ]; then
    echo "FAILED ($status): $*" | tee -a "$report"
    failures=$((failures + 1))
  fi
  return 0
}

stage "device"
run nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv

stage "configure and build (CUDA architectures: $arch)"
python=$(command -v python3 || true)
run cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DKINDLING_BUILD_PYTHON=OFF \
  -DKINDLING_GPU_CUBLAS=ON "-DCMAKE_CUDA_ARCHITECTURES=$arch" ${python:+-DPython_EXECUTABLE=$python}
if ! grep -q '^CMAKE_CUDA_COMPILER:.*nvcc' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "nvcc was not found: this is a CPU-only build, nothing GPU to check" | tee -a "$report"
  exit 1
fi
run cmake --build "$build" -j "$jobs" --target test_gpu_host test_gpu_ops bench_gpu_kernels \
  bench_gpu_mlp

tests=$build/tests/gpu
export KINDLING_GPU_REQUIRED=1

stage "host-side tests"
run "$tests/test_gpu_host"
stage "GPU tests (every op against the CPU, fused steps, MLP)"
run ctest --test-dir "$build" -L gpu --output-on-failure
stage "GPU tests once more with the cuBLAS GEMM switch"
KINDLING_GPU_GEMM=cublas run "$tests/test_gpu_ops" "[ops],[mlp]"

sanitizer=$(command -v compute-sanitizer || true)
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
  [ -z "$sanitizer" ] && [ -x "$candidate" ] && sanitizer=$candidate
done
if [ -z "$sanitizer" ]; then
  stage "compute-sanitizer not found"
  failures=$((failures + 1))
else
  export KINDLING_GPU_NO_CACHE=1
  stage "compute-sanitizer memcheck"
  run "$sanitizer" --tool memcheck --leak-check full --error-exitcode 1 "$tests/test_gpu_ops"
  stage "compute-sanitizer racecheck (shared memory: GEMM and reduction tiles)"
  run "$sanitizer" --tool racecheck --error-exitcode 1 "$tests/test_gpu_ops" "[ops]"
  stage "compute-sanitizer memcheck on the kernel benchmark (quick sizes)"
  run "$sanitizer" --tool memcheck --error-exitcode 1 "$build/bench/gpu_kernels/bench_gpu_kernels" --quick
  unset KINDLING_GPU_NO_CACHE
fi

stage "benchmark: kernels against their CPU twins, GEMM against cuBLAS"
run "$build/bench/gpu_kernels/bench_gpu_kernels"
stage "benchmark: MLP training step against PyTorch CUDA"
run "$build/bench/gpu_mlp/bench_gpu_mlp"

stage "summary: $failures failed stage(s); report in $report"
exit "$failures"
