// Metrics: accuracy, a confusion matrix with precision, recall and F1, a running mean, and a model
// summary (each layer's output shape and parameter count for an input, as torchinfo gives).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kindling/nn/module.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

/// Fraction of rows of logits (N, C) whose argmax equals the int64 target (N,); int64 predicted
/// classes (N,) are taken as they are. 0 for N = 0. In PyTorch: (logits.argmax(1) ==
/// targets).float().mean().
/// @throws kindling::error for logits that are neither (N, C) nor int64 (N,), or targets that are
///   not int64 (N,).
double accuracy(const Tensor& logits, const Tensor& targets);

/// How per-class scores become one number, as scikit-learn's `average`: macro (the mean over
/// classes), micro (from the pooled counts: accuracy, for single-label classes) or weighted (the
/// mean weighted by each class's number of true samples).
enum class Average {
  macro,    ///< The plain mean over classes.
  micro,    ///< From the pooled counts: the accuracy, for single-label classes.
  weighted  ///< The mean weighted by each class's support (its number of true samples).
};

/// Counts of (true class, predicted class) pairs over batches, with accuracy, precision, recall
/// and F1 from them, as sklearn.metrics.confusion_matrix and classification_report.
/// @code
/// kindling::nn::ConfusionMatrix matrix(10);
/// for (const kindling::nn::Batch& batch : test_loader)
///   matrix.update((*model)(batch.inputs), batch.targets);
/// std::cout << matrix.to_string({std::begin(kindling::nn::kFashionMnistLabels),
///                                std::end(kindling::nn::kFashionMnistLabels)})
///           << "macro F1 " << matrix.f1() << "\n";
/// @endcode
class ConfusionMatrix {
 public:
  /// An empty matrix of num_classes x num_classes counts.
  /// @throws kindling::error when num_classes is not positive.
  explicit ConfusionMatrix(std::int64_t num_classes);
  /// Adds a batch: logits (N, C) (argmax taken) or int64 predictions (N,), and int64 targets (N,).
  /// @throws kindling::error (leaving the counts as they were) for other shapes or dtypes, or a
  ///   target or prediction outside [0, num_classes).
  void update(const Tensor& predictions, const Tensor& targets);
  /// The number of samples of class `truth` predicted as `predicted`: rows are true classes,
  /// columns predicted ones.
  /// @throws kindling::error for a class outside [0, num_classes).
  std::int64_t count(std::int64_t truth, std::int64_t predicted) const;
  /// The number of samples counted.
  std::int64_t total() const noexcept { return total_; }
  /// The diagonal's share of total(); 0 when empty.
  double accuracy() const;
  /// The number of classes.
  std::int64_t num_classes() const noexcept { return classes_; }
  /// Per class c: precision TP / (TP + FP) (column c), recall TP / (TP + FN) (row c) and F1, their
  /// harmonic mean; 0 where the denominator is 0 (scikit-learn's zero_division=0).
  std::vector<double> precision_per_class() const;
  /// Per class c: recall TP / (TP + FN) (row c); 0 for a class with no true samples.
  std::vector<double> recall_per_class() const;
  /// Per class c: F1, the harmonic mean of precision and recall; 0 where both are 0.
  std::vector<double> f1_per_class() const;
  /// Precision averaged as `average` says (default macro).
  double precision(Average average = Average::macro) const;
  /// Recall averaged as `average` says (default macro).
  double recall(Average average = Average::macro) const;
  /// F1 averaged as `average` says (default macro): the mean of the per-class F1, as
  /// scikit-learn's f1_score.
  double f1(Average average = Average::macro) const;
  /// A text table: a header row of the predicted classes' numbers, then one row per true class
  /// (named "3 Dress" when `labels` names the classes; names cut at 15 characters).
  std::string to_string(const std::vector<std::string>& labels = {}) const;

 private:
  std::int64_t classes_;
  std::vector<std::int64_t> counts_;
  std::int64_t total_ = 0;
};

/// Precision of predictions (logits (N, C) or int64 classes (N,)) against int64 targets (N,) over
/// `num_classes` classes: ConfusionMatrix's, in one call, as sklearn.metrics.precision_score.
/// @throws kindling::error as ConfusionMatrix's constructor and update().
double precision(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
                 Average average = Average::macro);
/// Recall, as precision() (sklearn.metrics.recall_score).
/// @throws kindling::error as ConfusionMatrix's constructor and update().
double recall(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
              Average average = Average::macro);
/// F1, as precision() (sklearn.metrics.f1_score).
/// @throws kindling::error as ConfusionMatrix's constructor and update().
double f1_score(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
                Average average = Average::macro);

/// One row of a model summary: a module call, in call order (a parent before its children).
struct LayerSummary {
  std::string name;             ///< Dotted, as in named_modules ("" for the model itself).
  std::string type;             ///< The module's type name ("Linear").
  int depth = 0;                ///< 0 for the model, 1 for its children, ...
  Shape output_shape;           ///< The shape forward returned.
  std::int64_t parameters = 0;  ///< The module's parameter elements, its submodules' included.
};
/// Runs `model` on `input` (without gradients, in the model's current mode) and records each
/// module call's output shape (Note [module call observer] in module.hpp). A module called twice
/// gives two rows.
/// @throws kindling::error as the model's forward does.
std::vector<LayerSummary> summarize(Module& model, const Tensor& input);
/// The same as a table, as torchinfo's summary: one line per call, indented by depth, then the
/// total and trainable parameter counts and the input shape.
/// @throws kindling::error as the model's forward does.
std::string model_summary(Module& model, const Tensor& input);

/// The mean of the values added so far, each with a weight (e.g. the batch size): an epoch's
/// mean loss.
class RunningMean {
 public:
  /// Adds `value` with `weight` (default 1).
  void add(double value, double weight = 1.0) noexcept {
    sum_ += value * weight;
    weight_ += weight;
  }
  /// The weighted mean; 0 before any weight is added.
  double mean() const noexcept { return weight_ > 0.0 ? sum_ / weight_ : 0.0; }
  /// The total weight added.
  double weight() const noexcept { return weight_; }
  /// Forgets every value.
  void reset() noexcept { sum_ = weight_ = 0.0; }

 private:
  double sum_ = 0.0, weight_ = 0.0;
};

}  // namespace kindling::nn
