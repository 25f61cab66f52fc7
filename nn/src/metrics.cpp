// accuracy, ConfusionMatrix (with precision, recall and F1) and the model summary.
#include "kindling/nn/metrics.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <utility>

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
  KINDLING_CHECK(targets.dtype() == DType::int64 && targets.dim() == 1,
                 "ConfusionMatrix: targets must be int64 classes (N,), got ",
                 shape_string(targets.shape()), " ", dtype_name(targets.dtype()));
  const auto truth = targets.to_vector<std::int64_t>();
  KINDLING_CHECK(truth.size() == predicted.size(), "ConfusionMatrix: ", predicted.size(),
                 " predictions for ", truth.size(), " targets");
  // Check the whole batch before counting any of it: a bad batch leaves the matrix as it was.
  auto check = [&](const char* what, std::int64_t value, std::size_t i) {
    KINDLING_CHECK(value >= 0 && value < classes_, "ConfusionMatrix: ", what, " ", value,
                   " at index ", i, " is outside 0..", classes_ - 1, " (num_classes ", classes_,
                   ")");
  };
  for (std::size_t i = 0; i < truth.size(); ++i) {
    check("target", truth[i], i);
    check("prediction", predicted[i], i);
  }
  for (std::size_t i = 0; i < truth.size(); ++i)
    ++counts_[static_cast<std::size_t>(truth[i] * classes_ + predicted[i])];
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

namespace {
double ratio(std::int64_t a, std::int64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}
double harmonic(double p, double r) {
  return p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
}
}  // namespace

std::vector<double> ConfusionMatrix::precision_per_class() const {
  std::vector<double> out;
  for (std::int64_t c = 0; c < classes_; ++c) {
    std::int64_t predicted = 0;
    for (std::int64_t r = 0; r < classes_; ++r)
      predicted += count(r, c);
    out.push_back(ratio(count(c, c), predicted));
  }
  return out;
}

std::vector<double> ConfusionMatrix::recall_per_class() const {
  std::vector<double> out;
  for (std::int64_t r = 0; r < classes_; ++r) {
    std::int64_t actual = 0;
    for (std::int64_t c = 0; c < classes_; ++c)
      actual += count(r, c);
    out.push_back(ratio(count(r, r), actual));
  }
  return out;
}

std::vector<double> ConfusionMatrix::f1_per_class() const {
  const std::vector<double> p = precision_per_class(), r = recall_per_class();
  std::vector<double> out;
  for (std::size_t c = 0; c < p.size(); ++c)
    out.push_back(harmonic(p[c], r[c]));
  return out;
}

namespace {
// macro: the plain mean; weighted: by each class's true count (its row sum).
double average_of(const ConfusionMatrix& m, const std::vector<double>& per_class, Average average) {
  double sum = 0.0, weights = 0.0;
  for (std::int64_t c = 0; c < m.num_classes(); ++c) {
    double w = 1.0;
    if (average == Average::weighted) {
      std::int64_t support = 0;
      for (std::int64_t p = 0; p < m.num_classes(); ++p)
        support += m.count(c, p);
      w = static_cast<double>(support);
    }
    sum += w * per_class[static_cast<std::size_t>(c)];
    weights += w;
  }
  return weights == 0.0 ? 0.0 : sum / weights;
}
}  // namespace

// Micro averages pool the counts: every wrong prediction is one false positive (of the predicted
// class) and one false negative (of the true class), so precision, recall and F1 all equal the
// accuracy.
double ConfusionMatrix::precision(Average average) const {
  return average == Average::micro ? accuracy() : average_of(*this, precision_per_class(), average);
}
double ConfusionMatrix::recall(Average average) const {
  return average == Average::micro ? accuracy() : average_of(*this, recall_per_class(), average);
}
double ConfusionMatrix::f1(Average average) const {
  return average == Average::micro ? accuracy() : average_of(*this, f1_per_class(), average);
}

double precision(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
                 Average average) {
  ConfusionMatrix m(num_classes);
  m.update(predictions, targets);
  return m.precision(average);
}
double recall(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
              Average average) {
  ConfusionMatrix m(num_classes);
  m.update(predictions, targets);
  return m.recall(average);
}
double f1_score(const Tensor& predictions, const Tensor& targets, std::int64_t num_classes,
                Average average) {
  ConfusionMatrix m(num_classes);
  m.update(predictions, targets);
  return m.f1(average);
}

