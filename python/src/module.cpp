// The `_kindling` extension module: the compiled half of the `kindling` Python package. The
// package's __init__.py re-exports it with the pure-Python helpers (context managers, the graph
// display object), so users import `kindling`, never `_kindling`.
#include <pybind11/pybind11.h>

#include <string>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"

namespace py = pybind11;

namespace kindling::python {
// One per process, reseeded by kindling.manual_seed, so that a notebook seeding once reproduces
// its whole run (weights of networks made without a seed, random tensors).
Generator& default_generator() {
  static Generator generator;
  return generator;
}
py::object& index_error_type() {
  // Leaked on purpose: the interpreter may be gone when static destructors run.
  static auto* type = new py::object();
  return *type;
}
void raise_index_error(const std::string& message) {
  PyErr_SetString(index_error_type().ptr(), message.c_str());
  throw py::error_already_set();
}
}  // namespace kindling::python

PYBIND11_MODULE(_kindling, m) {
  m.doc() = "kindling: autograd from scalars to tensors (compiled core)";

  // Note [error mapping]
  // kindling::error is the library's channel for user mistakes (Note [two error channels]). It
  // arrives in Python as kindling.Error, a subclass of ValueError, with the C++ message unchanged,
  // so `except ValueError` catches it as it would a bad argument to a Python function.
  auto& error = py::register_exception<kindling::error>(m, "Error", PyExc_ValueError);
  error.attr("__doc__") =
      R"(The error kindling raises for a mistake in its use: a subclass of ValueError.

Every check of the C++ library (``KINDLING_CHECK``) arrives as this exception with the C++
message unchanged; the message names the op, the shapes or values involved and what to do.
``except ValueError`` catches it as it would a bad argument to any Python function. Subclasses:
:class:`kindling.IndexError` (an index out of range) and :class:`kindling.ExpressionError` (a
formula that does not parse).

Example:
    >>> try:
    ...     kindling.ones(2, 3) @ kindling.ones(2)
    ... except kindling.Error as e:
    ...     print(e)
    matmul: (2,3) x (2): inner dimensions 3 and 2 differ
)";
  // kindling.IndexError: an index out of range or of the wrong kind. It is a kindling.Error and
  // Python's IndexError both, so `except kindling.Error` catches every bad input and Python's
  // protocols that stop at IndexError (iterating a sequence by __getitem__) still work.
  {
    py::tuple bases = py::make_tuple(error, py::handle(PyExc_IndexError));
    PyObject* type = PyErr_NewExceptionWithDoc(
        "kindling.IndexError",
        "An index out of range or of the wrong kind: both a kindling.Error and Python's "
        "IndexError.\n\n"
        "Raised by tensor indexing, Sequential, ModuleList and data sets, so that ``except "
        "kindling.Error`` catches every bad input while Python's protocols that stop at "
        "IndexError (iterating by __getitem__) still work.\n\n"
        "Example:\n"
        "    >>> try:\n"
        "    ...     kindling.zeros(2)[5]\n"
        "    ... except kindling.IndexError as e:\n"
        "    ...     print(e)\n"
        "    index 5 is out of bounds for axis 0 with size 2\n",
        bases.ptr(), nullptr);

    if (type == nullptr) throw py::error_already_set();
    kindling::python::index_error_type() = py::reinterpret_steal<py::object>(type);
    m.attr("IndexError") = kindling::python::index_error_type();
  }

  kindling::python::bind_value(m);
  kindling::python::bind_stepper(m);
  kindling::python::bind_tensor(m);
  kindling::python::bind_dot(m);
  kindling::python::bind_autograd(m);
  py::module_ nn = m.def_submodule(
      "nn", "Neural networks: tensor modules and micrograd's scalar networks (Neuron, Layer, MLP)");
  kindling::python::bind_scalar_nn(nn);
  kindling::python::bind_tensor_nn(m, nn);
#ifdef KINDLING_PYTHON_WITH_DIST
  kindling::python::bind_distributed(m);  // kindling.distributed (python/src/distributed.cpp)
#endif
}
