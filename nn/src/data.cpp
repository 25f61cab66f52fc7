// TensorDataset, Subset, random_split, DataLoader and the moons data set.
#include "kindling/nn/data.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/nn/moons.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling::nn {

// ---- TensorDataset -----------------------------------------------------------------------------

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  KINDLING_CHECK(inputs_.dim() >= 1 && targets_.dim() >= 1 && inputs_.size(0) == targets_.size(0),
                 "TensorDataset: inputs ", shape_string(inputs_.shape()), " and targets ",
                 shape_string(targets_.shape()), " need the same first dimension");
}

std::size_t TensorDataset::size() const {
  return inputs_.defined() ? static_cast<std::size_t>(inputs_.size(0)) : 0;
}

namespace {
// Rows `indices` of `source`, on its device (index_select copies whole rows with memcpy on the
// CPU).
Tensor select_rows(const Tensor& source, std::span<const std::int64_t> indices) {
  const Tensor index = from_vector(std::vector<std::int64_t>(indices.begin(), indices.end()),
                                   {static_cast<std::int64_t>(indices.size())});
  return index_select(source, 0, index.to(source.device()));
}
}  // namespace

Batch TensorDataset::get_batch(std::span<const std::int64_t> indices) const {
  const no_grad guard;
  const auto n = static_cast<std::int64_t>(size());
  for (const std::int64_t i : indices)
    KINDLING_CHECK(i >= 0 && i < n, "TensorDataset: index ", i, " out of range for ", n,
                   " samples");
  return {select_rows(inputs_, indices), select_rows(targets_, indices)};
}

// ---- Subset and random_split ------------------------------------------------------------------

Subset::Subset(const Dataset& dataset, std::vector<std::int64_t> indices)
    : dataset_(&dataset), indices_(std::move(indices)) {
  const auto n = static_cast<std::int64_t>(dataset.size());
  for (std::size_t i = 0; i < indices_.size(); ++i)
    KINDLING_CHECK(indices_[i] >= 0 && indices_[i] < n, "Subset: index ", indices_[i],
                   " at position ", i, " is out of range for a data set of ", n, " samples");
}

Batch Subset::get_batch(std::span<const std::int64_t> indices) const {
  const auto n = static_cast<std::int64_t>(indices_.size());
  std::vector<std::int64_t> mapped;
  mapped.reserve(indices.size());
  for (const std::int64_t i : indices) {
    KINDLING_CHECK(i >= 0 && i < n, "Subset: index ", i, " out of range for ", n, " samples");
    mapped.push_back(indices_[static_cast<std::size_t>(i)]);
  }
  return dataset_->get_batch(mapped);
}

std::vector<std::int64_t> shuffled_indices(std::int64_t n, Generator& generator) {
  KINDLING_CHECK(n >= 0, "shuffled_indices: n must be >= 0, got ", n);
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[generator.below(i)]);
  return order;
}

std::vector<Subset> random_split(const Dataset& dataset, const std::vector<std::int64_t>& lengths,
                                 Generator& generator) {
  std::int64_t total = 0;
  std::string given;
  for (const std::int64_t length : lengths) {
    KINDLING_CHECK(length >= 0, "random_split: a length of ", length, " is negative");
    total = checked_add(total, length, "random_split", "lengths");
    given += (given.empty() ? "" : ", ") + std::to_string(length);
  }
  KINDLING_CHECK(total == static_cast<std::int64_t>(dataset.size()), "random_split: lengths (",
                 given, ") add up to ", total, ", not to the data set's ", dataset.size(),
                 " samples");
  const std::vector<std::int64_t> order =
      shuffled_indices(static_cast<std::int64_t>(dataset.size()), generator);
  std::vector<Subset> parts;
  auto start = order.begin();
  for (const std::int64_t length : lengths) {
    parts.emplace_back(dataset, std::vector<std::int64_t>(start, start + length));
    start += length;
  }
  return parts;
}

std::vector<Subset> random_split_fractions(const Dataset& dataset,
                                           const std::vector<double>& fractions,
                                           Generator& generator) {
  double total = 0.0;
  for (const double f : fractions) {
    KINDLING_CHECK(f >= 0.0 && f <= 1.0, "random_split: fraction ", f, " is not in [0, 1]");
    total += f;
  }
  KINDLING_CHECK(std::abs(total - 1.0) <= 1e-9 && !fractions.empty(),
                 "random_split: fractions add up to ", total, ", not to 1");
  const auto n = static_cast<std::int64_t>(dataset.size());
  std::vector<std::int64_t> lengths;
  std::int64_t assigned = 0;
  for (const double f : fractions) {
    lengths.push_back(static_cast<std::int64_t>(std::floor(static_cast<double>(n) * f)));
    assigned += lengths.back();
  }
  for (std::size_t i = 0; assigned < n; i = (i + 1) % lengths.size(), ++assigned)
    ++lengths[i];
  return random_split(dataset, lengths, generator);
}

// ---- DataLoader --------------------------------------------------------------------------------

DataLoader::DataLoader(const Dataset& dataset, LoaderOptions options)
    : dataset_(&dataset), options_(options), generator_(options.seed) {
  KINDLING_CHECK(options.batch_size > 0, "DataLoader: batch_size must be positive, got ",
                 options.batch_size);
  order_.resize(dataset.size());
  std::iota(order_.begin(), order_.end(), 0);
}

std::size_t DataLoader::size() const noexcept {
  const auto n = order_.size(), b = static_cast<std::size_t>(options_.batch_size);
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() {
  std::iota(order_.begin(), order_.end(), 0);
  if (options_.shuffle) {
    // Fisher-Yates with the loader's generator: the same seed gives the same epochs anywhere.
    for (std::size_t i = order_.size(); i > 1; --i)
      std::swap(order_[i - 1], order_[generator_.below(i)]);
  }
  Iterator it(this, 0);
  if (size() == 0)
    it.next_ = size() + 1;
  else
    it.load();
  return it;
}

DataLoader::Iterator DataLoader::end() const {
  return Iterator(this, size() + 1);
}

DataLoader::Iterator::Iterator(const DataLoader* loader, std::size_t next)
    : loader_(loader), next_(next) {}

void DataLoader::Iterator::load() {
  const auto b = static_cast<std::size_t>(loader_->options_.batch_size);
  const std::size_t start = next_ * b;
  const std::size_t stop = std::min(start + b, loader_->order_.size());
  batch_ = loader_->dataset_->get_batch(
      std::span<const std::int64_t>(loader_->order_.data() + start, stop - start));
  ++next_;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  if (next_ >= loader_->size()) {
    next_ = loader_->size() + 1;
    batch_ = {};
  } else {
    load();
  }
  return *this;
}

// ---- moons -------------------------------------------------------------------------------------

TensorDataset moons_dataset(std::size_t n, double noise, std::uint64_t seed) {
  const MoonsData data = make_moons(n, noise, seed);
  std::vector<std::int64_t> labels(data.label.begin(), data.label.end());
  const auto rows = static_cast<std::int64_t>(n);
  return TensorDataset(from_vector(data.x, {rows, 2}, DType::float32), from_vector(labels, {rows}));
}

}  // namespace kindling::nn