std::string ConfusionMatrix::to_string(const std::vector<std::string>& labels) const {
  std::ostringstream os;
  char cell[64];
  os << "true \\ predicted\n";
  // The header: the predicted classes' numbers over their columns.
  std::snprintf(cell, sizeof cell, "%-15s", "");
  os << cell;
  for (std::int64_t c = 0; c < classes_; ++c) {
    std::snprintf(cell, sizeof cell, " %6lld", static_cast<long long>(c));
    os << cell;
  }
  os << "\n";
  for (std::int64_t r = 0; r < classes_; ++r) {
    std::string name = std::to_string(r);
    if (r < static_cast<std::int64_t>(labels.size())) name += " " + labels[r];
    std::snprintf(cell, sizeof cell, "%-15.15s", name.c_str());
    os << cell;
    for (std::int64_t c = 0; c < classes_; ++c) {
      std::snprintf(cell, sizeof cell, " %6lld", static_cast<long long>(count(r, c)));
      os << cell;
    }
    os << "\n";
  }
  return os.str();
}

// ---- model summary -----------------------------------------------------------------------------

namespace {
// Rows in call order: a row opens when a module is entered (so a parent precedes its children)
// and gets its output shape when the module is left.
class SummaryRecorder : public ModuleCallObserver {
 public:
  explicit SummaryRecorder(Module& model) {
    for (const auto& [name, module] : model.named_modules())
      names_.emplace_back(module, name);
  }
  void entered(const Module& module) override {
    LayerSummary row;
    row.type = module.type_name();
    for (const auto& [m, name] : names_)
      if (m == &module) {
        row.name = name;
        row.depth =
            name.empty() ? 0 : 1 + static_cast<int>(std::count(name.begin(), name.end(), '.'));
        break;
      }
    row.parameters = module.parameter_count();
    open_.push_back(rows.size());
    rows.push_back(std::move(row));
  }
  void left(const Module&, const Tensor& output) override {
    rows[open_.back()].output_shape = output.shape();
    open_.pop_back();
  }
  std::vector<LayerSummary> rows;

 private:
  std::vector<std::pair<const Module*, std::string>> names_;
  std::vector<std::size_t> open_;
};

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
}  // namespace

std::vector<LayerSummary> summarize(Module& model, const Tensor& input) {
  const no_grad guard;
  SummaryRecorder recorder(model);
  model(input);
  return std::move(recorder.rows);
}

std::string model_summary(Module& model, const Tensor& input) {
  const std::vector<LayerSummary> rows = summarize(model, input);
  std::vector<std::string> names;
  std::size_t width = std::string("Layer (type)").size();
  for (const LayerSummary& row : rows) {
    std::string name = std::string(2 * static_cast<std::size_t>(row.depth), ' ');
    name += row.name.empty() ? row.type : row.name + " (" + row.type + ")";
    width = std::max(width, name.size());
    names.push_back(std::move(name));
  }
  std::ostringstream os;
  const std::string rule(width + 36, '=');
  auto line = [&](const std::string& a, const std::string& b, const std::string& c) {
    os << a << std::string(width + 2 - a.size(), ' ') << b
       << std::string(b.size() < 20 ? 20 - b.size() : 1, ' ')
       << std::string(c.size() < 14 ? 14 - c.size() : 0, ' ') << c << "\n";
  };
  os << rule << "\n";
  line("Layer (type)", "Output shape", "Param #");
  os << rule << "\n";
  for (std::size_t i = 0; i < rows.size(); ++i)
    line(names[i], shape_string(rows[i].output_shape), with_commas(rows[i].parameters));
  os << rule << "\n";
  std::int64_t trainable = 0;
  for (const Tensor& p : model.parameters())
    if (p.requires_grad()) trainable += p.numel();
  os << "Total params: " << with_commas(model.parameter_count()) << "\n";
  os << "Trainable params: " << with_commas(trainable) << "\n";
  os << "Input shape: " << shape_string(input.shape()) << "\n";
  os << rule << "\n";
  return os.str();
}

}  // namespace kindling::nn
