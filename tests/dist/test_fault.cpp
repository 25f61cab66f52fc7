// Faults and bad use: a rank that throws leaves the others with kindling::error within the
// timeout, not a hang; and the messages outside mpirun.
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>

#include "dist_support.hpp"

namespace kindling::test {

TEST_CASE("fault: a rank that throws makes the others fail within the timeout", "[fault]") {
  ensure_dist();
  auto model = make_mlp(1);
  dist::DistributedDataParallel ddp(model);
  dist::set_timeout(std::chrono::milliseconds(1500));
  const Tensor x = zeros({4, 6});
  const Tensor y = zeros({4}, DType::int64);
  if (dist::rank() == 1) {
    // Rank 1's step fails before its backward: its data have the wrong width.
    CHECK_THROWS_WITH(nn::cross_entropy(ddp(zeros({4, 5})), y).backward(),
                      Catch::Contains("(4,5)"));
    return;  // and it takes no part in anything after that
  }
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(nn::cross_entropy(ddp(x), y).backward(),
                    Catch::Contains("DistributedDataParallel") && Catch::Contains("1500 ms") &&
                        Catch::Contains("did not complete"));
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(waited >= 1.5);
  CHECK(waited < 10.0);  // bounded: the timeout, plus the backward itself
  // The group is broken now: every collective says so at once.
  CHECK_THROWS_WITH(dist::barrier(), Catch::Contains("broken") && Catch::Contains("1500 ms"));
}

TEST_CASE("fault: outside mpirun init says how to start the program", "[no_mpirun]") {
  CHECK_FALSE(dist::is_initialized());
  CHECK_THROWS_WITH(dist::rank(), Catch::Contains("not initialized"));
  CHECK_THROWS_WITH(dist::init(), Catch::Contains("not started by mpirun") &&
                                      Catch::Contains("mpirun -np N") && Catch::Contains("-np 1"));
  CHECK_THROWS_WITH(dist::DistributedSampler(10), Catch::Contains("not initialized"));
}

}  // namespace kindling::test
