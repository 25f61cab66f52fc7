// DistributedSampler: each rank's share of a data set's indices, as
// torch.utils.data.distributed.DistributedSampler. Every rank draws the same permutation (the
// shared seed plus the epoch) and takes every num_replicas-th index from its rank on, so the shards
// are disjoint and, with padding, equal in size:
//   - drop_last = false: the permutation is padded with its own first indices (repeated when
//     needed) up to a multiple of num_replicas, so some samples are seen twice per epoch;
//   - drop_last = true: it is cut down to a multiple of num_replicas.
//
//   kindling::dist::DistributedSampler sampler(train.size(), {.shuffle = true, .seed = 1});
//   for (epoch ...) {
//     sampler.set_epoch(epoch);  // a new permutation each epoch, the same on every rank
//     kindling::nn::Subset shard(train, sampler.indices());
//     kindling::nn::DataLoader loader(shard, {.batch_size = 32});  // no shuffle of its own
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kindling::dist {

/// The options of DistributedSampler, with PyTorch's names and defaults.
struct SamplerOptions {
  /// How many ranks share the data set; -1: the process group's world size
  /// (kindling::dist::init() must have run).
  int num_replicas = -1;
  /// This rank's share, 0 to num_replicas - 1; -1: the process group's rank.
  int rank = -1;
  bool shuffle = true;     ///< A new permutation each epoch; false: the indices in order.
  std::uint64_t seed = 0;  ///< Must be the same on every rank.
  bool drop_last = false;  ///< Cut the indices to a multiple of num_replicas instead of padding.
};

/// Each rank's share of a data set's indices, as torch.utils.data.distributed.DistributedSampler
/// (see the file's comment for padding and cutting).
/// @code
/// kindling::dist::DistributedSampler sampler(train.size(), {.shuffle = true, .seed = 1});
/// for (std::int64_t epoch = 0; epoch < 10; ++epoch) {
///   sampler.set_epoch(epoch);  // a new permutation each epoch, the same on every rank
///   kindling::nn::Subset shard(train, sampler.indices());
///   // ... a DataLoader over shard, without a shuffle of its own
/// }
/// @endcode
class DistributedSampler {
 public:
  /// A sampler over indices 0 to dataset_size - 1.
  /// @throws kindling::error when num_replicas is below 1 or rank is not below it, and, where
  ///   either is -1, when kindling::dist is not initialized.
  explicit DistributedSampler(std::size_t dataset_size, SamplerOptions options = {});
  /// The permutation of the next indices() is drawn from seed + epoch (set_epoch in PyTorch).
  void set_epoch(std::int64_t epoch) noexcept { epoch_ = epoch; }
  /// The epoch set last; 0 at first.
  std::int64_t epoch() const noexcept { return epoch_; }
  /// This rank's indices for the current epoch (size() of them).
  std::vector<std::int64_t> indices() const;
  /// Samples per rank (padded or cut): PyTorch's len(sampler).
  std::size_t size() const noexcept { return num_samples_; }
  /// Samples over all ranks: size() * num_replicas().
  std::size_t total_size() const noexcept { return num_samples_ * num_replicas_; }
  /// How many ranks share the data set.
  int num_replicas() const noexcept { return num_replicas_; }
  /// This rank's share.
  int rank() const noexcept { return rank_; }

 private:
  std::size_t dataset_size_;
  SamplerOptions options_;
  int num_replicas_;
  int rank_;
  std::size_t num_samples_;
  std::int64_t epoch_ = 0;
};

}  // namespace kindling::dist
