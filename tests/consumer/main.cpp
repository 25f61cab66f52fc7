// A consumer of kindling, built the way users build it (find_package or add_subdirectory): it
// differentiates micrograd's neuron, checks the gradients and draws the graph and a tensor graph
// (kindling::explain), so a broken package, or one that lost a target, fails here.
// kindling/nn.hpp alone must bring the tensor library and the graph drawing (tensor_graph_style).
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include <kindling/nn.hpp>
#include <kindling/nn/scalar.hpp>

int main() {
  kindling::Value x1(2.0), x2(0.0), w1(-3.0), w2(1.0), b(6.8813735870195432);
  kindling::Value o = (x1 * w1 + x2 * w2 + b).tanh();
  o.backward();
  kindling::Generator generator(1);
  kindling::nn::scalar::MLP model(2, {4, 1}, generator);
  const kindling::Tensor t = kindling::ones({2}).set_requires_grad();
  kindling::nn::Linear layer(2, 1, generator);
  const std::string drawn =
      kindling::to_dot(layer(kindling::ones({1, 2})).sum(), {},
                       kindling::tensor_graph_style({.names = layer.named_parameters()}));
  std::ostringstream printed;
  printed << o;
  const bool ok = std::abs(o.data() - std::sqrt(0.5)) < 1e-12 &&
                  std::abs(w1.grad() - 1.0) < 1e-12 && std::abs(x1.grad() + 1.5) < 1e-12 &&
                  model.parameters().size() == 17 &&
                  kindling::to_dot(o).find("label=\"tanh\"") != std::string::npos &&
                  kindling::to_dot(t * t).find("label=\"*\"") != std::string::npos &&
                  drawn.find("weight") != std::string::npos &&
                  printed.str() == "Value(data=0.7071, grad=1.0000)";
  std::printf("consumer: o = %.4f, dw1 = %.4f, %s\n", o.data(), w1.grad(), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
