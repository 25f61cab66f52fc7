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
      "Writes a module's state dict (or a dict of tensors) as a safetensors file");
  m.def(
      "load",
      [](const std::string& path, bool with_metadata) -> py::object {
        nn::Metadata metadata;
        py::dict state = to_dict(nn::load_safetensors(path, &metadata));
        if (with_metadata) return py::make_tuple(state, metadata);
        return state;
      },
      py::arg("path"), py::arg("with_metadata") = false,
      "Reads a safetensors file (strictly) as a dict of tensors");
}

}  // namespace kindling::python
