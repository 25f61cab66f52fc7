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
      py::arg("seed"),
      R"(Reseeds kindling's default random generator, as torch.manual_seed.

The generator initialises the networks and layers made without a ``seed`` (Neuron, MLP,
nn.Linear, nn.Conv2d, ...), draws the random tensors made without one (rand, randn, randint,
randperm), the dropout masks and random_split's order, so a script that seeds once reproduces its
whole run. kindling's generator is its own: the same seed does not give torch's numbers. Also
``kindling.nn.manual_seed``.

Args:
    seed (int): a non-negative integer.

Example:
    >>> kindling.manual_seed(0)
    >>> first = kindling.rand(3).tolist()
    >>> kindling.manual_seed(0)
    >>> kindling.rand(3).tolist() == first
    True
)");

  // "ScalarModule", not "Module": kindling.nn.Module is the tensor modules' base (tensor_nn.cpp).
  py::class_<ParameterHolder>(
      m, "ScalarModule",
      R"(The base of micrograd's scalar networks (Neuron, Layer, MLP): anything with Value parameters.

Called ``Module`` in micrograd; kindling.nn.Module is the tensor modules' base.

Example:
    >>> model = kindling.nn.MLP(2, [3, 1], seed=0)
    >>> isinstance(model, kindling.nn.ScalarModule), len(model.parameters())
    (True, 13)
)")
      .def(
          "parameters", [](const ParameterHolder& h) { return to_list(h.parameters()); },
          R"(The trainable Values: neuron by neuron, each neuron's weights before its bias.

Returns:
    list of Value: handles on the parameters themselves (updating ``.data`` trains them).

Example:
    >>> len(kindling.nn.Neuron(3, seed=0).parameters())
    4
)")
      .def("zero_grad", &ParameterHolder::zero_grad,
           R"(Sets every parameter's grad to 0, before the next backward pass.

Example:
    >>> n = kindling.nn.Neuron(2, seed=0)
    >>> n([1.0, 2.0]).backward()
    >>> n.zero_grad()
    >>> [p.grad for p in n.parameters()]
    [0.0, 0.0, 0.0]
)");

  py::class_<Neuron, ParameterHolder>(
      m, "Neuron",
      R"(One neuron, as micrograd's: ``sum_i w_i x_i + b``, then ReLU unless ``nonlinear=False``.

The weights are uniform in [-1, 1] (micrograd's initialisation), the bias 0. Calling it on
``nin`` numbers or Values gives one Value.

Args:
    nin (int): the number of inputs.
    nonlinear (bool): apply ReLU (default True).
    seed (int, optional): seed a generator for the weights (else kindling.manual_seed's).

Raises:
    kindling.Error: when called with another number of inputs than nin.

Example:
    >>> n = kindling.nn.Neuron(2, seed=0)
    >>> n, n.nin, len(n.w), n.b.data
    (ReLUNeuron(2), 2, 2, 0.0)
    >>> type(n([1.0, 2.0])).__name__
    'Value'
)")
      .def(py::init([](std::size_t nin, bool nonlinear, std::optional<std::uint64_t> seed) {
             return with_generator(seed, [&](Generator& g) { return Neuron(nin, nonlinear, g); });
           }),
           py::arg("nin"), py::arg("nonlinear") = true, py::arg("seed") = py::none(),
           "Makes the neuron (see the class docstring for the arguments).")
      .def(
          "__call__", [](const Neuron& n, py::handle x) { return n(to_values(x)); }, py::arg("x"))
      .def_property_readonly(
          "w",
          [](const Neuron& n) {
            auto p = n.parameters();
            p.pop_back();
            return to_list(p);
          },
          "The weights, one Value per input (list).")
      .def_property_readonly(
          "b", [](const Neuron& n) { return n.parameters().back(); }, "The bias (a Value).")
      .def_property_readonly("nonlinear", &Neuron::nonlinear,
                             "Whether ReLU follows the sum (bool).")
      .def_property_readonly("nin", &Neuron::input_count, "The number of inputs (int).")
      .def("__repr__", &describe_neuron);

  py::class_<Layer, ParameterHolder>(
      m, "Layer", R"(``nout`` neurons reading the same ``nin`` inputs, as micrograd's Layer.

Called on nin numbers or Values it gives a list of nout Values, or one Value when nout is 1 (as
micrograd does).

Args:
    nin (int): the number of inputs.
    nout (int): the number of neurons.
    nonlinear (bool): ReLU neurons (default True).
    seed (int, optional): seed a generator for the weights (else kindling.manual_seed's).

Example:
    >>> layer = kindling.nn.Layer(2, 3, seed=0)
    >>> layer, len(layer([1.0, 2.0]))
    (Layer of [ReLUNeuron(2) x 3], 3)
)")
      .def(py::init([](std::size_t nin, std::size_t nout, bool nonlinear,
                       std::optional<std::uint64_t> seed) {
             return with_generator(seed,
                                   [&](Generator& g) { return Layer(nin, nout, nonlinear, g); });
           }),
           py::arg("nin"), py::arg("nout"), py::arg("nonlinear") = true,
           py::arg("seed") = py::none(),
           "Makes the layer (see the class docstring for the arguments).")
      .def(
          "__call__", [](const Layer& l, py::handle x) { return one_or_list(l(to_values(x))); },
          py::arg("x"))
      .def_property_readonly(
          "neurons",
          [](py::object self) { return borrowed_list(self.cast<const Layer&>().neurons(), self); },
          "The layer's Neurons, in order (list; each keeps the layer alive).")
      .def("__repr__", &describe_layer);

  py::class_<MLP, ParameterHolder>(
      m, "MLP",
      R"(micrograd's multilayer perceptron: ``MLP(nin, [n1, n2, ..., nout])``, ReLU on every layer but the last.

Called on nin numbers or Values it gives the last layer's outputs (one Value when nout is 1).
The tensor counterpart is :func:`kindling.nn.mlp`.

Args:
    nin (int): the number of inputs.
    nouts (list of int): the size of each layer.
    seed (int, optional): seed a generator for the weights (else kindling.manual_seed's).

Raises:
    kindling.Error: for an empty nouts ("needs at least one layer"), or a call with another number
        of inputs than nin.

Example:
    >>> model = kindling.nn.MLP(2, [16, 16, 1], seed=1)
    >>> len(model.layers), len(model.parameters())
    (3, 337)
    >>> score = model([0.5, -1.0])
    >>> loss = kindling.nn.svm_loss([score], [1.0], model.parameters())
    >>> model.zero_grad()
    >>> loss.backward()
    >>> kindling.nn.sgd_step(model.parameters(), lr=0.1)
)")
      .def(py::init([](std::size_t nin, std::vector<std::size_t> nouts,
                       std::optional<std::uint64_t> seed) {
             return with_generator(seed,
                                   [&](Generator& g) { return MLP(nin, std::move(nouts), g); });
           }),
           py::arg("nin"), py::arg("nouts"), py::arg("seed") = py::none(),
           "Makes the network (see the class docstring for the arguments).")
      .def(
          "__call__", [](const MLP& mlp, py::handle x) { return one_or_list(mlp(to_values(x))); },
          py::arg("x"))
      .def_property_readonly(
          "layers",
          [](py::object self) { return borrowed_list(self.cast<const MLP&>().layers(), self); },
          "The network's Layers, in order (list; each keeps the network alive).")
      .def("__repr__", &MLP::describe);

  m.def(
      "sgd_step",
      [](py::handle parameters, double lr) { nn::scalar::sgd_step(to_values(parameters), lr); },
      py::arg("parameters"), py::arg("lr"),
      R"(Plain gradient descent on Values: ``p.data -= lr * p.grad`` for each parameter, as micrograd's loop.

Args:
    parameters (iterable of Value): e.g. ``model.parameters()``.
    lr (float): the learning rate.

Example:
    >>> p = kindling.Value(1.0)
    >>> p.grad = 2.0
    >>> kindling.nn.sgd_step([p], lr=0.5)
    >>> p.data
    0.0
)");
  m.def(
      "svm_loss",
      [](py::handle scores, std::vector<double> labels, py::handle parameters, double alpha) {
        return nn::scalar::svm_loss(to_values(scores), labels, to_values(parameters), alpha);
      },
      py::arg("scores"), py::arg("labels"), py::arg("parameters"), py::arg("alpha") = 1e-4,
      R"(micrograd's max-margin loss: ``mean_i relu(1 - y_i * score_i) + alpha * sum_p p^2``.

Args:
    scores (iterable of Value): one score per sample.
    labels (list of float): -1 or +1 per sample.
    parameters (iterable of Value): regularised with L2 weight ``alpha``.
    alpha (float): the regularisation strength (default 1e-4).

Returns:
    Value: the loss.

Raises:
    kindling.Error: when the counts of scores and labels differ, or there are none.

Example:
    >>> s = [kindling.Value(2.0), kindling.Value(-0.5)]
    >>> kindling.nn.svm_loss(s, [1.0, 1.0], [], alpha=0.0)
    Value(data=0.7500, grad=0.0000)
)");
  m.def(
      "mse_loss",
      [](py::handle predictions, std::vector<double> targets) {
        return nn::scalar::mse_loss(to_values(predictions), targets);
      },
      py::arg("predictions"), py::arg("targets"),
      R"(``mean_i (prediction_i - target_i)^2`` on Values (kindling.nn.mse_loss dispatches here for lists).

Raises:
    kindling.Error: when the counts differ, or there are none.
)");
  m.def(
      "sign_accuracy",
      [](py::handle scores, std::vector<double> labels) {
        return nn::scalar::sign_accuracy(to_values(scores), labels);
      },
      py::arg("scores"), py::arg("labels"),
      R"(The fraction of samples whose score has the sign of their label (-1 or +1), as micrograd's demo reports it.

Raises:
    kindling.Error: when the counts of scores and labels differ, or there are none.

Example:
    >>> kindling.nn.sign_accuracy([kindling.Value(1.0), kindling.Value(-2.0)], [1.0, 1.0])
    0.5
)");

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
      R"(Two interleaving half circles, as sklearn.datasets.make_moons, generated here from a seed.

Half the points lie on each moon (the upper one, label 0, gets the odd point), with Gaussian
noise of standard deviation ``noise`` on both coordinates, shuffled. The same seed gives the same
data on every machine (not scikit-learn's numbers).

Args:
    n_samples (int): the number of points (at least 2; default 100).
    noise (float): the noise's standard deviation (>= 0; default 0).
    seed (int): the generator's seed (default 0).

Returns:
    tuple: ``(X, y)``, NumPy arrays: X float64 of shape (n, 2), y int64 of shape (n,) with labels
    0 and 1.

Raises:
    kindling.Error: for fewer than 2 points or a negative noise.

Example:
    >>> X, y = kindling.nn.make_moons(6, noise=0.1, seed=0)
    >>> X.shape, X.dtype, sorted(set(y.tolist()))
    ((6, 2), dtype('float64'), [0, 1])
)");
}

}  // namespace kindling::python
