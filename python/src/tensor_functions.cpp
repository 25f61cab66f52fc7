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
#include "tensor_docs.hpp"
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

// torch's dtype for numbers given without one: a bool's is bool, an int's int64, a float's the
// default, float32 (torch.full((2,), 7) is int64, torch.arange(5) int64, torch.arange(5.) float32).
DType dtype_of_number(const Scalar& number) {
  return number.is_floating() ? DType::float32 : number.dtype();
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
          t = from_python_data(data);  // floats become float32, ints int64, as in PyTorch
        }
        if (requires_grad) t.set_requires_grad(true);
        return t;
      },
      py::arg("data"), py::arg("dtype") = py::none(), py::arg("requires_grad") = false,
      R"(A new tensor holding a copy of ``data``, as torch.tensor.

Without a dtype, Python floats become float32 (the working type), ints int64 and bools bool,
as in PyTorch; a list holding a NumPy ``float64`` scalar is float64, as torch's, and a NumPy array
keeps its dtype when kindling has it (other integer arrays become int64, other floating ones
float32). A list given where a tensor operand is expected (``t * [1.5, 2]``) becomes the tensor
this function makes of it. To share a NumPy array's memory instead, use
:func:`from_numpy`.

Args:
    data: a number, nested lists or tuples of numbers, a NumPy array or anything ``np.asarray``
        takes.
    dtype (str, optional): ``'float32'``, ``'float64'``, ``'int64'`` or ``'bool'``.
    requires_grad (bool): make the new leaf record its gradient (floating dtypes only).

Raises:
    kindling.Error: for ragged nested lists or an item that is not a number (the message names
        its position, e.g. ``[1][0]``), more than 8 levels of nesting, an unknown dtype, or
        requires_grad on an int64 or bool tensor.

