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

struct Batch {
  Tensor inputs;   // (B, ...)
  Tensor targets;  // (B, ...)
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;
  // The samples at `indices`, stacked along a new first dimension.
  virtual Batch get_batch(std::span<const std::int64_t> indices) const = 0;
  Batch get(std::int64_t index) const { return get_batch({&index, 1}); }
};

// Samples are the rows of two tensors with the same first dimension.
class TensorDataset : public Dataset {
 public:
  TensorDataset() = default;
  TensorDataset(Tensor inputs, Tensor targets);
  std::size_t size() const override;
  Batch get_batch(std::span<const std::int64_t> indices) const override;
  const Tensor& inputs() const noexcept { return inputs_; }
  const Tensor& targets() const noexcept { return targets_; }

 private:
  Tensor inputs_, targets_;
};

// The samples of `dataset` at `indices`, in that order, as torch.utils.data.Subset. It keeps a
// reference to `dataset`, which must outlive it. Indices are checked against the data set's size.
class Subset : public Dataset {
 public:
  Subset(const Dataset& dataset, std::vector<std::int64_t> indices);
  Subset(const Dataset&& dataset, std::vector<std::int64_t> indices) = delete;
  std::size_t size() const override { return indices_.size(); }
  Batch get_batch(std::span<const std::int64_t> indices) const override;
  const std::vector<std::int64_t>& indices() const noexcept { return indices_; }
  const Dataset& dataset() const noexcept { return *dataset_; }

 private:
  const Dataset* dataset_;
  std::vector<std::int64_t> indices_;
};

// Splits `dataset` into subsets of the given lengths (which must add up to its size), its samples
// in an order drawn from `generator` (a Fisher-Yates shuffle, the DataLoader's), as
// torch.utils.data.random_split: random_split(data, {800, 200}, g).
std::vector<Subset> random_split(const Dataset& dataset, const std::vector<std::int64_t>& lengths,
                                 Generator& generator);
// The same with fractions adding up to 1: each subset gets floor(fraction * size) samples and the
// remainder goes one by one to the first subsets, as torch's.
std::vector<Subset> random_split_fractions(const Dataset& dataset,
                                           const std::vector<double>& fractions,
                                           Generator& generator);
// 0, 1, ..., n - 1 in an order drawn from `generator` (Fisher-Yates, the DataLoader's shuffle).
std::vector<std::int64_t> shuffled_indices(std::int64_t n, Generator& generator);

struct LoaderOptions {
  std::int64_t batch_size = 32;
  bool shuffle = false;
  bool drop_last = false;  // drop a last batch smaller than batch_size
  std::uint64_t seed = 0;  // the shuffling generator's seed
};

class DataLoader {
 public:
  // The loader keeps a reference to `dataset`, which must outlive it.
  DataLoader(const Dataset& dataset, LoaderOptions options);
  // A temporary data set would be gone before the first batch: DataLoader(TensorDataset(...),
  // {...}) does not compile. Keep the data set in a variable.
  DataLoader(const Dataset&& dataset, LoaderOptions options) = delete;
  // Batches per epoch.
  std::size_t size() const noexcept;

  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    const Batch& operator*() const noexcept { return batch_; }
    const Batch* operator->() const noexcept { return &batch_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const noexcept { return next_ == other.next_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::size_t next);
    void load();
    const DataLoader* loader_;
    std::size_t next_;  // index of the batch after the one held; size()+1 for the end
    Batch batch_;
  };

  // Starts an epoch: reshuffles (when shuffling) with the loader's generator.
  Iterator begin();
  Iterator end() const;
  // The generator the shuffles draw from, for checkpoints (its state before an epoch decides
  // that epoch's order).
  Generator& generator() noexcept { return generator_; }
  const std::vector<std::int64_t>& order() const noexcept { return order_; }

 private:
  const Dataset* dataset_;
  LoaderOptions options_;
  Generator generator_;
  std::vector<std::int64_t> order_;
};

// The two-moons data (nn/moons.hpp) as a data set: inputs (n, 2) float32, targets (n,) int64.
TensorDataset moons_dataset(std::size_t n, double noise, std::uint64_t seed);

}  // namespace kindling::nn
