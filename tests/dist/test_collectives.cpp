// The collectives of kindling::dist on 2 (or more) ranks: every result is computed here from the
// ranks' known inputs, independently of MPI. Run as mpirun -np 2 kindling_dist_tests
// "[collectives]".
#include <catch2/catch.hpp>
#include <vector>

#include "dist_support.hpp"

namespace kindling::test {

TEST_CASE("dist: rank and world size", "[collectives]") {
  ensure_dist();
  REQUIRE(dist::world_size() >= 2);  // ctest runs it with 2 ranks
  CHECK(dist::rank() >= 0);
  CHECK(dist::rank() < dist::world_size());
  // Every rank sees each rank once.
  const std::vector<Tensor> ranks = dist::all_gather(full({1}, dist::rank(), DType::int64));
  REQUIRE(static_cast<int>(ranks.size()) == dist::world_size());
  for (int r = 0; r < dist::world_size(); ++r)
    CHECK(ranks[static_cast<std::size_t>(r)].item() == r);
}

TEST_CASE("dist: all_reduce sums and averages", "[collectives]") {
  ensure_dist();
  const int n = dist::world_size();
  const double r = dist::rank();
  const double sum_of_ranks_plus_one = n * (n + 1) / 2.0;  // sum over ranks of (rank + 1)
  for (DType dtype : {DType::float32, DType::float64, DType::int64}) {
    const Tensor t = full({2, 3}, r + 1, dtype);
    dist::all_reduce(t);
    CHECK(t.to_vector<double>() == std::vector<double>(6, sum_of_ranks_plus_one));
  }
  const Tensor mean = full({5}, r + 1, DType::float64);
  dist::all_reduce(mean, dist::ReduceOp::Average);
  CHECK(mean.to_vector<double>() == std::vector<double>(5, (n + 1) / 2.0));
  // A non-contiguous view: reduced through a host copy, written back into its base.
  const Tensor base = arange(0.0, 6.0, 1.0, DType::float32).reshape({2, 3}) * (r + 1);
  dist::all_reduce(base.transpose());
  CHECK(base.to_vector<double>() ==
        std::vector<double>{0, sum_of_ranks_plus_one, 2 * sum_of_ranks_plus_one,
                            3 * sum_of_ranks_plus_one, 4 * sum_of_ranks_plus_one,
                            5 * sum_of_ranks_plus_one});
  // The errors: no average of integers, no sum of bools.
  CHECK_THROWS_WITH(dist::all_reduce(zeros({2}, DType::int64), dist::ReduceOp::Average),
                    Catch::Contains("all_reduce") && Catch::Contains("int64"));
  CHECK_THROWS_WITH(dist::all_reduce(zeros({2}, DType::bool_)), Catch::Contains("bool"));
}

TEST_CASE("dist: broadcast, all_gather and barrier", "[collectives]") {
  ensure_dist();
  const int n = dist::world_size();
  const Tensor t = full({3}, 10.0 * dist::rank(), DType::float32);
  dist::broadcast(t, n - 1);
  CHECK(t.to_vector<double>() == std::vector<double>(3, 10.0 * (n - 1)));
  const std::vector<Tensor> parts =
      dist::all_gather(full({2, 2}, dist::rank() + 0.5, DType::float64));
  REQUIRE(static_cast<int>(parts.size()) == n);
  for (int r = 0; r < n; ++r) {
    CHECK(parts[static_cast<std::size_t>(r)].shape() == Shape{2, 2});
    CHECK(parts[static_cast<std::size_t>(r)].to_vector<double>() ==
          std::vector<double>(4, r + 0.5));
  }
  dist::barrier();
  CHECK_THROWS_WITH(dist::broadcast(t, n), Catch::Contains("src") && Catch::Contains("not a rank"));
}

TEST_CASE("dist: tensors that differ across ranks fail on every rank, naming the rank",
          "[collectives]") {
  ensure_dist();
  // Rank 1 passes 3 elements, the others 2: each rank throws the same message.
  const Tensor t = zeros({dist::rank() == 1 ? 3 : 2});
  CHECK_THROWS_WITH(dist::all_reduce(t), Catch::Contains("differ across ranks") &&
                                             Catch::Contains("(3) on rank 1") &&
                                             Catch::Contains("(2) on rank 0"));
  const Tensor d = zeros({2}, dist::rank() == 1 ? DType::float64 : DType::float32);
  CHECK_THROWS_WITH(dist::broadcast(d), Catch::Contains("float64 (2) on rank 1"));
  // The check runs before any data moves: the group is still usable.
  const Tensor ok = ones({2});
  dist::all_reduce(ok);
  CHECK(ok.to_vector<double>() == std::vector<double>(2, dist::world_size()));
}

TEST_CASE("dist: a second init is an error", "[collectives]") {
  ensure_dist();
  CHECK_THROWS_WITH(dist::init(), Catch::Contains("already initialized"));
  CHECK(dist::is_initialized());
}

}  // namespace kindling::test
