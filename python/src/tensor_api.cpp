// PyTorch's Tensor methods and functions that kindling.Tensor lacked before issue 13: the binary
// ops and comparisons as methods (one per BINARY row of the op table, op_list.hpp), the
// reductions, orderings, shape and matrix ops, conversions, and the functions cat, eye, *_like,
// randint, randperm and einsum. Each forwards to the C++ op of the same name (ops.hpp,
// creation.hpp), which checks its arguments; arguments keep kindling's names (axis, not dim).
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
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"
#include "tensor_api_docs.hpp"
#include "tensor_docs.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {

std::string type_of(const py::handle& object) {
  return py::str(py::type::of(object).attr("__name__")).cast<std::string>();
}

// A number (or a 0-d tensor's value) for an op that takes a double, or kindling.Error naming it.
double number(const py::object& value, const char* op, const char* what) {
  if (py::isinstance<Tensor>(value)) {
    const Tensor t = value.cast<Tensor>();
    KINDLING_CHECK(t.numel() == 1, op, ": ", what, " must be a number, got a tensor of shape ",
                   shape_string(t.shape()));
    return t.item();
  }
  const std::optional<Scalar> s = as_scalar(value);
  KINDLING_CHECK(s.has_value(), op, ": ", what, " must be a number, got ", type_of(value));
  return s->to_double();
}

// Sizes given as varargs (x.repeat(2, 3)) or as one sequence (x.repeat((2, 3))), as torch takes.
Shape sizes_from(const py::args& args, const char* op) {
  if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) return to_shape(args[0], op);
  return to_shape(args, op);
}

// A tensor or a number against `self` for the comparison methods.
template <class TensorFn, class NumberFn>
Tensor against(const char* name, const Tensor& self, const py::object& other, TensorFn tensor_fn,
               NumberFn number_fn) {
  if (py::isinstance<Tensor>(other)) return tensor_fn(self, other.cast<Tensor>());
  if (const std::optional<Scalar> s = as_scalar(other)) return number_fn(self, *s);
  KINDLING_CHECK(py::isinstance<py::list>(other) || py::isinstance<py::tuple>(other) ||
                     py::isinstance<py::array>(other),
                 name, ": other must be a tensor or a number, got ", type_of(other));
  return tensor_fn(self, as_tensor(other));
}

// torch's correction from `unbiased` when it is given.
std::int64_t correction_of(std::int64_t correction, std::optional<bool> unbiased) {
  return unbiased ? (*unbiased ? 1 : 0) : correction;
}

// The p of norm: a number, inf, or "fro" (2).
double norm_p(const py::object& p) {
  if (py::isinstance<py::str>(p)) {
    const std::string name = p.cast<std::string>();
    KINDLING_CHECK(name == "fro", "norm: p must be a number, inf or 'fro', got '", name, "'");
    return 2.0;
  }
  return number(p, "norm", "p");
}

DType dtype_or(const std::optional<std::string>& name, DType fallback) {
  return name ? parse_dtype(*name) : fallback;
}

// sort and topk's (values, indices) as torch's named tuple.
py::object values_indices(const ValuesIndices& r, const char* type_name) {
  auto make = [](const char* name) {  // kept for the process, as the module's own types are
    return py::module_::import("collections")
        .attr("namedtuple")(name, py::make_tuple("values", "indices"))
        .release();
  };
  static const py::handle sort_type = make("sort"), topk_type = make("topk"),
                          max_type = make("max"), min_type = make("min");
  const std::string_view name = type_name;
  const py::handle type = name == "sort"   ? sort_type
                          : name == "topk" ? topk_type
                          : name == "max"  ? max_type
                                           : min_type;
  return type(r.values, r.indices);
}

}  // namespace