Example:
    >>> kindling.tensor([[1, 2], [3, 4]])
    tensor([[1, 2],
            [3, 4]], dtype=int64)
    >>> kindling.tensor([1.5, 2], dtype="float64")
    tensor([1.5000, 2.0000], dtype=float64)
    >>> kindling.tensor(3.0, requires_grad=True).requires_grad
    True
)");
  m.def(
      "from_numpy",
      [](const py::handle& a) {
        Tensor shared = share_numpy(a);
        return shared.defined() ? shared : from_numpy(a, std::nullopt);
      },
      py::arg("array"),
      R"(A NumPy array as a Tensor, sharing its memory when it can, as torch.from_numpy.

A C-contiguous, aligned, writeable, native-order array of float32, float64, int64 or bool
becomes a tensor over the same bytes (writes show on both sides; the tensor keeps the array
alive). Any other array (another dtype, strided, read-only) is copied as :func:`tensor` copies
it, where torch.from_numpy would raise for an unsupported dtype.

Args:
    array (numpy.ndarray): the array (anything else ``np.asarray`` takes is copied).

Raises:
    kindling.Error: for data that is not numbers (as :func:`tensor`).

Example:
    >>> import numpy as np
    >>> a = np.zeros(3, dtype=np.float32)
    >>> t = kindling.from_numpy(a)
    >>> a[0] = 5.0
    >>> t
    tensor([5.0000, 0.0000, 0.0000])
)");
  // Shapes go through to_shape (Note [python shapes] in tensor.cpp).
  // zeros((2, 3)) or zeros(2, 3), as torch; the dtype (and a seed) by keyword.
  m.def(
      "zeros",
      [](const py::args& s, const std::string& dtype, bool requires_grad) {
        return leaf(zeros(shape_args(s, "zeros"), parse_dtype(dtype)), requires_grad);
      },
      py::kw_only(), py::arg("dtype") = "float32", py::arg("requires_grad") = false,
      R"(A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``, as torch.zeros.

Args:
    *size (ints): the shape, as several ints or one sequence (none: a 0-d tensor).
    dtype (str): keyword only; ``'float32'`` (default), ``'float64'``, ``'int64'`` or ``'bool'``.
    requires_grad (bool): keyword only; make the new leaf record its gradient.

Raises:
    kindling.Error: for a negative size, more than 8 dimensions, a size past int64 or more bytes
        than can be allocated (the message names the shape), or an unknown dtype. An item that is
        not an int is a TypeError.

Example:
    >>> kindling.zeros(2, 3).shape
    (2, 3)
    >>> kindling.zeros((2,), dtype="int64")
    tensor([0, 0], dtype=int64)
)");
  m.def(
      "ones",
      [](const py::args& s, const std::string& dtype, bool requires_grad) {
        return leaf(ones(shape_args(s, "ones"), parse_dtype(dtype)), requires_grad);
      },
      py::kw_only(), py::arg("dtype") = "float32", py::arg("requires_grad") = false,
      R"(A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``, as torch.ones.

Args:
    *size (ints): the shape, as several ints or one sequence.
    dtype (str): keyword only; ``'float32'`` (default), ``'float64'``, ``'int64'`` or ``'bool'``.
    requires_grad (bool): keyword only; make the new leaf record its gradient.

Raises:
    kindling.Error: as :func:`zeros` (a bad shape or dtype).

Example:
    >>> kindling.ones(2, dtype="float64")
    tensor([1.0000, 1.0000], dtype=float64)
)");
  m.def(
      "full",
      [](const py::object& s, const py::object& value, const std::optional<std::string>& dtype,
         bool requires_grad) {
        const Scalar number = number_argument(value, "full", "the value");
        return leaf(full(to_shape(s, "full"), number,
                         dtype ? parse_dtype(*dtype) : dtype_of_number(number)),
                    requires_grad);
      },
      py::arg("shape"), py::arg("value"), py::arg("dtype") = py::none(), py::kw_only(),
      py::arg("requires_grad") = false,
      R"(A tensor with every element ``value``, as torch.full.

Without a dtype it follows the value, as torch's: a float gives float32, an int int64 and a bool
bool (``full((2,), 7)`` is int64, ``full((2,), 7.0)`` float32).

Args:
    shape (int or sequence of ints): the shape.
    value (number): converted to the dtype (exact for integers; a bool dtype takes value != 0).
    dtype (str, optional): ``'float32'``, ``'float64'``, ``'int64'`` or ``'bool'``; by default
        the value's, as above.
    requires_grad (bool): keyword only; make the new leaf record its gradient (floating dtypes
        only).

Raises:
    kindling.Error: when the value is not a number or does not fit the dtype (NaN, inf or an
        out-of-range number into int64: "cannot be converted to int64 without overflow"), or for
        a bad shape.

Example:
    >>> kindling.full((2, 2), 7)
    tensor([[7, 7],
            [7, 7]], dtype=int64)
    >>> kindling.full((2,), 0.5)
    tensor([0.5000, 0.5000])
    >>> kindling.full((2,), 7, "float64")
    tensor([7.0000, 7.0000], dtype=float64)
)");
  m.def(
      "arange",
      [](const py::object& start, const py::object& stop, const py::object& step,
         const std::optional<std::string>& dtype, bool requires_grad) {
        const Scalar first = number_argument(start, "arange", "start");
        const Scalar end = stop.is_none() ? first : number_argument(stop, "arange", "stop");
        const Scalar spacing = number_argument(step, "arange", "step");
        // As torch: int64 when every bound is an integer, float32 when any is a float.
        const bool any_float = first.is_floating() || end.is_floating() || spacing.is_floating();
        const DType type = dtype ? parse_dtype(*dtype) : any_float ? DType::float32 : DType::int64;
        const double from = stop.is_none() ? 0.0 : first.to_double();
        return leaf(arange(from, end.to_double(), spacing.to_double(), type), requires_grad);
      },
      py::arg("start"), py::arg("stop") = py::none(), py::arg("step") = 1,
      py::arg("dtype") = py::none(), py::kw_only(), py::arg("requires_grad") = false,
      R"(``start, start + step, ...`` while below ``stop`` (above it for a negative step), as NumPy's and torch's arange.

``arange(n)`` is ``0, 1, ..., n - 1``. Without a dtype it is torch's: int64 when ``start``,
``stop`` and ``step`` are all integers (``arange(5)``), float32 when any is a float
(``arange(5.0)``, ``arange(0, 1, 0.25)``).

Args:
    start (number): the first value, or the end when ``stop`` is None.
    stop (number, optional): the end, excluded.
    step (number): the spacing (default 1; not 0).
    dtype (str, optional): ``'float32'``, ``'float64'``, ``'int64'`` or ``'bool'``; by default
        as above.
    requires_grad (bool): keyword only; make the new leaf record its gradient (floating dtypes
        only).

Raises:
    kindling.Error: for a step of 0, a bound that is not a finite number, or an unknown dtype.

Example:
    >>> kindling.arange(4)
    tensor([0, 1, 2, 3], dtype=int64)
    >>> kindling.arange(1, 2, 0.25)
    tensor([1.0000, 1.2500, 1.5000, 1.7500])
    >>> kindling.arange(3, dtype="float64")
    tensor([0.0000, 1.0000, 2.0000], dtype=float64)
)");
  m.def(
      "linspace",
      [](double start, double end, std::int64_t steps, const std::string& dtype,
         bool requires_grad) {
        return leaf(linspace(start, end, steps, parse_dtype(dtype)), requires_grad);
      },
      py::arg("start"), py::arg("end"), py::arg("steps"), py::arg("dtype") = "float32",
      py::kw_only(), py::arg("requires_grad") = false,
      R"(``steps`` evenly spaced values from ``start`` to ``end``, both included, as torch.linspace.

Args:
    start (float): the first value.
    end (float): the last value.
    steps (int): how many (>= 0).
    dtype (str): ``'float32'`` (default), ``'float64'``, or ``'int64'`` (values truncated
        toward 0).
    requires_grad (bool): keyword only; make the new leaf record its gradient.

Raises:
    kindling.Error: for a negative ``steps`` or an unknown dtype.

Example:
    >>> kindling.linspace(0, 1, 5)
    tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
)");
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
        py::arg("requires_grad") = false,
        R"(Random numbers uniform in [0, 1), as torch.rand: ``rand(2, 3)`` or ``rand((2, 3))``.

