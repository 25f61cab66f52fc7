// accuracy, ConfusionMatrix.
#include "kindling/nn/metrics.hpp"

#include <cstdio>
#include <sstream>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling::nn {

namespace {
// Predicted classes (N,) from logits (N, C) or from int64 predictions (N,).
std::vector<std::int64_t> predicted_classes(const Tensor& predictions, const char* who) {
  const no_grad guard;
  if (predictions.dtype() == DType::int64 && predictions.dim() == 1)
    return predictions.to_vector<std::int64_t>();
  KINDLING_CHECK(predictions.dim() == 2, who,
                 ": expected logits (N, C) or int64 predictions "
                 "(N,), got ",
                 shape_string(predictions.shape()));
  return argmax(predictions, 1).to_vector<std::int64_t>();
}
}  // namespace

double accuracy(const Tensor& logits, const Tensor& targets) {
  const auto predicted = predicted_classes(logits, "accuracy");
  KINDLING_CHECK(targets.dtype() == DType::int64 && targets.dim() == 1 &&
                     static_cast<std::size_t>(targets.numel()) == predicted.size(),
                 "accuracy: targets ", shape_string(targets.shape()), " ",
                 dtype_name(targets.dtype()), " for ", predicted.size(), " predictions");
  if (predicted.empty()) return 0.0;
  const auto truth = targets.to_vector<std::int64_t>();
  std::size_t right = 0;
  for (std::size_t i = 0; i < truth.size(); ++i)
    right += predicted[i] == truth[i];
  return static_cast<double>(right) / static_cast<double>(truth.size());
}

ConfusionMatrix::ConfusionMatrix(std::int64_t num_classes)
    : classes_(num_classes), counts_(static_cast<std::size_t>(num_classes * num_classes), 0) {
  KINDLING_CHECK(num_classes > 0, "ConfusionMatrix: num_classes must be positive, got ",
                 num_classes);
}

void ConfusionMatrix::update(const Tensor& predictions, const Tensor& targets) {
  const auto predicted = predicted_classes(predictions, "ConfusionMatrix");
  const auto truth = targets.to_vector<std::int64_t>();
  KINDLING_CHECK(truth.size() == predicted.size(), "ConfusionMatrix: ", predicted.size(),
                 " predictions for ", truth.size(), " targets");
  for (std::size_t i = 0; i < truth.size(); ++i) {
    KINDLING_CHECK(
        truth[i] >= 0 && truth[i] < classes_ && predicted[i] >= 0 && predicted[i] < classes_,
        "ConfusionMatrix: class ", truth[i], " / ", predicted[i], " outside 0..", classes_ - 1);
    ++counts_[static_cast<std::size_t>(truth[i] * classes_ + predicted[i])];
  }
  total_ += static_cast<std::int64_t>(truth.size());
}

std::int64_t ConfusionMatrix::count(std::int64_t truth, std::int64_t predicted) const {
  KINDLING_CHECK(truth >= 0 && truth < classes_ && predicted >= 0 && predicted < classes_,
                 "ConfusionMatrix::count: (", truth, ", ", predicted, ") outside ", classes_,
                 " classes");
  return counts_[static_cast<std::size_t>(truth * classes_ + predicted)];
}

double ConfusionMatrix::accuracy() const {
  std::int64_t diagonal = 0;
  for (std::int64_t c = 0; c < classes_; ++c)
    diagonal += count(c, c);
  return total_ ? static_cast<double>(diagonal) / static_cast<double>(total_) : 0.0;
}

std::string ConfusionMatrix::to_string(const std::vector<std::string>& labels) const {
  std::ostringstream os;
  char cell[32];
  os << "true \\ predicted\n";
  for (std::int64_t r = 0; r < classes_; ++r) {
    const std::string name =
        r < static_cast<std::int64_t>(labels.size()) ? labels[r] : std::to_string(r);
    std::snprintf(cell, sizeof cell, "%-12.12s", name.c_str());
    os << cell;
    for (std::int64_t c = 0; c < classes_; ++c) {
      std::snprintf(cell, sizeof cell, " %6lld", static_cast<long long>(count(r, c)));
      os << cell;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace kindling::nn
