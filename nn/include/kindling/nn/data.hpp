// Data sets (TensorDataset, Subset, random_split) and the DataLoader: batches of (inputs,
// targets), shuffled from a seed.
//
//   TensorDataset train = fashion_mnist(Split::train);
//   DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 1});
//   for (const Batch& batch : loader) { ... }  // each pass over the loader is one epoch
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

/// One batch: B samples' inputs and targets, stacked along a new first dimension.
struct Batch {
  Tensor inputs;   ///< (B, ...), the inputs' dtype.
  Tensor targets;  ///< (B, ...), the targets' dtype (int64 class indices for a classifier).
};

/// A map-style data set, as torch.utils.data.Dataset: size() samples, read a batch at a time
/// (the collation is the data set's own, so a DataLoader needs no collate_fn).
class Dataset {
 public:
  virtual ~Dataset() = default;
  /// The number of samples.
  virtual std::size_t size() const = 0;
  /// The samples at `indices`, stacked along a new first dimension.
  /// @throws kindling::error for an index outside [0, size()).
  virtual Batch get_batch(std::span<const std::int64_t> indices) const = 0;
  /// Sample `index` as a batch of one (shapes (1, ...)), unlike torch's dataset[i].
  Batch get(std::int64_t index) const { return get_batch({&index, 1}); }
};

/// Samples are the rows of two tensors with the same first dimension, as
/// torch.utils.data.TensorDataset with two tensors. Batches are index_select copies, on the
/// tensors' device.
class TensorDataset : public Dataset {
 public:
  /// An empty data set (size 0).
  TensorDataset() = default;
  /// Sample i is (inputs[i], targets[i]); the handles are kept, not copied.
  /// @throws kindling::error when either tensor is 0-d or their first dimensions differ.
  TensorDataset(Tensor inputs, Tensor targets);
  std::size_t size() const override;
  Batch get_batch(std::span<const std::int64_t> indices) const override;
  /// All the inputs, (N, ...).
  const Tensor& inputs() const noexcept { return inputs_; }
  /// All the targets, (N, ...).
  const Tensor& targets() const noexcept { return targets_; }

 private:
  Tensor inputs_, targets_;
};

/// The samples of `dataset` at `indices`, in that order, as torch.utils.data.Subset. It keeps a
/// reference to `dataset`, which must outlive it. Indices are checked against the data set's size.
class Subset : public Dataset {
 public:
  /// The samples of `dataset` at `indices`.
  /// @throws kindling::error naming the position of an index outside [0, dataset.size()).
  Subset(const Dataset& dataset, std::vector<std::int64_t> indices);
  /// A temporary data set would be gone before the first batch: this does not compile.
  Subset(const Dataset&& dataset, std::vector<std::int64_t> indices) = delete;
  std::size_t size() const override { return indices_.size(); }
  Batch get_batch(std::span<const std::int64_t> indices) const override;
  /// The positions in the underlying data set.
  const std::vector<std::int64_t>& indices() const noexcept { return indices_; }
  /// The underlying data set.
  const Dataset& dataset() const noexcept { return *dataset_; }

 private:
  const Dataset* dataset_;
  std::vector<std::int64_t> indices_;
};

/// Splits `dataset` into subsets of the given lengths (which must add up to its size), its samples
/// in an order drawn from `generator` (a Fisher-Yates shuffle, the DataLoader's), as
/// torch.utils.data.random_split: random_split(data, {800, 200}, g). The subsets keep a reference
/// to `dataset`. The order is kindling's own: the same seed does not give torch's split.
/// @throws kindling::error for a negative length or lengths that do not add up to the size.
std::vector<Subset> random_split(const Dataset& dataset, const std::vector<std::int64_t>& lengths,
                                 Generator& generator);
/// The same with fractions adding up to 1: each subset gets floor(fraction * size) samples and the
/// remainder goes one by one to the first subsets, as torch's.
/// @throws kindling::error for a fraction outside [0, 1], no fractions, or a sum that is not 1
///   (within 1e-9).
std::vector<Subset> random_split_fractions(const Dataset& dataset,
                                           const std::vector<double>& fractions,
                                           Generator& generator);
