// Thread-count independence and the SIMD choice: the CPU kernels split work so that every output
// is computed in the same order whatever OMP_NUM_THREADS says, and each instruction set's loops
// agree with the others (ctest also runs the op table under KINDLING_ISA=avx2 and =baseline).
#include <omp.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>

#include "kindling/tensor.hpp"
#include "kindling/tensor/cpu_features.hpp"
#include "kindling/tensor/kernels.hpp"

namespace kindling {
namespace {

// Forward and backward of a mix of big ops, every result flattened into one vector.
std::vector<float> workload() {
  Generator gen(99);
  Tensor x = randn({1000, 1100}, gen).set_requires_grad();
  Tensor w = randn({1100, 64}, gen).set_requires_grad();
  const Tensor big = randn({1 << 20}, gen);
  std::vector<Tensor> results = {sum(big),
                                 sum(exp(big * 0.1)),
                                 max(big),
                                 sum(x, {0}),
                                 sum(x.transpose(0, 1), {1}),
                                 mean(x, {1}),
                                 logsumexp(x, {1}),
                                 x * 2.0 + 1.0,
                                 sum(x.expand({3, 1000, 1100}), {0})};
  const Tensor loss = sum(tanh(matmul(x, w))) + sum(sigmoid(x) * x);
  loss.backward();
  results.push_back(loss);
  results.push_back(x.grad());
  results.push_back(w.grad());
  std::vector<float> all;
  for (const Tensor& r : results) {
    const std::vector<float> v = r.detach().to_vector<float>();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

TEST_CASE("1 and 2 OpenMP threads give identical results", "[tensor][threads]") {
  const int previous = get_num_threads();
  set_num_threads(1);
  CHECK(get_num_threads() == 1);
  CHECK(omp_get_max_threads() == 1);  // the count is OpenMP's
  const std::vector<float> one = workload();
  set_num_threads(2);
  CHECK(get_num_threads() == 2);
  const std::vector<float> two = workload();
  set_num_threads(previous);
  CHECK_THROWS_WITH(set_num_threads(0), "set_num_threads: threads must be at least 1, got 0");
  CHECK(get_num_threads() == previous);
  REQUIRE(one.size() == two.size());
  std::size_t differences = 0;
  for (std::size_t i = 0; i < one.size(); ++i)
    differences += std::memcmp(&one[i], &two[i], sizeof(float)) != 0;
  CHECK(differences == 0);
}

TEST_CASE("the SIMD instruction set is chosen at run time and can be capped", "[tensor][simd]") {
  const std::string arch = kernels::cpu_simd_arch();
  CHECK((arch == "avx512" || arch == "avx2" || arch == "baseline"));
  // The ctest variants set KINDLING_ISA (Note [isa levels]); KINDLING_SIMD is its older alias.
  if (const auto cap = kernels::isa_cap_from_environment("KINDLING_SIMD")) {
    if (*cap == kernels::IsaLevel::baseline) CHECK(arch == "baseline");
    if (*cap == kernels::IsaLevel::avx2) CHECK(arch != "avx512");
  }
}

}  // namespace
}  // namespace kindling
