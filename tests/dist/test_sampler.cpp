// DistributedSampler against PyTorch's rules, written out here: shard sizes, disjoint shards that
// cover the (padded or cut) index list, the same permutation on every rank for one seed and
// epoch, a new one for a new epoch.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <vector>

#include "dist_support.hpp"

namespace kindling::test {

TEST_CASE("sampler: without shuffling the shards are PyTorch's strided ones", "[sampler]") {
  // torch: indices = range(10) padded with [0, 1] to 12; rank r takes indices[r::3].
  const auto shard = [](int r, bool drop_last) {
    return dist::DistributedSampler(
               10, {.num_replicas = 3, .rank = r, .shuffle = false, .drop_last = drop_last})
        .indices();
  };
  CHECK(shard(0, false) == std::vector<std::int64_t>{0, 3, 6, 9});
  CHECK(shard(1, false) == std::vector<std::int64_t>{1, 4, 7, 0});
  CHECK(shard(2, false) == std::vector<std::int64_t>{2, 5, 8, 1});
  // drop_last: cut to 9, three each.
  CHECK(shard(0, true) == std::vector<std::int64_t>{0, 3, 6});
  CHECK(shard(2, true) == std::vector<std::int64_t>{2, 5, 8});
  // Padding wraps around more than once when the data set is smaller than the ranks.
  CHECK(dist::DistributedSampler(2, {.num_replicas = 5, .rank = 4, .shuffle = false}).indices() ==
        std::vector<std::int64_t>{0});
}

TEST_CASE("sampler: shuffled shards are disjoint, cover the data and change with the epoch",
          "[sampler]") {
  for (bool drop_last : {false, true}) {
    const int replicas = 4;
    const std::size_t n = 103;
    std::map<std::int64_t, int> seen;
    std::vector<std::vector<std::int64_t>> shards;
    for (int r = 0; r < replicas; ++r) {
      dist::DistributedSampler s(
          n, {.num_replicas = replicas, .rank = r, .seed = 7, .drop_last = drop_last});
      s.set_epoch(3);
      shards.push_back(s.indices());
      CHECK(shards.back().size() == (drop_last ? 25u : 26u));
      CHECK(s.size() == shards.back().size());
      for (std::int64_t i : shards.back())
        ++seen[i];
    }
    if (drop_last) {
      CHECK(seen.size() == 100u);  // 3 cut, none twice
      for (const auto& [i, count] : seen)
        CHECK(count == 1);
    } else {
      CHECK(seen.size() == n);  // all, one of them twice (104 = 103 + 1 of padding)
      int twice = 0;
      for (const auto& [i, count] : seen)
        twice += count == 2;
      CHECK(twice == 1);
    }
    // Another epoch: another order; the same epoch again: the same order.
    dist::DistributedSampler again(n, {.num_replicas = replicas, .rank = 0, .seed = 7});
    again.set_epoch(3);
    CHECK((again.indices() == shards[0]) == !drop_last);
    again.set_epoch(4);
    CHECK(again.indices() != shards[0]);
  }
}

TEST_CASE("sampler: by default it takes the process group's ranks", "[sampler]") {
  ensure_dist();
  dist::DistributedSampler s(64, {.seed = 1});
  CHECK(s.num_replicas() == dist::world_size());
  CHECK(s.rank() == dist::rank());
  // Every rank computed its shard alone; together they are a permutation of 0..63.
  const std::vector<Tensor> shards =
      dist::all_gather(from_vector(s.indices(), {static_cast<std::int64_t>(s.size())}));
  std::vector<std::int64_t> all;
  for (const Tensor& t : shards)
    for (std::int64_t i : t.to_vector<std::int64_t>())
      all.push_back(i);
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> expected(64);
  for (std::int64_t i = 0; i < 64; ++i)
    expected[static_cast<std::size_t>(i)] = i;
  CHECK(all == expected);
  CHECK_THROWS_WITH(dist::DistributedSampler(10, {.num_replicas = 2, .rank = 2}),
                    Catch::Contains("rank 2"));
}

}  // namespace kindling::test
