// DistributedSampler: PyTorch's sharding (kindling/dist/sampler.hpp).
#include "kindling/dist/sampler.hpp"

#include <numeric>

#include "kindling/dist/process_group.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/random.hpp"
#include "kindling/nn/data.hpp"

namespace kindling::dist {

DistributedSampler::DistributedSampler(std::size_t dataset_size, SamplerOptions options)
    : dataset_size_(dataset_size), options_(options) {
  num_replicas_ = options.num_replicas >= 0 ? options.num_replicas : world_size();
  rank_ = options.rank >= 0 ? options.rank : dist::rank();
  KINDLING_CHECK(num_replicas_ >= 1, "DistributedSampler: num_replicas must be at least 1, got ",
                 num_replicas_);
  KINDLING_CHECK(rank_ < num_replicas_, "DistributedSampler: rank ", rank_,
                 " is not below num_replicas ", num_replicas_);
  const std::size_t n = dataset_size;
  const auto replicas = static_cast<std::size_t>(num_replicas_);
  // PyTorch's sizes: with drop_last the largest multiple of num_replicas that fits, else the
  // smallest one that covers the data set.
  num_samples_ = options.drop_last ? n / replicas : (n + replicas - 1) / replicas;
}

std::vector<std::int64_t> DistributedSampler::indices() const {
  const auto n = static_cast<std::int64_t>(dataset_size_);
  std::vector<std::int64_t> order;
  if (options_.shuffle) {
    Generator generator(options_.seed + static_cast<std::uint64_t>(epoch_));
    order = nn::shuffled_indices(n, generator);
  } else {
    order.resize(dataset_size_);
    std::iota(order.begin(), order.end(), std::int64_t{0});
  }
  const std::size_t total = total_size();
  if (order.size() < total) {  // pad with the permutation's own first indices, wrapping around
    KINDLING_CHECK(!order.empty(), "DistributedSampler: the data set is empty");
    const std::size_t have = order.size();
    for (std::size_t i = 0; order.size() < total; ++i)
      order.push_back(order[i % have]);
  }
  order.resize(total);
  std::vector<std::int64_t> mine;
  mine.reserve(num_samples_);
  for (std::size_t i = static_cast<std::size_t>(rank_); i < total;
       i += static_cast<std::size_t>(num_replicas_))
    mine.push_back(order[i]);
  return mine;
}

}  // namespace kindling::dist
