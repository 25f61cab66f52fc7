// Metrics: accuracy, a confusion matrix and a running mean.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

// Fraction of rows of logits (N, C) whose argmax equals the int64 target (N,).
double accuracy(const Tensor& logits, const Tensor& targets);

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::int64_t num_classes);
  // Adds a batch: logits (N, C) (argmax taken) or int64 predictions (N,), and int64 targets (N,).
  void update(const Tensor& predictions, const Tensor& targets);
  // Rows are true classes, columns predicted ones.
  std::int64_t count(std::int64_t truth, std::int64_t predicted) const;
  std::int64_t total() const noexcept { return total_; }
  double accuracy() const;
  std::int64_t num_classes() const noexcept { return classes_; }
  // A text table; `labels` (optional) names the classes.
  std::string to_string(const std::vector<std::string>& labels = {}) const;

 private:
  std::int64_t classes_;
  std::vector<std::int64_t> counts_;
  std::int64_t total_ = 0;
};

// The mean of the values added so far, each with a weight (e.g. the batch size).
class RunningMean {
 public:
  void add(double value, double weight = 1.0) noexcept {
    sum_ += value * weight;
    weight_ += weight;
  }
  double mean() const noexcept { return weight_ > 0.0 ? sum_ / weight_ : 0.0; }
  double weight() const noexcept { return weight_; }
  void reset() noexcept { sum_ = weight_ = 0.0; }

 private:
  double sum_ = 0.0, weight_ = 0.0;
};

}  // namespace kindling::nn
