// Metrics: accuracy, a confusion matrix with precision, recall and F1, a running mean, and a model
// summary (each layer's output shape and parameter count for an input, as torchinfo gives).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kindling/nn/module.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

// Fraction of rows of logits (N, C) whose argmax equals the int64 target (N,).
double accuracy(const Tensor& logits, const Tensor& targets);

// How per-class scores become one number, as scikit-learn's `average`: macro (the mean over
// classes), micro (from the pooled counts: accuracy, for single-label classes) or weighted (the
// mean weighted by each class's number of true samples).
enum class Average { macro, micro, weighted };

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
  // Per class c: precision TP / (TP + FP) (column c), recall TP / (TP + FN) (row c) and F1, their
  // harmonic mean; 0 where the denominator is 0 (scikit-learn's zero_division=0).
  std::vector<double> precision_per_class() const;
  std::vector<double> recall_per_class() const;
  std::vector<double> f1_per_class() const;
  double precision(Average average = Average::macro) const;
  double recall(Average average = Average::macro) const;
  double f1(Average average = Average::macro) const;
  // A text table: a header row of the predicted classes' numbers, then one row per true class
  // (named "3 Dress" when `labels` names the classes).
  std::string to_string(const std::vector<std::string>& labels = {}) const;

 private:
  std::int64_t classes_;
  std::vector<std::int64_t> counts_;
  std::int64_t total_ = 0;
};

// Precision, recall and F1 of predictions (logits (N, C) or int64 classes (N,)) against int64
// targets (N,) over `num_classes` classes: ConfusionMatrix's, in one call.
double precision(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
                 Average average = Average::macro);
double recall(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
              Average average = Average::macro);
double f1_score(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
                Average average = Average::macro);

// One row of a model summary: a module call, in call order (a parent before its children).
struct LayerSummary {
  std::string name;  // dotted, as in named_modules ("" for the model itself)
  std::string type;  // "Linear"
  int depth = 0;     // 0 for the model, 1 for its children, ...
  Shape output_shape;
  std::int64_t parameters = 0;  // the module's parameter elements, its submodules' included
};
// Runs `model` on `input` (without gradients, in the model's current mode) and records each module
// call's output shape (Note [module call observer] in module.hpp).
std::vector<LayerSummary> summarize(Module& model, const Tensor& input);
// The same as a table, as torchinfo's summary: one line per call, indented by depth, then the
// total and trainable parameter counts.
std::string model_summary(Module& model, const Tensor& input);

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
