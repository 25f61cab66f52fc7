// kindling.save and kindling.load: modules and state dicts as safetensors files.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/module.hpp"
#include "kindling/nn/safetensors.hpp"
#include "nn_support.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

using nn::Module;

void bind_safetensors(py::module_& m) {
  m.def(
      "save",
      [](const py::object& obj, const std::string& path,
         const std::optional<nn::Metadata>& metadata) {
        const nn::Metadata meta = metadata.value_or(nn::Metadata{});
        if (py::isinstance<Module>(obj)) {
          nn::save_safetensors(obj.cast<const Module&>(), path, meta);
        } else if (py::isinstance<py::dict>(obj)) {
          nn::save_safetensors(to_state_dict(obj), path, meta);
        } else {
          throw py::type_error("save: expected a kindling.nn.Module or a dict of tensors");
        }
      },
      py::arg("obj"), py::arg("path"), py::arg("metadata") = py::none(),
      R"(Writes a module's state dict, or a dict of tensors, as a safetensors file.

The format is safetensors' (safetensors.torch.save_file): float32, float64, int64 and bool as
F32, F64, I64 and BOOL, so PyTorch and other readers load it (torch.save's pickle format is not
written). The file is written to a temporary file in the same folder and renamed over ``path``
once complete, so a crash never leaves a half-written file. Tensors on a device are copied to
the host.

Args:
    obj (Module or dict): a kindling.nn.Module (its state_dict()) or a dict of name -> tensor
        (or anything kindling.tensor takes), e.g. an optimizer's state_dict().
    path (str): the file.
    metadata (dict of str to str, optional): the file's ``__metadata__``.

Raises:
    TypeError: for another obj, or metadata that is not str -> str.
    kindling.Error: when the file cannot be written.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> model = kindling.nn.Linear(3, 2, seed=0)
    >>> kindling.save(model, path, metadata={"epoch": "3"})
    >>> state = kindling.load(path)
    >>> list(state), state["weight"].shape
    (['weight', 'bias'], (2, 3))
    >>> model.load_state_dict(state)
)");
  m.def(
      "load",
      [](const std::string& path, bool with_metadata) -> py::object {
        nn::Metadata metadata;
        py::dict state = to_dict(nn::load_safetensors(path, &metadata));
        if (with_metadata) return py::make_tuple(state, metadata);
        return state;
      },
      py::arg("path"), py::arg("with_metadata") = false,
      R"(Reads a safetensors file as a dict of CPU tensors, name -> tensor in the file's order.

The reader is strict: the header length, UTF-8 and JSON, duplicate names, dtypes, shapes and
data offsets (no gap, overlap or trailing bytes) are all checked before any tensor is allocated.
F32, F64, I64 and BOOL load as they are; F16 and BF16 are widened to float32 and the other
integer types (U8 ... U64) to int64; the F8 types are refused. Load it into a model with
``model.load_state_dict(kindling.load(path))``.

Args:
    path (str): the file.
    with_metadata (bool): also return the ``__metadata__`` dict (default False).

Returns:
    dict, or (dict, metadata dict) with with_metadata.

Raises:
    kindling.Error: for a missing or unreadable file, or any violation of the format (the
        message names the file and the byte offset).

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "tensors.safetensors")
    >>> kindling.save({"a": kindling.ones(2), "b": kindling.tensor([1, 2])}, path, {"note": "x"})
    >>> kindling.load(path, with_metadata=True)
    ({'a': tensor([1.0000, 1.0000]), 'b': tensor([1, 2], dtype=int64)}, {'note': 'x'})
)");
}

}  // namespace kindling::python
