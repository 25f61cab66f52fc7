// Shared by the GPU tests: skipping where there is no device (so that ctest counts the case as
// skipped, not passed), and comparing a CUDA tensor with its CPU twin.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "kindling/gpu/cuda.hpp"
#include "kindling/tensor.hpp"

namespace kindling_test {

// Prints the marker tests/gpu/CMakeLists.txt gives ctest as SKIP_REGULAR_EXPRESSION. With
// KINDLING_GPU_REQUIRED=1 (tools/gpu-check.sh sets it) a missing device is a failure instead.
inline bool skip_without_gpu() {
  if (kindling::gpu::is_available()) return false;
  const char* required = std::getenv("KINDLING_GPU_REQUIRED");
  if (required != nullptr && std::string(required) == "1")
    FAIL("KINDLING_GPU_REQUIRED=1 but no CUDA device: " << kindling::gpu::unavailable_reason());
  std::cout << "KINDLING_GPU_SKIP: no CUDA device (" << kindling::gpu::unavailable_reason()
            << ")\n";
  return true;
}

#define KINDLING_REQUIRE_GPU()                       \
  do {                                               \
    if (::kindling_test::skip_without_gpu()) return; \
  } while (false)

// max |a - b| / (atol + rtol |b|) <= 1, elementwise, after moving both to the CPU in float64.
inline void check_close(const kindling::Tensor& got, const kindling::Tensor& want, double rtol,
                        double atol, const std::string& what) {
  INFO(what);
  REQUIRE(got.defined());
  REQUIRE(want.defined());
  REQUIRE(got.shape() == want.shape());
  CHECK(got.dtype() == want.dtype());
  const std::vector<double> g = got.to_vector<double>();
  const std::vector<double> w = want.to_vector<double>();
  double worst = 0.0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const double diff = std::abs(g[i] - w[i]), tol = atol + rtol * std::abs(w[i]);
    const double excess = tol > 0 ? diff / tol : (diff == 0 ? 0.0 : HUGE_VAL);
    if (!(excess <= worst)) {  // NaN counts as the worst
      worst = excess;
      at = i;
    }
  }
  INFO("worst element " << at << ": got " << (g.empty() ? 0.0 : g[at]) << ", want "
                        << (w.empty() ? 0.0 : w[at]));
  CHECK(worst <= 1.0);
}

}  // namespace kindling_test