The draws come from the generator :func:`manual_seed` reseeds, or from a fresh generator
seeded with ``seed`` (kindling's addition; torch passes a ``generator``). kindling's generator
is its own, so the numbers differ from torch's for the same seed.

Args:
    *size (ints): the shape.
    dtype (str): keyword only; ``'float32'`` (default) or ``'float64'``.
    seed (int, optional): keyword only; the seed of a generator for this call alone.
    requires_grad (bool): keyword only; make the new leaf record its gradient.

Raises:
    kindling.Error: for an int64 or bool dtype, or a bad shape.

Example:
    >>> x = kindling.rand(2, 3, seed=1)
    >>> x.shape, bool(((x >= 0) & (x < 1)).all())
    ((2, 3), True)
    >>> kindling.rand(3, seed=1).tolist() == kindling.rand(3, seed=1).tolist()
    True
)");
  m.def("randn",
        draw("randn", [](const Shape& s, Generator& g, DType d) { return randn(s, g, d); }),
        py::kw_only(), py::arg("dtype") = "float32", py::arg("seed") = py::none(),
        py::arg("requires_grad") = false,
        R"(Random numbers from the standard normal distribution, as torch.randn: ``randn(2, 3)``.

The draws come from the generator :func:`manual_seed` reseeds, or from a fresh generator
seeded with ``seed`` (kindling's addition); the numbers differ from torch's for the same seed.

Args:
    *size (ints): the shape.
    dtype (str): keyword only; ``'float32'`` (default) or ``'float64'``.
    seed (int, optional): keyword only; the seed of a generator for this call alone.
    requires_grad (bool): keyword only; make the new leaf record its gradient.

Raises:
    kindling.Error: for an int64 or bool dtype ("randint draws integers"), or a bad shape.

Example:
    >>> kindling.randn(2, 3, seed=0).shape
    (2, 3)
    >>> kindling.manual_seed(7)
    >>> a = kindling.randn(4)
    >>> kindling.manual_seed(7)
    >>> a.tolist() == kindling.randn(4).tolist()
    True
)");

  // ---- threads, as torch.set_num_threads / torch.get_num_threads ----
  m.def("set_num_threads", &set_num_threads, py::arg("threads"),
        R"(Sets how many threads the CPU kernels use, as torch.set_num_threads.

Results do not depend on the thread count (the kernels split work so that every count gives the
same bits).

Args:
    threads (int): at least 1.

Raises:
    kindling.Error: for fewer than 1 thread.

Example:
    >>> before = kindling.get_num_threads()
    >>> kindling.set_num_threads(1)
    >>> kindling.get_num_threads()
    1
    >>> kindling.set_num_threads(before)
)");
  m.def("get_num_threads", &get_num_threads,
        R"(How many threads the CPU kernels use, as torch.get_num_threads.

Example:
    >>> kindling.get_num_threads() >= 1
    True
)");

  // ---- ops as functions ----
  // One per row of the elementwise and reduction families of the op table (op_list.hpp), and
  // mean; their names in `_tensor_functions`, which kindling/__init__.py re-exports and
  // tests/python/test_special_values.py checks against torch.
  py::list generated;
#define KINDLING_X(name, ...)                                                    \
  m.def(                                                                         \
      #name, [](const Tensor& x) { return name(x); }, py::arg("x"), docs::name); \
  generated.append(#name);
  KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
  // kindling.<name>(x, parameters...): the rows with parameters (op_list.hpp).
#define KINDLING_X(name, label, formula, ps)                                                     \
  m.def(                                                                                         \
      #name,                                                                                     \
      [](const Tensor& x KINDLING_PARAMS_DEF(ps)) { return name(x KINDLING_PARAMS_NAMES(ps)); }, \
      py::arg("x") KINDLING_PARAMS_PYARGS(ps), docs::name);                                      \
  generated.append(#name);
  KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
  // kindling.add(input, other), ..., kindling.pow(input, exponent): one per BINARY row, each
  // operand a tensor, a number or array-like, as torch's.
#define KINDLING_X(name, ...)                                                             \
  m.def(                                                                                  \
      #name,                                                                              \
      [](const py::object& a, const py::object& b) {                                      \
        return binary_function(                                                           \
            #name, a, b, [](const Tensor& x, const Tensor& y) { return name(x, y); },     \
            [](const auto& x, const auto& y) {                                            \
              if constexpr (requires { name(x, y); })                                     \
                return name(x, y); /* the op's own number overload (pow's checks) */      \
              else                                                                        \
                return name(as_operand(x, y), as_operand(y, x));                          \
            });                                                                           \
      },                                                                                  \
      py::arg("input"), py::arg(std::string_view(#name) == "pow" ? "exponent" : "other"), \
      docs::name);                                                                        \
  generated.append(#name);
  KINDLING_TENSOR_BINARY(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...)                                                              \
  m.def(                                                                                   \
      #name,                                                                               \
      [](const Tensor& x, const py::object& axis, bool keepdim) {                          \
        return name(x, to_axes(axis), keepdim);                                            \
      },                                                                                   \
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::name); \
  generated.append(#name);
  KINDLING_TENSOR_REDUCE(KINDLING_X)
  KINDLING_X(mean)
#undef KINDLING_X
  m.attr("_tensor_functions") = py::tuple(generated);
  m.def(
      "matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::arg("input"),
      py::arg("other"), docs::matmul);
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
      py::arg("cond"), py::arg("a"), py::arg("b"),
      R"(``a`` where ``cond`` is True, else ``b``, elementwise, as torch.where(condition, input, other).

The three broadcast together. ``a`` and ``b`` may be tensors or numbers (wrapped numbers, so
``where(c, int64_x, 0.5)`` is float32 as in torch); the result dtype is their result_type. No
gradient flows to ``cond``. torch's one-argument form ``where(cond)`` is not supported.

Args:
    cond (Tensor): bool (compare with ``!= 0`` or cast first).
    a (Tensor or number): the values where cond is True.
    b (Tensor or number): the values elsewhere.

Raises:
    kindling.Error: for a cond that is not bool or is on another device, shapes that do not
        broadcast, or an operand that is neither a tensor nor a number.

Example:
    >>> c = kindling.tensor([True, False])
    >>> kindling.where(c, kindling.tensor([1.0, 2.0]), 0.0)
    tensor([1.0000, 0.0000])
)");
  m.def(
      "masked_fill",
      [](const Tensor& x, const Tensor& mask, const py::object& value) {
        if (py::isinstance<Tensor>(value)) return masked_fill(x, mask, value.cast<Tensor>());
        return masked_fill(x, mask, number_argument(value, "masked_fill", "the value"));
      },
      py::arg("x"), py::arg("mask"), py::arg("value"), docs::masked_fill);
  m.def(
      "any",
      [](const Tensor& x, const py::object& axis, bool keepdim) {
        return any(x, to_axes(axis), keepdim);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::any);
  m.def(
      "all",
      [](const Tensor& x, const py::object& axis, bool keepdim) {
        return all(x, to_axes(axis), keepdim);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::all);
  m.def(
      "logical_not", [](const Tensor& x) { return logical_not(x); }, py::arg("x"),
      docs::logical_not);
  m.def(
      "logical_and", [](const Tensor& a, const Tensor& b) { return logical_and(a, b); },
      py::arg("input"), py::arg("other"),
      R"(Elementwise and of the truth of two tensors, as torch.logical_and (``&`` on bool tensors).

Any dtypes (nonzero, NaN included, is true); they broadcast. The result is bool and never
requires grad.

Raises:
    kindling.Error: when the shapes do not broadcast.

Example:
    >>> kindling.logical_and(kindling.tensor([True, False]), kindling.tensor([1, 1]))
    tensor([ True, False], dtype=bool)
)");
  m.def(
      "logical_or", [](const Tensor& a, const Tensor& b) { return logical_or(a, b); },
      py::arg("input"), py::arg("other"),
      R"(Elementwise or of the truth of two tensors, as torch.logical_or (``|`` on bool tensors).

Any dtypes (nonzero, NaN included, is true); they broadcast. The result is bool and never
requires grad.

Raises:
    kindling.Error: when the shapes do not broadcast.

Example:
    >>> kindling.logical_or(kindling.tensor([True, False]), kindling.tensor([0.0, 0.0]))
    tensor([ True, False], dtype=bool)
)");
  m.def(
      "logical_xor", [](const Tensor& a, const Tensor& b) { return logical_xor(a, b); },
      py::arg("input"), py::arg("other"),
      R"(Elementwise exclusive or of the truth of two tensors, as torch.logical_xor (``^`` on bool tensors).

Any dtypes (nonzero, NaN included, is true); they broadcast. The result is bool and never
requires grad.

Raises:
    kindling.Error: when the shapes do not broadcast.

Example:
    >>> kindling.logical_xor(kindling.tensor([True, True]), kindling.tensor([True, False]))
    tensor([False,  True], dtype=bool)
)");
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
      py::arg("a"), py::arg("b"),
      R"(The dtype a binary op on ``a`` and ``b`` gives, as torch.result_type.

Tensors of more dimensions win over 0-d tensors, which win over numbers, unless the lesser
operand's kind (bool < integer < floating) is higher: ``int64 tensor * 0.5`` is float32, and a
float64 0-d tensor with a float32 tensor is float32.

Args:
    a (Tensor or number): an operand.
    b (Tensor or number): the other.

Returns:
    str: the dtype name.

Raises:
    kindling.Error: for an operand that is neither a tensor nor a number.

Example:
    >>> kindling.result_type(kindling.tensor([1]), 0.5)
    'float32'
    >>> kindling.result_type(kindling.tensor([1.0]), kindling.tensor([1.0], dtype="float64"))
    'float64'
)");
  // clamp(x, min, max) with torch's names; a missing bound is no bound (one must be given).
  m.def(
      "clamp",
      [](const Tensor& x, std::optional<double> lo, std::optional<double> hi) {
        KINDLING_CHECK(lo || hi, "clamp: at least one of min and max must be given");
        return clamp(x, lo ? *lo : -INFINITY, hi ? *hi : INFINITY);
      },
      py::arg("x"), py::arg("min") = py::none(), py::arg("max") = py::none(), docs::clamp);
  m.def(
      "softmax", [](const Tensor& x, std::int64_t axis) { return softmax(x, axis); }, py::arg("x"),
      py::arg("axis") = -1, docs::softmax);
  m.def(
      "log_softmax", [](const Tensor& x, std::int64_t axis) { return log_softmax(x, axis); },
      py::arg("x"), py::arg("axis") = -1, docs::log_softmax);
  m.def(
      "logsumexp",
      [](const Tensor& x, const py::object& axis, bool keepdim) {
        return logsumexp(x, to_axes(axis), keepdim);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::logsumexp);
  m.def(
      "cross_entropy",
      [](const Tensor& logits, const Tensor& target, const std::string& reduction,
         double label_smoothing) {
        return cross_entropy(logits, target, parse_reduction(reduction), label_smoothing);
      },
      py::arg("logits"), py::arg("target"), py::arg("reduction") = "mean",
      py::arg("label_smoothing") = 0.0, docs::cross_entropy);
  m.def(
      "one_hot", [](const Tensor& i, std::int64_t n) { return one_hot(i, n); }, py::arg("index"),
      py::arg("num_classes"),
      R"(One-hot rows: ``(...)`` int64 class indices to ``(..., num_classes)`` int64, as torch.nn.functional.one_hot.

Never requires grad. Unlike torch, ``num_classes`` is required (torch infers it from the largest
index with -1).

Args:
    index (Tensor): int64 indices in ``[0, num_classes)``.
    num_classes (int): the length of each row.

Raises:
    kindling.Error: for an index that is not int64, or an index outside ``[0, num_classes)``.

Example:
    >>> kindling.one_hot(kindling.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]], dtype=int64)
)");
  m.def(
      "argmax",
      [](const Tensor& x, std::optional<std::int64_t> axis, bool keepdim) {
        return axis ? argmax(x, *axis, keepdim) : argmax(x);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::argmax);
  m.def(
      "concat", [](const std::vector<Tensor>& ts, std::int64_t axis) { return concat(ts, axis); },
      py::arg("tensors"), py::arg("axis") = 0, docs::concat);
  m.def(
      "stack", [](const std::vector<Tensor>& ts, std::int64_t axis) { return stack(ts, axis); },
      py::arg("tensors"), py::arg("axis") = 0,
      R"(The tensors joined along a new dimension ``axis``, as torch.stack.

Args:
    tensors (sequence of Tensor): one shape and dtype for all, at least one.
    axis (int): where the new dimension goes, in ``[-ndim-1, ndim]`` (default 0); torch's
        ``dim`` is accepted too.

Raises:
    kindling.Error: for an empty list, shapes that differ, or an axis out of range.

Example:
    >>> kindling.stack([kindling.ones(2), kindling.zeros(2)], axis=1)
    tensor([[1.0000, 0.0000],
            [1.0000, 0.0000]])
)");

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
