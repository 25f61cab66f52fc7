// kindling's tensor functions for Python: creation (tensor, from_numpy, zeros, randn, ...) and
// the ops of ops.hpp that are not methods (matmul, softmax, cross_entropy, ...).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/random.hpp"
#include "kindling/explain/tensor_dot.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/threads.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {
// A number argument (full's value, where's branches) as a Scalar, or a kindling.Error naming `op`.
Scalar number_argument(const py::object& value, const char* op, const char* what) {
  const std::optional<Scalar> s = as_scalar(value);
  KINDLING_CHECK(s.has_value(), op, ": ", what, " must be a number, got ",
                 py::str(py::type::of(value).attr("__name__")).cast<std::string>());
  return *s;
}

// Creation functions take requires_grad=False by keyword, as torch's (torch.randn(3,
// requires_grad=True)): the new tensor is a leaf that records its gradient.
Tensor leaf(Tensor t, bool requires_grad) {
  if (requires_grad) t.set_requires_grad(true);
  return t;
}

}  // namespace

void bind_tensor_functions(py::module_& m) {
  Generator& generator = default_generator();
  // ---- creation ----
  m.def(
      "tensor",
      [](const py::object& data, std::optional<std::string> dtype, bool requires_grad) {
        Tensor t;
        if (dtype || py::isinstance<py::array>(data)) {
          t = from_numpy(data, dtype);
        } else {
          // Python data: floats become float32 (the working type), ints int64, as in PyTorch.
          const py::array array = numeric_array(data);
          const char kind = array.dtype().kind();
          t = from_numpy(array, kind == 'f' ? std::optional<std::string>("float32") : std::nullopt);
        }
        if (requires_grad) t.set_requires_grad(true);
        return t;
      },
      py::arg("data"), py::arg("dtype") = py::none(), py::arg("requires_grad") = false,
      "A copy of `data` (a NumPy array keeps its dtype; Python floats become float32)");
  m.def(
      "from_numpy",
      [](const py::handle& a) {
        Tensor shared = share_numpy(a);
        return shared.defined() ? shared : from_numpy(a, std::nullopt);
      },
      py::arg("array"),
      "The array as a Tensor: sharing its memory when it is C-contiguous, aligned float32, "
      "float64, int64 or bool (writes show on both sides, as with torch.from_numpy), else a copy");
  // Shapes go through to_shape (Note [python shapes] in tensor.cpp).
  // zeros((2, 3)) or zeros(2, 3), as torch; the dtype (and a seed) by keyword.
  m.def(
      "zeros",
      [](const py::args& s, const std::string& dtype, bool requires_grad) {
        return leaf(zeros(shape_args(s, "zeros"), parse_dtype(dtype)), requires_grad);
      },
      py::kw_only(), py::arg("dtype") = "float32", py::arg("requires_grad") = false);
  m.def(
      "ones",
      [](const py::args& s, const std::string& dtype, bool requires_grad) {
        return leaf(ones(shape_args(s, "ones"), parse_dtype(dtype)), requires_grad);
      },
      py::kw_only(), py::arg("dtype") = "float32", py::arg("requires_grad") = false);
  m.def(
      "full",
      [](const py::object& s, const py::object& value, const std::string& dtype,
         bool requires_grad) {
        return leaf(full(to_shape(s, "full"), number_argument(value, "full", "the value"),
                         parse_dtype(dtype)),
                    requires_grad);
      },
      py::arg("shape"), py::arg("value"), py::arg("dtype") = "float32", py::kw_only(),
      py::arg("requires_grad") = false);
  m.def(
      "arange",
      [](double start, std::optional<double> stop, double step, const std::string& dtype,
         bool requires_grad) {
        return leaf(stop ? arange(start, *stop, step, parse_dtype(dtype))
                         : arange(0.0, start, step, parse_dtype(dtype)),
                    requires_grad);
      },
      py::arg("start"), py::arg("stop") = py::none(), py::arg("step") = 1.0,
      py::arg("dtype") = "float32", py::kw_only(), py::arg("requires_grad") = false);
  m.def(
      "linspace",
      [](double start, double end, std::int64_t steps, const std::string& dtype,
         bool requires_grad) {
        return leaf(linspace(start, end, steps, parse_dtype(dtype)), requires_grad);
      },
      py::arg("start"), py::arg("end"), py::arg("steps"), py::arg("dtype") = "float32",
      py::kw_only(), py::arg("requires_grad") = false);
  // Random draws use the generator kindling.manual_seed reseeds, or a fresh one from `seed`.
  auto draw = [&generator](const char* op, auto make) {
    return [&generator, op, make](const py::args& shape_object, const std::string& dtype,
                                  std::optional<std::uint64_t> seed, bool requires_grad) {
      const Shape shape = shape_args(shape_object, op);
      if (seed) {
        Generator local(*seed);
        return leaf(make(shape, local, parse_dtype(dtype)), requires_grad);
      }
      return leaf(make(shape, generator, parse_dtype(dtype)), requires_grad);
    };
  };
  m.def("rand", draw("rand", [](const Shape& s, Generator& g, DType d) { return rand(s, g, d); }),
        py::kw_only(), py::arg("dtype") = "float32", py::arg("seed") = py::none(),
        py::arg("requires_grad") = false, "Uniform in [0, 1)");
  m.def("randn",
        draw("randn", [](const Shape& s, Generator& g, DType d) { return randn(s, g, d); }),
        py::kw_only(), py::arg("dtype") = "float32", py::arg("seed") = py::none(),
        py::arg("requires_grad") = false, "Standard normal");

  // ---- threads, as torch.set_num_threads / torch.get_num_threads ----
  m.def("set_num_threads", &set_num_threads, py::arg("threads"),
        "Sets how many threads the CPU kernels use (at least 1); results do not depend on it");
  m.def("get_num_threads", &get_num_threads, "How many threads the CPU kernels use");

  // ---- ops as functions ----
  // One per row of the elementwise and reduction families of the op table (op_list.hpp), and
  // mean; their names in `_tensor_functions`, which kindling/__init__.py re-exports and
  // tests/python/test_special_values.py checks against torch.
  py::list generated;
#define KINDLING_X(name, ...)                                        \
  m.def(                                                             \
      #name, [](const Tensor& x) { return name(x); }, py::arg("x")); \
  generated.append(#name);
  KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
  // kindling.<name>(x, parameters...): the rows with parameters (op_list.hpp).
#define KINDLING_X(name, label, formula, ps)                                                     \
  m.def(                                                                                         \
      #name,                                                                                     \
      [](const Tensor& x KINDLING_PARAMS_DEF(ps)) { return name(x KINDLING_PARAMS_NAMES(ps)); }, \
      py::arg("x") KINDLING_PARAMS_PYARGS(ps));                                                  \
  generated.append(#name);
  KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
  // kindling.add(input, other), ..., kindling.pow(input, exponent): one per BINARY row, each
  // operand a tensor, a number or array-like, as torch's.
#define KINDLING_X(name, ...)                                                              \
  m.def(                                                                                   \
      #name,                                                                               \
      [](const py::object& a, const py::object& b) {                                       \
        return binary_function(                                                            \
            #name, a, b, [](const Tensor& x, const Tensor& y) { return name(x, y); },      \
            [](const auto& x, const auto& y) {                                             \
              if constexpr (requires { name(x, y); })                                      \
                return name(x, y); /* the op's own number overload (pow's checks) */       \
              else                                                                         \
                return name(as_operand(x, y), as_operand(y, x));                           \
            });                                                                            \
      },                                                                                   \
      py::arg("input"), py::arg(std::string_view(#name) == "pow" ? "exponent" : "other")); \
  generated.append(#name);
  KINDLING_TENSOR_BINARY(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...)                                                  \
  m.def(                                                                       \
      #name,                                                                   \
      [](const Tensor& x, const py::object& axis, bool keepdim) {              \
        return name(x, to_axes(axis), keepdim);                                \
      },                                                                       \
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false); \
  generated.append(#name);
  KINDLING_TENSOR_REDUCE(KINDLING_X)
  KINDLING_X(mean)
#undef KINDLING_X
  m.attr("_tensor_functions") = py::tuple(generated);
  m.def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); });
  // where(cond, a, b): a and b tensors or numbers (wrapped numbers, so where(c, int64 x, 0.5) is
  // float32 as in torch).
  m.def(
      "where",
      [](const Tensor& c, const py::object& a, const py::object& b) {
        const bool a_tensor = py::isinstance<Tensor>(a), b_tensor = py::isinstance<Tensor>(b);
        if (a_tensor && b_tensor) return where(c, a.cast<Tensor>(), b.cast<Tensor>());
        if (a_tensor) return where(c, a.cast<Tensor>(), number_argument(b, "where", "b"));
        if (b_tensor) return where(c, number_argument(a, "where", "a"), b.cast<Tensor>());
        return where(c, number_argument(a, "where", "a"), number_argument(b, "where", "b"));
      },
      py::arg("cond"), py::arg("a"), py::arg("b"));
  m.def(
      "masked_fill",
      [](const Tensor& x, const Tensor& mask, const py::object& value) {
        if (py::isinstance<Tensor>(value)) return masked_fill(x, mask, value.cast<Tensor>());
        return masked_fill(x, mask, number_argument(value, "masked_fill", "the value"));
      },
      py::arg("x"), py::arg("mask"), py::arg("value"));
  m.def(
      "any",
      [](const Tensor& x, const py::object& axis, bool keepdim) {
        return any(x, to_axes(axis), keepdim);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false);
  m.def(
      "all",
      [](const Tensor& x, const py::object& axis, bool keepdim) {
        return all(x, to_axes(axis), keepdim);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false);
  m.def("logical_not", [](const Tensor& x) { return logical_not(x); });
  m.def("logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); });
  m.def("logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); });
  m.def("logical_xor", [](const Tensor& a, const Tensor& b) { return logical_xor(a, b); });
  m.def(
      "result_type",
      [](const py::object& a, const py::object& b) {
        // Tensors, or numbers as wrapped numbers (Note [type promotion]).
        auto operand = [](const py::object& o) {
          if (py::isinstance<Tensor>(o)) {
            const Tensor t = o.cast<Tensor>();
            return TypedOperand{t.dtype(),
                                t.dim() == 0 ? OperandKind::zero_dim : OperandKind::dimensioned};
          }
          return number_argument(o, "result_type", "an operand").operand();
        };
        return std::string(dtype_name(kindling::result_type({operand(a), operand(b)})));
      },
      py::arg("a"), py::arg("b"), "The dtype name of a binary op's result, as torch.result_type");
  // clamp(x, min, max) with torch's names; a missing bound is no bound (one must be given).
  m.def(
      "clamp",
      [](const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
        KINDLING_CHECK(lo || hi, "clamp: at least one of min and max must be given");
        return clamp(x, lo ? *lo : -INFINITY, hi ? *hi : INFINITY);
      },
      py::arg("x"), py::arg("min") = py::none(), py::arg("max") = py::none());
  m.def(
      "softmax", [](const Tensor& x, std::int64_t axis) { return softmax(x, axis); }, py::arg("x"),
      py::arg("axis") = -1);
  m.def(
      "log_softmax", [](const Tensor& x, std::int64_t axis) { return log_softmax(x, axis); },
      py::arg("x"), py::arg("axis") = -1);
  m.def(
      "logsumexp",
      [](const Tensor& x, const py::object& axis, bool keepdim) {
        return logsumexp(x, to_axes(axis), keepdim);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false);
  m.def(
      "cross_entropy",
      [](const Tensor& logits, const Tensor& target, const std::string& reduction,
         double label_smoothing) {
        return cross_entropy(logits, target, parse_reduction(reduction), label_smoothing);
      },
      py::arg("logits"), py::arg("target"), py::arg("reduction") = "mean",
      py::arg("label_smoothing") = 0.0,
      "logits (N, C), target (N,) int64 class indices; label smoothing e mixes e / C into the "
      "one-hot target");
  m.def(
      "one_hot", [](const Tensor& i, std::int64_t n) { return one_hot(i, n); }, py::arg("index"),
      py::arg("num_classes"));
  m.def(
      "argmax",
      [](const Tensor& x, std::optional<std::int64_t> axis, bool keepdim) {
        return axis ? argmax(x, *axis, keepdim) : argmax(x);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false);
  m.def(
      "concat", [](const std::vector<Tensor>& ts, std::int64_t axis) { return concat(ts, axis); },
      py::arg("tensors"), py::arg("axis") = 0);
  m.def(
      "stack", [](const std::vector<Tensor>& ts, std::int64_t axis) { return stack(ts, axis); },
      py::arg("tensors"), py::arg("axis") = 0);

  m.def(
      "_tensor_to_dot",
      [](const Tensor& root, const std::string& rankdir) {
        engine::DotOptions options;
        KINDLING_CHECK(rankdir == "LR" || rankdir == "TB",
                       "to_dot: rankdir must be 'LR' or 'TB', got '", rankdir, "'");
        options.rankdir = rankdir == "LR" ? engine::RankDir::LR : engine::RankDir::TB;
        return to_dot(root, options);
      },
      py::arg("root"), py::arg("rankdir") = "LR");
}

}  // namespace kindling::python
