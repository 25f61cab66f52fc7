// What the tensor binding files share: dtype, device and reduction names, the NumPy-to-Tensor copy
// and axis lists.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>

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
// A Tensor as itself, anything else through from_numpy.
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
// kindling.tensor(), from_numpy(), zeros(), ..., and the ops as functions; called by bind_tensor.
void bind_tensor_functions(py::module_& m);

}  // namespace kindling::python
