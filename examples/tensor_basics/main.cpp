// tensor_basics: a tour of kindling::Tensor: creation, views, broadcasting, autograd, printing
// and the DOT graph of a small expression. It takes no arguments (--help says so); any other is
// an error with exit status 2.
#include <iostream>

#include "kindling/explain/tensor_dot.hpp"
#include "kindling/tensor.hpp"
#include "kindling_cli/options.hpp"

namespace {

int tour() {
  using namespace kindling;
  Generator gen(42);

  // Creation and views: transpose and slice share storage with their base.
  const Tensor a = arange(0.0, 12.0, 1.0).reshape({3, 4});
  const Tensor at = a.transpose(0, 1);
  std::cout << "a =\n" << a << "\na^T =\n" << at << "\n";
  std::cout << "a[:, ::2] =\n" << a.slice(1, 0, 4, 2) << "\n";
  std::cout << "shares storage: " << std::boolalpha << at.shares_storage(a) << "\n";

  // Broadcasting: (3, 4) + (4,) and a scalar.
  std::cout << "a + [10, 20, 30, 40] =\n" << a + tensor({10, 20, 30, 40}) << "\n";

  // Autograd: a tiny linear layer and a cross-entropy loss.
  Tensor w = randn({4, 3}, gen).set_requires_grad().set_label("w");
  Tensor b = zeros({3}).set_requires_grad().set_label("b");
  const Tensor x = randn({5, 4}, gen);
  const Tensor target = randint(0, 3, {5}, gen);
  const Tensor loss = cross_entropy(matmul(x, w) + b, target).set_label("loss");
  loss.backward();
  std::cout << "loss = " << loss.item() << "\ndloss/db = " << b.grad() << "\n";
  std::cout << "dloss/dw =\n" << w.grad() << "\n";
  std::cout << "SIMD kernels: " << kernels::cpu_simd_arch() << "\n";

  // Printing a big tensor truncates it, as NumPy does.
  std::cout << randn({40, 50}, gen) << "\n";

  // The graph of the loss, as DOT text (render with `dot -Tsvg`).
  std::cout << to_dot(loss).substr(0, 400) << "...\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("tensor_basics", [&] {
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (!args.is("--help") && !args.is("-h")) args.unknown();
      std::cout << "usage: tensor_basics\n  a tour of kindling::Tensor; takes no arguments\n";
      return 0;
    }
    return tour();
  });
}
