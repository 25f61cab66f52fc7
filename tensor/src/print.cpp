// NumPy-like printing: nested brackets, columns aligned, and past 1000 elements only the first
// and last three entries of each dimension with "..." between them.
#include <ostream>
#include <string>
#include <vector>

#include "internal.hpp"
#include "kindling/engine/format.hpp"

namespace kindling {

namespace {

constexpr std::int64_t kSummaryThreshold = 1000;
constexpr std::int64_t kEdgeItems = 3;

// A tensor's elements, ready to format: int64 kept exact (a double cannot hold every int64), the
// others as double.
struct Elements {
  std::vector<double> floating;
  std::vector<std::int64_t> integer;
  bool boolean = false;

  explicit Elements(const Tensor& t) {
    if (t.dtype() == DType::int64)
      integer = t.to_vector<std::int64_t>();
    else
      floating = t.to_vector<double>();
    boolean = t.dtype() == DType::bool_;
  }
  std::string format(std::int64_t i) const {
    const auto at = static_cast<std::size_t>(i);
    if (boolean) return floating[at] != 0.0 ? "True" : "False";  // as PyTorch prints masks
    if (!integer.empty()) return std::to_string(integer[at]);
    return engine::format_number(floating[at]);  // as Value prints: "nan" for every NaN
  }
};

struct Printer {
  const Elements& values;
  const Shape& shape;
  bool summarize;
  std::size_t width = 0;
  std::string out;

  bool skipped(std::int64_t i, std::int64_t n) const {
    return summarize && n > 2 * kEdgeItems && i >= kEdgeItems && i < n - kEdgeItems;
  }

  // Visits the printed elements (to measure the width) or prints them; depth <= kMaxDims.
  void walk(std::size_t dim, std::int64_t offset, std::int64_t stride_product, bool emit,
            int indent) {
    const std::int64_t n = shape[dim];
    const std::int64_t inner = stride_product / std::max<std::int64_t>(n, 1);
    if (emit) out += "[";
    for (std::int64_t i = 0; i < n; ++i) {
      if (skipped(i, n)) {
        if (emit) {
          out += dim + 1 == shape.size() ? "..., " : "...,\n";
          if (dim + 1 != shape.size()) out.append(static_cast<std::size_t>(indent + 1), ' ');
        }
        i = n - kEdgeItems - 1;
        continue;
      }
      if (dim + 1 == shape.size()) {
        const std::string s = values.format(offset + i);
        if (!emit) {
          width = std::max(width, s.size());
        } else {
          out += std::string(width - s.size(), ' ') + s;
          if (i + 1 < n) out += ", ";
        }
      } else {
        walk(dim + 1, offset + i * inner, inner, emit, indent + 1);
        if (emit && i + 1 < n) {
          out += ',';
          out.append(shape.size() - dim - 1, '\n');
          out.append(static_cast<std::size_t>(indent + 1), ' ');
        }
      }
    }
    if (emit) out += "]";
  }
};

}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  const Elements values(t);
  std::string body;
  std::string suffix;
  if (t.dim() == 0) {
    body = values.format(0);
  } else if (t.numel() == 0) {
    // As PyTorch prints it: the nested brackets of (2^40, 0) would take 2^40 lines, so an empty
    // tensor of more than one dimension shows its shape instead.
    body = "[]";
    if (t.dim() > 1) suffix += ", size=" + shape_string(t.shape());
  } else {
    Printer printer{values, t.shape(), t.numel() > kSummaryThreshold, 0, {}};
    printer.walk(0, 0, t.numel(), false, 7);
    printer.walk(0, 0, t.numel(), true, 7);
    body = printer.out;
  }
  if (t.dtype() != DType::float32) suffix += ", dtype=" + std::string(dtype_name(t.dtype()));
  // As torch's repr: a leaf says it requires grad; a result names the op that made it.
  if (t.requires_grad() && t.is_leaf()) suffix += ", requires_grad=True";
  if (t.requires_grad() && !t.is_leaf())
    suffix += ", grad_fn=<" + std::string(op_name(t.op())) + ">";
  return "tensor(" + body + suffix + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  return os << to_string(t);
}

}  // namespace kindling
