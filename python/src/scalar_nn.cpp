// kindling.nn's scalar half: micrograd's Neuron, Layer and MLP on kindling::Value, the losses
// and SGD step of the moons demo, and make_moons (as NumPy arrays, like scikit-learn's).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "kindling/engine/random.hpp"
#include "kindling/nn/moons.hpp"
#include "kindling/nn/scalar.hpp"

namespace kindling::python {

namespace {

using nn::scalar::Layer;
using nn::scalar::MLP;
using nn::scalar::Neuron;
using nn::scalar::ParameterHolder;

// micrograd returns a bare Value from a layer with one output, a list otherwise.
py::object one_or_list(const std::vector<Value>& outputs) {
  if (outputs.size() == 1) return py::cast(outputs.front());
  return to_list(outputs);
}

std::string describe_neuron(const Neuron& neuron) {
  return std::string(neuron.nonlinear() ? "ReLU" : "Linear") + "Neuron(" +
         std::to_string(neuron.input_count()) + ")";
}

std::string describe_layer(const Layer& layer) {
  if (layer.neurons().empty()) return "Layer of []";
  return "Layer of [" + describe_neuron(layer.neurons().front()) + " x " +
         std::to_string(layer.neurons().size()) + "]";
}

// The elements of a C++ container, as a list of Python objects that keep `owner` alive.
template <class T>
py::list borrowed_list(const std::vector<T>& items, py::handle owner) {
  py::list list;
  for (const T& item : items)
    list.append(py::cast(&item, py::return_value_policy::reference_internal, owner));
  return list;
}

}  // namespace

void bind_scalar_nn(py::module_& m) {
  m.def(
      "manual_seed", [](std::uint64_t seed) { default_generator().manual_seed(seed); },
      py::arg("seed"), "Reseeds the generator that initialises networks made without a seed");

  // "ScalarModule", not "Module": kindling.nn.Module is the tensor modules' base (tensor_nn.cpp).
  py::class_<ParameterHolder>(m, "ScalarModule", "Anything with scalar (Value) parameters")
      .def(
          "parameters", [](const ParameterHolder& h) { return to_list(h.parameters()); },
          "The trainable Values, weights before biases, neuron by neuron")
      .def("zero_grad", &ParameterHolder::zero_grad, "Sets every parameter's grad to 0");

  py::class_<Neuron, ParameterHolder>(m, "Neuron",
                                      "sum_i w_i x_i + b, then ReLU unless nonlinear=False")
      .def(py::init([](std::size_t nin, bool nonlinear, std::optional<std::uint64_t> seed) {
             return with_generator(seed, [&](Generator& g) { return Neuron(nin, nonlinear, g); });
           }),
           py::arg("nin"), py::arg("nonlinear") = true, py::arg("seed") = py::none())
      .def(
          "__call__", [](const Neuron& n, py::handle x) { return n(to_values(x)); }, py::arg("x"))
      .def_property_readonly("w",
                             [](const Neuron& n) {
                               auto p = n.parameters();
                               p.pop_back();
                               return to_list(p);
                             })
      .def_property_readonly("b", [](const Neuron& n) { return n.parameters().back(); })
      .def_property_readonly("nonlinear", &Neuron::nonlinear)
      .def_property_readonly("nin", &Neuron::input_count)
      .def("__repr__", &describe_neuron);

  py::class_<Layer, ParameterHolder>(m, "Layer", "nout neurons reading the same nin inputs")
      .def(py::init([](std::size_t nin, std::size_t nout, bool nonlinear,
                       std::optional<std::uint64_t> seed) {
             return with_generator(seed,
                                   [&](Generator& g) { return Layer(nin, nout, nonlinear, g); });
           }),
           py::arg("nin"), py::arg("nout"), py::arg("nonlinear") = true,
           py::arg("seed") = py::none())
      .def(
          "__call__", [](const Layer& l, py::handle x) { return one_or_list(l(to_values(x))); },
          py::arg("x"))
      .def_property_readonly(
          "neurons",
          [](py::object self) { return borrowed_list(self.cast<const Layer&>().neurons(), self); })
      .def("__repr__", &describe_layer);

  py::class_<MLP, ParameterHolder>(
      m, "MLP", "MLP(nin, [n1, n2, ..., nout]): ReLU on every layer but the last")
      .def(py::init([](std::size_t nin, std::vector<std::size_t> nouts,
                       std::optional<std::uint64_t> seed) {
             return with_generator(seed,
                                   [&](Generator& g) { return MLP(nin, std::move(nouts), g); });
           }),
           py::arg("nin"), py::arg("nouts"), py::arg("seed") = py::none())
      .def(
          "__call__", [](const MLP& mlp, py::handle x) { return one_or_list(mlp(to_values(x))); },
          py::arg("x"))
      .def_property_readonly(
          "layers",
          [](py::object self) { return borrowed_list(self.cast<const MLP&>().layers(), self); })
      .def("__repr__", &MLP::describe);

  m.def(
      "sgd_step",
      [](py::handle parameters, double lr) { nn::scalar::sgd_step(to_values(parameters), lr); },
      py::arg("parameters"), py::arg("lr"), "p.data -= lr * p.grad for each parameter");
  m.def(
      "svm_loss",
      [](py::handle scores, std::vector<double> labels, py::handle parameters, double alpha) {
        return nn::scalar::svm_loss(to_values(scores), labels, to_values(parameters), alpha);
      },
      py::arg("scores"), py::arg("labels"), py::arg("parameters"), py::arg("alpha") = 1e-4,
      "mean_i relu(1 - y_i * score_i) + alpha * sum_p p^2, labels in {-1, +1}");
  m.def(
      "mse_loss",
      [](py::handle predictions, std::vector<double> targets) {
        return nn::scalar::mse_loss(to_values(predictions), targets);
      },
      py::arg("predictions"), py::arg("targets"), "mean_i (prediction_i - target_i)^2");
  m.def(
      "sign_accuracy",
      [](py::handle scores, std::vector<double> labels) {
        return nn::scalar::sign_accuracy(to_values(scores), labels);
      },
      py::arg("scores"), py::arg("labels"),
      "Fraction of samples whose score has the sign of the label");

  m.def(
      "make_moons",
      [](std::size_t n_samples, double noise, std::uint64_t seed) {
        const nn::MoonsData data = nn::make_moons(n_samples, noise, seed);
        const auto n = static_cast<py::ssize_t>(data.size());
        py::array_t<double> x({n, py::ssize_t{2}});
        py::array_t<std::int64_t> y(n);
        auto xs = x.mutable_unchecked<2>();
        auto ys = y.mutable_unchecked<1>();
        for (py::ssize_t i = 0; i < n; ++i) {
          xs(i, 0) = data.x[2 * i];
          xs(i, 1) = data.x[2 * i + 1];
          ys(i) = data.label[i];
        }
        return py::make_tuple(x, y);
      },
      py::arg("n_samples") = 100, py::arg("noise") = 0.0, py::arg("seed") = 0,
      "Two interleaving half circles: (X of shape (n, 2), y of shape (n,) with labels 0 and 1)");
}

}  // namespace kindling::python
