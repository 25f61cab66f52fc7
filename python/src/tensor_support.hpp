// What the tensor binding files share: dtype, device and reduction names, the NumPy-to-Tensor copy
// and axis lists.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <string_view>

#include "kindling/engine/error.hpp"
#include "kindling/tensor/creation.hpp"

#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::python {

namespace py = pybind11;

// "float32", "float64", "int64", "bool"; kindling.Error for anything else.
DType parse_dtype(const std::string& name);
// "cpu", "cuda", "cuda:<index>"; kindling.Error for anything else.
Device parse_device(const std::string& name);
// "mean", "sum", "none"; kindling.Error for anything else.
Reduction parse_reduction(const std::string& name);
// A copy of a NumPy array (or anything np.asarray takes) as a Tensor, in `dtype_name` or, when
// absent, the array's own dtype widened to one kindling has (Note [numpy sharing], tensor.cpp).
Tensor from_numpy(const py::handle& object, std::optional<std::string> dtype_name);
// An array of numbers made from `data` (anything np.asarray takes), or kindling.Error naming the
// ragged list or the item that is not a number (Note [python data], tensor.cpp).
py::array numeric_array(const py::handle& data);
// The array as a Tensor over the same memory, or an undefined Tensor when it cannot be shared.
Tensor share_numpy(const py::handle& object);
// Python data (numbers, nested lists or tuples of them) as kindling.tensor(data) makes it, as
// torch.tensor does: Python floats float32 (the working type), ints int64, bools bool; a NumPy
// np.float64 among them makes the tensor float64.
Tensor from_python_data(const py::handle& data);
// A Tensor as itself, a NumPy array through from_numpy (its dtype kept), anything else as
// kindling.tensor(data) makes it: `t * [1.5, 2]` is float32, as `t * kindling.tensor([1.5, 2])`.
Tensor as_tensor(const py::handle& object);
// A Python bool, int or float (or a NumPy scalar of those kinds) as a Scalar, keeping what kind of
// number it was; nullopt for anything else. An int outside int64 is a kindling.Error.
std::optional<Scalar> as_scalar(const py::handle& object);
// Axes from None (all), an int or a sequence of ints.
Axes to_axes(const py::object& axis);
// A shape (or a permutation) from an int or a sequence of ints (Note [python shapes],
// tensor.cpp): an int outside int64 is kindling.Error naming `op` and the position, an item that
// is not an int TypeError. The values themselves (negative sizes, say) are the op's to check.
Shape to_shape(const py::handle& object, const char* op);
// A shape given as one int or sequence (x.view((2, 3))) or as several ints (x.view(2, 3)), as
// torch takes them.
Shape shape_args(const py::args& args, const char* op);
// kindling.tensor(), from_numpy(), zeros(), ..., and the ops as functions; called by bind_tensor.
void bind_tensor_functions(py::module_& m);
// PyTorch's method and function names that issue 13 added (tensor_api.cpp); called by
// bind_tensor after bind_tensor_functions.
void bind_tensor_api(py::module_& m, py::class_<Tensor>& tensor);
// create_graph's kindling.autograd.grad and the tensor hooks (tensor.cpp).
void bind_tensor_autograd(py::module_& m, py::class_<Tensor>& tensor);

// An operand of a generated binary function as the op takes it: a tensor as it is, a number as
// the 0-d tensor of the result's dtype and the other operand's device (as Tensor's operators
// wrap numbers, Note [wrapped numbers]).
inline Tensor as_operand(const Tensor& t, const Scalar&) {
  return t;
}
inline Tensor as_operand(const Scalar& s, const Tensor& other) {
  return full({}, s, result_type(other, s), other.device());
}

// A generated binary function on Python operands: tensor op tensor, tensor op number or
// number op tensor (array-likes become tensors); two numbers are a kindling.Error, as torch
// needs a tensor too.
template <class TensorFn, class NumberFn>
Tensor binary_function(const char* name, const py::object& a, const py::object& b,
                       TensorFn tensor_fn, NumberFn number_fn) {
  const bool a_tensor = py::isinstance<Tensor>(a), b_tensor = py::isinstance<Tensor>(b);
  const std::optional<Scalar> sa = a_tensor ? std::nullopt : as_scalar(a);
  const std::optional<Scalar> sb = b_tensor ? std::nullopt : as_scalar(b);
  KINDLING_CHECK(!(sa && sb), name, ": needs a tensor operand, got two numbers (", to_string(*sa),
                 ", ", to_string(*sb), ")");
  // As `t - True` (ops_binary.cpp's operator-): the number form of sub has no overload of its own.
  KINDLING_CHECK(std::string_view(name) != "sub" ||
                     !((sa && sa->dtype() == DType::bool_) || (sb && sb->dtype() == DType::bool_)),
                 "sub: not supported for bool operands (", a_tensor ? "tensor" : "number", " - ",
                 b_tensor ? "tensor" : "number", "); use logical_xor (^) or logical_not (~)");
  if (sa) return number_fn(*sa, b_tensor ? b.cast<Tensor>() : as_tensor(b));
  if (sb) return number_fn(a_tensor ? a.cast<Tensor>() : as_tensor(a), *sb);
  return tensor_fn(a_tensor ? a.cast<Tensor>() : as_tensor(a),
                   b_tensor ? b.cast<Tensor>() : as_tensor(b));
}

}  // namespace kindling::python