void bind_tensor_api(py::module_& m, py::class_<Tensor>& tensor) {
  using T = const Tensor&;
  using S = const Scalar&;
  // ---- x.add(other), ..., x.pow(exponent): one per BINARY row, as the generated functions ----
#define KINDLING_X(name, ...)                                        \
  tensor.def(                                                        \
      #name,                                                         \
      [](const py::object& self, const py::object& other) {          \
        return binary_function(                                      \
            #name, self, other, [](T x, T y) { return name(x, y); }, \
            [](const auto& x, const auto& y) {                       \
              if constexpr (requires { name(x, y); })                \
                return name(x, y);                                   \
              else                                                   \
                return name(as_operand(x, y), as_operand(y, x));     \
            });                                                      \
      },                                                             \
      py::arg(std::string_view(#name) == "pow" ? "exponent" : "other"), docs::name);
  KINDLING_TENSOR_BINARY(KINDLING_X)
#undef KINDLING_X

  // ---- comparisons: methods and functions ----
#define KINDLING_X(name)                                                   \
  {                                                                        \
    const auto compare = [](T self, const py::object& other) {             \
      return against(                                                      \
          #name, self, other, [](T a, T b) { return name(a, b); },         \
          [](T a, S b) { return name(a, b); });                            \
    };                                                                     \
    tensor.def(#name, compare, py::arg("other"), docs::name);              \
    m.def(#name, compare, py::arg("input"), py::arg("other"), docs::name); \
  }
  KINDLING_X(eq)
  KINDLING_X(ne)
  KINDLING_X(lt)
  KINDLING_X(le)
  KINDLING_X(gt)
  KINDLING_X(ge)
#undef KINDLING_X

  // ---- selection and clamping ----
  tensor.def(
      "where",
      [](T self, T cond, const py::object& other) {
        if (py::isinstance<Tensor>(other)) return where(cond, self, other.cast<Tensor>());
        const std::optional<Scalar> s = as_scalar(other);
        KINDLING_CHECK(s.has_value(), "where: other must be a tensor or a number, got ",
                       type_of(other));
        return where(cond, self, *s);
      },
      py::arg("condition"), py::arg("other"),
      R"(This tensor where ``condition`` is True, else ``other``: ``kindling.where(condition, self, other)``, as torch's.

Args:
    condition (Tensor): bool, broadcastable.
    other (Tensor or number): the values where condition is False.

Raises:
    kindling.Error: for a condition that is not bool, shapes that do not broadcast, or an other
        that is neither a tensor nor a number.

Example:
    >>> x = kindling.tensor([1.0, 2.0, 3.0])
    >>> x.where(x > 1.5, 0.0)
    tensor([0.0000, 2.0000, 3.0000])
)");
  tensor.def(
      "clamp",
      [](T self, const py::object& low, const py::object& high) {
        KINDLING_CHECK(!low.is_none() || !high.is_none(),
                       "clamp: at least one of min and max must be given");
        return clamp(self, low.is_none() ? -INFINITY : number(low, "clamp", "min"),
                     high.is_none() ? INFINITY : number(high, "clamp", "max"));
      },
      py::arg("min") = py::none(), py::arg("max") = py::none(), docs::clamp);

  // ---- softmax and reductions ----
  tensor.def(
      "softmax", [](T x, std::int64_t axis) { return softmax(x, axis); }, py::arg("axis") = -1,
      docs::softmax);
  tensor.def(
      "log_softmax", [](T x, std::int64_t axis) { return log_softmax(x, axis); },
      py::arg("axis") = -1, docs::log_softmax);
  tensor.def(
      "logsumexp",
      [](T x, const py::object& axis, bool keepdim) {
        return logsumexp(x, to_axes(axis), keepdim);
      },
      py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::logsumexp);
  auto arg_method = [&](const char* name, auto fn_all, auto fn_axis, const char* doc) {
    tensor.def(
        name,
        [fn_all, fn_axis](T x, std::optional<std::int64_t> axis, bool keepdim) {
          return axis ? fn_axis(x, *axis, keepdim) : fn_all(x);
        },
        py::arg("axis") = py::none(), py::arg("keepdim") = false, doc);
  };
  arg_method(
      "argmax", [](T x) { return argmax(x); },
      [](T x, std::int64_t a, bool k) { return argmax(x, a, k); }, docs::argmax);
  arg_method(
      "argmin", [](T x) { return argmin(x); },
      [](T x, std::int64_t a, bool k) { return argmin(x, a, k); }, docs::argmin);
  m.def(
      "argmin",
      [](T x, std::optional<std::int64_t> axis, bool keepdim) {
        return axis ? argmin(x, *axis, keepdim) : argmin(x);
      },
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::argmin);
  // Reductions over axes: methods and functions with one signature.
#define KINDLING_X(name)                                                                         \
  tensor.def(                                                                                    \
      #name,                                                                                     \
      [](T x, const py::object& axis, bool keepdim) { return name(x, to_axes(axis), keepdim); }, \
      py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::name);                     \
  m.def(                                                                                         \
      #name,                                                                                     \
      [](T x, const py::object& axis, bool keepdim) { return name(x, to_axes(axis), keepdim); }, \
      py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::name);
  KINDLING_X(amax)
  KINDLING_X(amin)
  KINDLING_X(prod)
#undef KINDLING_X
  auto var_like = [&](const char* name, auto fn, const char* doc) {
    auto body = [fn](T x, const py::object& axis, std::int64_t correction, bool keepdim,
                     std::optional<bool> unbiased) {
      return fn(x, to_axes(axis), correction_of(correction, unbiased), keepdim);
    };
    tensor.def(name, body, py::arg("axis") = py::none(), py::arg("correction") = 1,
               py::arg("keepdim") = false, py::kw_only(), py::arg("unbiased") = py::none(), doc);
    m.def(name, body, py::arg("x"), py::arg("axis") = py::none(), py::arg("correction") = 1,
          py::arg("keepdim") = false, py::kw_only(), py::arg("unbiased") = py::none(), doc);
  };
  var_like(
      "var", [](T x, const Axes& a, std::int64_t c, bool k) { return var(x, a, c, k); }, docs::var);
  var_like(
      "std", [](T x, const Axes& a, std::int64_t c, bool k) { return stddev(x, a, c, k); },
      docs::std);
  tensor.def(
      "cumsum", [](T x, std::int64_t axis) { return cumsum(x, axis); }, py::arg("axis"),
      docs::cumsum);
  m.def(
      "cumsum", [](T x, std::int64_t axis) { return cumsum(x, axis); }, py::arg("x"),
      py::arg("axis"), docs::cumsum);
  auto norm_body = [](T x, const py::object& p, const py::object& axis, bool keepdim) {
    return norm(x, norm_p(p), to_axes(axis), keepdim);
  };
  tensor.def("norm", norm_body, py::arg("p") = 2.0, py::arg("axis") = py::none(),
             py::arg("keepdim") = false, docs::norm);
  m.def("norm", norm_body, py::arg("x"), py::arg("p") = 2.0, py::arg("axis") = py::none(),
        py::arg("keepdim") = false, docs::norm);

  // ---- max / min as torch's: of everything (a 0-d tensor); along one axis, the named tuple
  // (values, indices) with the gradient to the index it names (torch.max(x, dim): the first
  // extremum, or the first NaN), so `out.max(1)[1]` is the argmax as in torch; over a tuple of
  // axes the values only (torch.amax's gradient, split among ties: kindling's extension); and
  // against another tensor elementwise (maximum, minimum). These replace the generated methods
  // and functions of the REDUCE rows (tensor.cpp, tensor_functions.cpp), which returned the
  // values for one axis too.
  auto extremum = [&](const char* name, bool is_max, const char* doc) {
    auto body = [is_max, name](T x, const py::object& axis, bool keepdim) -> py::object {
      if (py::isinstance<Tensor>(axis)) {
        const Tensor other = axis.cast<Tensor>();
        return py::cast(is_max ? maximum(x, other) : minimum(x, other));
      }
      // Over every axis keepdim still holds (torch.max(x) has none; an ignored keepdim=True
      // would silently change the shape).
      if (axis.is_none()) return py::cast(is_max ? max(x, {}, keepdim) : min(x, {}, keepdim));
      if (PyIndex_Check(axis.ptr())) {
        const auto a = axis.cast<std::int64_t>();
        Tensor indices = is_max ? argmax(x, a, true) : argmin(x, a, true);
        Tensor values = gather(x, a, indices);
        if (!keepdim) {
          values = squeeze(values, a);
          indices = squeeze(indices, a);
        }
        return values_indices({values, indices}, name);
      }
      const Axes axes = to_axes(axis);
      return py::cast(is_max ? max(x, axes, keepdim) : min(x, axes, keepdim));
    };
    py::delattr(tensor, name);
    tensor.def(name, body, py::arg("axis") = py::none(), py::arg("keepdim") = false, doc);
    py::delattr(m, name);
    m.def(name, body, py::arg("x"), py::arg("axis") = py::none(), py::arg("keepdim") = false, doc);
  };
  extremum("max", true, docs::max);
  extremum("min", false, docs::min);

  // ---- indexing ops ----
  tensor.def(
      "gather", [](T x, std::int64_t axis, T index) { return gather(x, axis, index); },
      py::arg("axis"), py::arg("index"), docs::gather);
  m.def(
      "gather", [](T x, std::int64_t axis, T index) { return gather(x, axis, index); },
      py::arg("x"), py::arg("axis"), py::arg("index"), docs::gather);
  tensor.def(
      "index_select", [](T x, std::int64_t axis, T index) { return index_select(x, axis, index); },
      py::arg("axis"), py::arg("index"), docs::index_select);
  m.def(
      "index_select", [](T x, std::int64_t axis, T index) { return index_select(x, axis, index); },
      py::arg("x"), py::arg("axis"), py::arg("index"), docs::index_select);
  tensor.def(
      "scatter_add",
      [](T x, std::int64_t axis, T index, T src) { return scatter_add(x, axis, index, src); },
      py::arg("axis"), py::arg("index"), py::arg("src"), docs::scatter_add);
  m.def(
      "scatter_add",
      [](T x, std::int64_t axis, T index, T src) { return scatter_add(x, axis, index, src); },
      py::arg("x"), py::arg("axis"), py::arg("index"), py::arg("src"), docs::scatter_add);
  auto sort_body = [](T x, std::int64_t axis, bool descending) {
    return values_indices(sort(x, axis, descending), "sort");
  };
  tensor.def("sort", sort_body, py::arg("axis") = -1, py::arg("descending") = false, docs::sort);
  m.def("sort", sort_body, py::arg("x"), py::arg("axis") = -1, py::arg("descending") = false,
        docs::sort);
  auto topk_body = [](T x, std::int64_t k, std::int64_t axis, bool largest, bool sorted) {
    KINDLING_CHECK(sorted, "topk: sorted=False is not supported (the values come sorted)");
    return values_indices(topk(x, k, axis, largest), "topk");
  };
  tensor.def("topk", topk_body, py::arg("k"), py::arg("axis") = -1, py::arg("largest") = true,
             py::arg("sorted") = true, docs::topk);
  m.def("topk", topk_body, py::arg("x"), py::arg("k"), py::arg("axis") = -1,
        py::arg("largest") = true, py::arg("sorted") = true, docs::topk);

  // ---- shape ops ----
  tensor.def(
      "repeat", [](T x, const py::args& reps) { return repeat(x, sizes_from(reps, "repeat")); },
      R"(This tensor repeated ``reps[d]`` times along each dimension, a copy, as torch's ``repeat``.

At least one count per dimension; more give the tensor leading size-1 dimensions first
(``tile`` also takes fewer). Counts as several ints or one sequence.

Raises:
    kindling.Error: for fewer counts than dimensions, or a negative count.

Example:
    >>> kindling.tensor([1.0, 2.0]).repeat(2)
    tensor([1.0000, 2.0000, 1.0000, 2.0000])
    >>> kindling.tensor([1.0, 2.0]).repeat(3, 1).shape
    (3, 2)
)");
  tensor.def(
      "tile", [](T x, const py::args& reps) { return tile(x, sizes_from(reps, "tile")); },
      docs::tile);
  m.def(
      "tile", [](T x, const py::object& reps) { return tile(x, to_shape(reps, "tile")); },
      py::arg("x"), py::arg("reps"), docs::tile);
  tensor.def(
      "flip", [](T x, const py::args& axes) { return flip(x, sizes_from(axes, "flip")); },
      docs::flip);
  m.def(
      "flip", [](T x, const py::object& axes) { return flip(x, to_shape(axes, "flip")); },
      py::arg("x"), py::arg("axis"), docs::flip);
  auto chunk_body = [](T x, std::int64_t chunks, std::int64_t axis) {
    return py::tuple(py::cast(chunk(x, chunks, axis)));
  };
  tensor.def("chunk", chunk_body, py::arg("chunks"), py::arg("axis") = 0, docs::chunk);
  m.def("chunk", chunk_body, py::arg("x"), py::arg("chunks"), py::arg("axis") = 0, docs::chunk);
  auto split_body = [](T x, const py::object& size, std::int64_t axis) {
    if (PyIndex_Check(size.ptr()) && !py::isinstance<py::sequence>(size))
      return py::tuple(py::cast(split(x, size.cast<std::int64_t>(), axis)));
    return py::tuple(py::cast(split(x, to_shape(size, "split"), axis)));
  };
  tensor.def("split", split_body, py::arg("split_size_or_sections"), py::arg("axis") = 0,
             docs::split);
  m.def("split", split_body, py::arg("x"), py::arg("split_size_or_sections"), py::arg("axis") = 0,
        docs::split);
  auto unbind_body = [](T x, std::int64_t axis) { return py::tuple(py::cast(unbind(x, axis))); };
  tensor.def("unbind", unbind_body, py::arg("axis") = 0, docs::unbind);
  m.def("unbind", unbind_body, py::arg("x"), py::arg("axis") = 0, docs::unbind);
  tensor.def(
      "t", [](T x) { return t(x); }, docs::t);
  m.def(
      "t", [](T x) { return t(x); }, py::arg("x"), docs::t);
  tensor.def(
      "expand_as", [](T x, T other) { return x.expand_as(other); }, py::arg("other"),
      R"(``expand(other.shape)``: a broadcast view of this tensor in other's shape, as torch's.

Raises:
    kindling.Error: when this shape does not broadcast to other's.

Example:
    >>> kindling.ones(2, 1).expand_as(kindling.zeros(3, 2, 4)).shape
    (3, 2, 4)
)");
  tensor.def(
      "reshape_as", [](T x, T other) { return x.reshape_as(other); }, py::arg("other"),
      R"(``reshape(other.shape)``: this tensor in other's shape (a view when possible), as torch's.

Raises:
    kindling.Error: when the element counts differ.

Example:
    >>> kindling.arange(4.0).reshape_as(kindling.zeros(2, 2)).shape
    (2, 2)
)");
  tensor.def(
      "view_as", [](T x, T other) { return x.view_as(other); }, py::arg("other"),
      R"(``view(other.shape)``: the same storage in other's shape, as torch's.

Raises:
    kindling.Error: when the element counts differ or the strides do not allow a view.

Example:
    >>> kindling.arange(4.0).view_as(kindling.zeros(2, 2)).shape
    (2, 2)
)");

  // ---- matrices ----
#define KINDLING_X(name)                                                         \
  tensor.def(                                                                    \
      #name, [](T a, T b) { return name(a, b); }, py::arg("other"), docs::name); \
  m.def(                                                                         \
      #name, [](T a, T b) { return name(a, b); }, py::arg("input"), py::arg("other"), docs::name);
  KINDLING_X(mm)
  KINDLING_X(bmm)
  KINDLING_X(dot)
  KINDLING_X(outer)
#undef KINDLING_X
#define KINDLING_X(name)                                                                 \
  tensor.def(                                                                            \
      #name, [](T x, std::int64_t diagonal) { return name(x, diagonal); },               \
      py::arg("diagonal") = 0, docs::name);                                              \
  m.def(                                                                                 \
      #name, [](T x, std::int64_t diagonal) { return name(x, diagonal); }, py::arg("x"), \
      py::arg("diagonal") = 0, docs::name);
  KINDLING_X(tril)
  KINDLING_X(triu)
  KINDLING_X(diag)
#undef KINDLING_X
  m.def(
      "einsum",
      [](const std::string& equation, const py::args& operands) {
        std::vector<Tensor> tensors;
        // torch takes the operands as varargs or as one list.
        if (operands.size() == 1 && !py::isinstance<Tensor>(operands[0]))
          tensors = operands[0].cast<std::vector<Tensor>>();
        else
          for (py::handle o : operands)
            tensors.push_back(as_tensor(o));
        return einsum(equation, tensors);
      },
      py::arg("equation"),
      R"(Einstein summation, as torch.einsum: ``einsum('bij,bjk->bik', a, b)``.

Letters a-z and A-Z name dimensions; a letter missing from the output is summed over. Without
``->`` the output is the letters seen once, in alphabetical order (``'ij,jk'`` is ``'ik'``).
Each letter appears at most once per operand (diagonals such as ``'ii->i'`` are not supported),
and ``...`` is not supported. Built from sum, permute, reshape and matmul, so it is
differentiable. The operands come as varargs or as one list.

Args:
    equation (str): the subscripts.
    *operands (Tensor): one tensor per comma-separated term.

Raises:
    kindling.Error: for a malformed equation, a letter twice in one operand, an operand count or
        number of dimensions that does not match the equation, or sizes of one letter that differ.

Example:
    >>> a, b = kindling.ones(2, 3), kindling.ones(3, 4)
    >>> kindling.einsum("ij,jk->ik", a, b).shape
    (2, 4)
    >>> kindling.einsum("i,i->", kindling.tensor([1.0, 2.0]), kindling.tensor([3.0, 4.0]))
    tensor(11.0000)
)");

  // ---- elementwise tests and math ----
  tensor.def(
      "square", [](T x) { return square(x); }, docs::square);
  m.def(
      "square", [](T x) { return square(x); }, py::arg("x"), docs::square);
  tensor.def(
      "isnan", [](T x) { return isnan(x); }, docs::isnan);
  m.def(
      "isnan", [](T x) { return isnan(x); }, py::arg("x"), docs::isnan);
  tensor.def(
      "isinf", [](T x) { return isinf(x); }, docs::isinf);
  m.def(
      "isinf", [](T x) { return isinf(x); }, py::arg("x"), docs::isinf);
  tensor.def("__abs__", [](T x) { return abs(x); });
  tensor.def(
      "put_", [](T x, T index, T source) { return x.put_(index, source); }, py::arg("index"),
      py::arg("source"),
      R"(Writes ``source``'s elements at the row-major positions ``index`` of this tensor, as if it were 1-D, as torch's ``put_``.

In place (bumps ``_version``), not recorded in the graph; returns this tensor. torch's
``accumulate`` is not supported.

Args:
    index (Tensor): int64 positions in ``[-numel, numel)``.
    source (Tensor): as many elements as ``index``, converted to this dtype.

Raises:
    kindling.Error: for an index that is not int64, a count that differs from source's, a
        position out of range, a source that requires grad (under grad mode), or a destination
        that requires grad under grad mode.

Example:
    >>> t = kindling.zeros(2, 2)
    >>> t.put_(kindling.tensor([0, 3]), kindling.tensor([5.0, 6.0]))
    tensor([[5.0000, 0.0000],
            [0.0000, 6.0000]])
)");

  // ---- conversions and new tensors ----
  tensor.def(
      "float", [](T x) { return x.to(DType::float32); },
      R"(``to('float32')``: this tensor as float32 (itself when it already is), as torch's ``float()``.

Example:
    >>> kindling.tensor([1, 2]).float()
    tensor([1.0000, 2.0000])
)");
  tensor.def(
      "double", [](T x) { return x.to(DType::float64); },
      R"(``to('float64')``: this tensor as float64 (itself when it already is), as torch's ``double()``.

Example:
    >>> kindling.tensor([1.5]).double()
    tensor([1.5000], dtype=float64)
)");
  tensor.def(
      "long", [](T x) { return x.to(DType::int64); },
      R"(``to('int64')``: this tensor as int64, truncating toward 0, as torch's ``long()``.

NaN and out-of-range values become INT64_MIN.

Example:
    >>> kindling.tensor([1.7, -2.7]).long()
    tensor([ 1, -2], dtype=int64)
)");
  tensor.def(
      "bool", [](T x) { return x.to(DType::bool_); },
      R"(``to('bool')``: nonzero elements (NaN included) become True, as torch's ``bool()``.

Example:
    >>> kindling.tensor([0.0, 2.0]).bool()
    tensor([False,  True], dtype=bool)
)");
  tensor.def(
      "cpu", [](T x) { return x.cpu(); },
      R"(``to('cpu')``: this tensor itself when it is on the CPU, else a copy there, as torch's ``cpu()``.

Raises:
    kindling.Error: for an interior tensor on a device that requires grad under grad mode (a
        device copy is not differentiable; detach it first).

Example:
    >>> kindling.ones(2).cpu().device
    'cpu'
)");
  tensor.def(
      "new_zeros",
      [](T x, const py::object& shape, const std::optional<std::string>& dtype) {
        return zeros(to_shape(shape, "new_zeros"), dtype_or(dtype, x.dtype()), x.device());
      },
      py::arg("size"), py::arg("dtype") = py::none(),
      R"(A tensor of zeros of shape ``size`` with this tensor's dtype and device, as torch's ``new_zeros``.

Args:
    size (int or sequence of ints): the shape.
    dtype (str, optional): another dtype.

Example:
    >>> kindling.tensor([1], dtype="int64").new_zeros((2,))
    tensor([0, 0], dtype=int64)
)");
  tensor.def(
      "new_ones",
      [](T x, const py::object& shape, const std::optional<std::string>& dtype) {
        return ones(to_shape(shape, "new_ones"), dtype_or(dtype, x.dtype()), x.device());
      },
      py::arg("size"), py::arg("dtype") = py::none(),
      R"(A tensor of ones of shape ``size`` with this tensor's dtype and device, as torch's ``new_ones``.

Args:
    size (int or sequence of ints): the shape.
    dtype (str, optional): another dtype.

Example:
    >>> kindling.zeros(1).new_ones(3, dtype="int64")
    tensor([1, 1, 1], dtype=int64)
)");
  tensor.def(
      "new_full",
      [](T x, const py::object& shape, const py::object& value,
         const std::optional<std::string>& dtype) {
        const std::optional<Scalar> s = as_scalar(value);
        KINDLING_CHECK(s.has_value(), "new_full: the value must be a number, got ", type_of(value));
        return full(to_shape(shape, "new_full"), *s, dtype_or(dtype, x.dtype()), x.device());
      },
      py::arg("size"), py::arg("fill_value"), py::arg("dtype") = py::none(),
      R"(A tensor of shape ``size`` filled with ``fill_value``, with this tensor's dtype and device, as torch's ``new_full``.

Args:
    size (int or sequence of ints): the shape.
    fill_value (number): the value (it must fit the dtype).
    dtype (str, optional): another dtype.

Raises:
    kindling.Error: when fill_value is not a number or does not fit the dtype.

Example:
    >>> kindling.zeros(1).new_full((1, 2), 7)
    tensor([[7.0000, 7.0000]])
)");

  // ---- functions ----
  m.def(
      "cat", [](const std::vector<Tensor>& ts, std::int64_t axis) { return concat(ts, axis); },
      py::arg("tensors"), py::arg("axis") = 0, docs::concat);
  m.def(
      "eye",
      [](std::int64_t n, std::optional<std::int64_t> cols, const std::string& dtype) {
        return eye(n, cols ? *cols : n, parse_dtype(dtype));
      },
      py::arg("n"), py::arg("m") = py::none(), py::arg("dtype") = "float32",
      R"(The ``n x m`` identity matrix (``m = n`` when None): ones on the diagonal, as torch.eye.

Args:
    n (int): rows.
    m (int, optional): columns.
    dtype (str): ``'float32'`` (default), ``'float64'``, ``'int64'`` or ``'bool'``.

Raises:
    kindling.Error: for a negative size or an unknown dtype.

Example:
    >>> kindling.eye(2, 3, "int64")
    tensor([[1, 0, 0],
            [0, 1, 0]], dtype=int64)
)");
  m.def(
      "zeros_like",
      [](T x, const std::optional<std::string>& dtype) {
        return zeros(x.shape(), dtype_or(dtype, x.dtype()), x.device());
      },
      py::arg("x"), py::arg("dtype") = py::none(),
      R"(Zeros of x's shape, dtype (unless given) and device, as torch.zeros_like.

Example:
    >>> kindling.zeros_like(kindling.tensor([1.5, 2.0]))
    tensor([0.0000, 0.0000])
)");
  m.def(
      "ones_like",
      [](T x, const std::optional<std::string>& dtype) {
        return ones(x.shape(), dtype_or(dtype, x.dtype()), x.device());
      },
      py::arg("x"), py::arg("dtype") = py::none(),
      R"(Ones of x's shape, dtype (unless given) and device, as torch.ones_like.

Example:
    >>> kindling.ones_like(kindling.zeros(2), dtype="int64")
    tensor([1, 1], dtype=int64)
)");
  m.def(
      "full_like",
      [](T x, const py::object& value, const std::optional<std::string>& dtype) {
        const std::optional<Scalar> s = as_scalar(value);
        KINDLING_CHECK(s.has_value(), "full_like: the value must be a number, got ",
                       type_of(value));
        return full(x.shape(), *s, dtype_or(dtype, x.dtype()), x.device());
      },
      py::arg("x"), py::arg("fill_value"), py::arg("dtype") = py::none(),
      R"(``fill_value`` in x's shape, dtype (unless given) and device, as torch.full_like.

Raises:
    kindling.Error: when fill_value is not a number or does not fit the dtype.

Example:
    >>> kindling.full_like(kindling.zeros(2), 3)
    tensor([3.0000, 3.0000])
)");
  // Random integers from the generator kindling.manual_seed reseeds, or a fresh one from `seed`.
  Generator& generator = default_generator();
  m.def(
      "randint",
      [&generator](std::int64_t a, const py::object& b, const py::object& c,
                   std::optional<std::uint64_t> seed) {
        // randint(high, size) or randint(low, high, size), as torch.
        std::int64_t low = 0, high = a;
        py::object size = b;
        if (!c.is_none()) {
          low = a;
          high = b.cast<std::int64_t>();
          size = c;
        }
        KINDLING_CHECK(!size.is_none(), "randint: the size is missing (randint(high, size) or ",
                       "randint(low, high, size))");
        const Shape shape = to_shape(size, "randint");
        if (seed) {
          Generator local(*seed);
          return randint(low, high, shape, local);
        }
        return randint(low, high, shape, generator);
      },
      py::arg("low"), py::arg("high") = py::none(), py::arg("size") = py::none(), py::kw_only(),
      py::arg("seed") = py::none(),
      R"(Random int64 integers uniform in ``[low, high)``: ``randint(high, size)`` or ``randint(low, high, size)``, as torch.randint.

The draws come from the generator :func:`manual_seed` reseeds, or from a fresh generator seeded
with ``seed``.

Args:
    low (int): the lowest value, or ``high`` in the two-argument form.
    high (int): one past the highest value.
    size (int or sequence of ints): the shape (required, as in torch).
    seed (int, optional): keyword only; the seed of a generator for this call alone.

Raises:
    kindling.Error: for a missing size, an empty range (``low >= high``), or a bad shape.

Example:
    >>> x = kindling.randint(10, (1000,), seed=0)
    >>> x.dtype, bool((x >= 0).all() & (x < 10).all())
    ('int64', True)
    >>> kindling.randint(5, 8, (2, 2), seed=1).shape
    (2, 2)
)");
  m.def(
      "randperm",
      [&generator](std::int64_t n, std::optional<std::uint64_t> seed) {
        if (seed) {
          Generator local(*seed);
          return randperm(n, local);
        }
        return randperm(n, generator);
      },
      py::arg("n"), py::kw_only(), py::arg("seed") = py::none(),
      R"(A random permutation of ``0 .. n-1`` (int64, a Fisher-Yates shuffle), as torch.randperm.

Args:
    n (int): how many (>= 0).
    seed (int, optional): keyword only; the seed of a generator for this call alone (else
        :func:`manual_seed`'s generator).

Raises:
    kindling.Error: for a negative n.

Example:
    >>> sorted(kindling.randperm(5, seed=0).tolist())
    [0, 1, 2, 3, 4]
)");
}

}  // namespace kindling::python