/// 0, 1, ..., n - 1 in an order drawn from `generator` (Fisher-Yates, the DataLoader's shuffle).
/// @throws kindling::error when n < 0.
std::vector<std::int64_t> shuffled_indices(std::int64_t n, Generator& generator);

/// The DataLoader's options, with torch.utils.data.DataLoader's names. The defaults differ in
/// batch_size (32 here, 1 in torch); the shuffling seed stands in for torch's generator; there
/// are no workers, samplers or collate_fn.
struct LoaderOptions {
  std::int64_t batch_size = 32;  ///< Samples per batch (> 0).
  bool shuffle = false;          ///< Draw a new order at the start of every epoch.
  bool drop_last = false;        ///< Drop a last batch smaller than batch_size.
  std::uint64_t seed = 0;        ///< The shuffling generator's seed.
};

/// Batches of a data set, one epoch per pass, as torch.utils.data.DataLoader (in the calling
/// thread). With shuffle, each begin() draws a new Fisher-Yates order from the loader's own
/// generator, so the same seed gives the same epochs on every machine.
/// @code
/// using namespace kindling::nn;
/// TensorDataset train = fashion_mnist(Split::train);
/// DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 1});
/// for (int epoch = 0; epoch < 5; ++epoch)
///   for (const Batch& batch : loader) {
///     // batch.inputs (64, 784) float32, batch.targets (64,) int64; the last batch has 32
///   }
/// @endcode
class DataLoader {
 public:
  /// A loader over `dataset`, which must outlive it (the loader keeps a reference). Its size is
  /// taken now: a data set must not change size under a loader.
  /// @throws kindling::error when batch_size is not positive.
  DataLoader(const Dataset& dataset, LoaderOptions options);
  /// A temporary data set would be gone before the first batch: DataLoader(TensorDataset(...),
  /// {...}) does not compile. Keep the data set in a variable.
  DataLoader(const Dataset&& dataset, LoaderOptions options) = delete;
  /// Batches per epoch: ceil(size / batch_size), or floor with drop_last.
  std::size_t size() const noexcept;

  /// An iterator over one epoch's batches, for range-for (prefix ++ only); each batch is loaded
  /// as the iterator reaches it. One pass at a time: begin() reshuffles the loader's order.
  class Iterator {
   public:
    using value_type = Batch;                ///< What the iterator yields.
    using difference_type = std::ptrdiff_t;  ///< The iterator's difference type.
    /// The current batch.
    const Batch& operator*() const noexcept { return batch_; }
    /// The current batch's members.
    const Batch* operator->() const noexcept { return &batch_; }
    /// Loads the next batch (or becomes end()).
    Iterator& operator++();
    /// True at the same position of the epoch.
    bool operator==(const Iterator& other) const noexcept { return next_ == other.next_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::size_t next);
    void load();
    const DataLoader* loader_;
    std::size_t next_;  // index of the batch after the one held; size()+1 for the end
    Batch batch_;
  };

  /// Starts an epoch: reshuffles (when shuffling) with the loader's generator, and loads the
  /// first batch.
  Iterator begin();
  /// Past the last batch.
  Iterator end() const;
  /// The generator the shuffles draw from, for checkpoints (its state before an epoch decides
  /// that epoch's order).
  Generator& generator() noexcept { return generator_; }
  /// The current epoch's sample order.
  const std::vector<std::int64_t>& order() const noexcept { return order_; }

 private:
  const Dataset* dataset_;
  LoaderOptions options_;
  Generator generator_;
  std::vector<std::int64_t> order_;
};

/// The two-moons data (nn/moons.hpp, make_moons) as a data set: inputs (n, 2) float32, targets
/// (n,) int64 (0 upper moon, 1 lower).
/// @throws kindling::error as make_moons (n < 2, noise < 0).
TensorDataset moons_dataset(std::size_t n, double noise, std::uint64_t seed);

}  // namespace kindling::nn
