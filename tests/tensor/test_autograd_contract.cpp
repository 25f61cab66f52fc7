// The checks the engine makes on every backward step, in Release too: each gradient a backward
// gives must fit its input (Note [gradient contract]), and a tensor the backward reads must not
// have changed in place since the op used it (Note [version counters]). The ops' own backwards
// are right, so the contract is driven with deliberately wrong ones (kindling/tensor/testing.hpp).
#include <catch2/catch.hpp>
#include <vector>

#include "kindling/explain/tensor_gradcheck.hpp"
#include "kindling/tensor.hpp"
#include "kindling/tensor/testing.hpp"

namespace kindling {
namespace {

using Catch::Matchers::Contains;
using testing::ReplaceBackward;

std::vector<double> values(const Tensor& t) {
  return t.to_vector<double>();
}

// a (2,3) and b (3,) that require grad: mul broadcasts b by an expand, so mul's own inputs are
// a and the expanded b, both (2,3), and its upstream gradient is (2,3).
struct Operands {
  Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}).set_requires_grad();
  Tensor b = tensor({10, 20, 30}).set_requires_grad();
};

TEST_CASE("gradient contract: a replaced backward runs in place of the op's own",
          "[tensor][autograd][contract]") {
  // The seam must really replace the backward, or the failing cases below would prove nothing:
  // twice the true gradient (a's is b broadcast, 10 20 30 per row) shows that it ran.
  Operands o;
  {
    const ReplaceBackward twice(TensorOp::mul, [](const Tensor& g, const std::vector<Tensor>& in) {
      return std::vector<Tensor>{2.0 * g * in[1], 2.0 * g * in[0]};
    });
    sum(o.a * o.b).backward();
  }
  CHECK(values(o.a.grad()) == std::vector<double>{20, 40, 60, 20, 40, 60});
  CHECK(values(o.b.grad()) == std::vector<double>{10, 14, 18});  // 2 * (1+4, 2+5, 3+6)
  // Out of scope, the op's own backward is back.
  o.a.zero_grad();
  sum(o.a * o.b).backward();
  CHECK(values(o.a.grad()) == std::vector<double>{10, 20, 30, 10, 20, 30});
}

TEST_CASE("gradient contract: a contribution of the wrong shape names the op and the input",
          "[tensor][autograd][contract]") {
  // mul's input 1 is the expand's (2,3) output; a (3,) gradient for it would be broadcast or
  // misread by accumulation. Without the check this backward would silently add (3,) into (2,3).
  const Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}).set_requires_grad();
  const Tensor b = tensor({1, 2, 3, 4, 5, 6}, {2, 3}).set_requires_grad();
  const ReplaceBackward wrong(TensorOp::mul, [](const Tensor& g, const std::vector<Tensor>&) {
    return std::vector<Tensor>{g, sum(g, {0})};
  });
  CHECK_THROWS_WITH(
      sum(a * b).backward(),
      Contains("backward of mul: the gradient for input 1 has shape (3) but the input has "
               "shape (2,3)"));
}

TEST_CASE("gradient contract: a contribution of the wrong dtype names the op and the input",
          "[tensor][autograd][contract]") {
  // Accumulation used to cast silently; a float64 gradient for a float32 input is a bug in the
  // backward that made it.
  Operands o;
  const ReplaceBackward wrong(TensorOp::mul, [](const Tensor& g, const std::vector<Tensor>&) {
    return std::vector<Tensor>{g.to(DType::float64), g};
  });
  CHECK_THROWS_WITH(
      sum(o.a * o.b).backward(),
      Contains("backward of mul: the gradient for input 0 is float64 but the input is float32"));
}

TEST_CASE("gradient contract: the check covers every op, not only binary ones",
          "[tensor][autograd][contract]") {
  // A unary op (exp) and a reduction (sum) with one-element-too-many gradients.
  const Tensor x = tensor({1, 2, 3}).set_requires_grad();
  {
    const ReplaceBackward wrong(TensorOp::exp, [](const Tensor& g, const std::vector<Tensor>&) {
      return std::vector<Tensor>{concat({g, g}, 0)};
    });
    CHECK_THROWS_WITH(sum(exp(x)).backward(),
                      Contains("backward of exp: the gradient for input 0 has shape (6) but the "
                               "input has shape (3)"));
  }
  {
    const ReplaceBackward wrong(TensorOp::sum, [](const Tensor& g, const std::vector<Tensor>&) {
      return std::vector<Tensor>{g};  // () for a (3,) input: the broadcast back is missing
    });
    CHECK_THROWS_WITH(sum(x).backward(), Contains("backward of sum: the gradient for input 0 has "
                                                  "shape () but the input has shape (3)"));
  }
}

TEST_CASE("version counters: writes bump, views and detached tensors share the count",
          "[tensor][autograd][version]") {
  const Tensor x = zeros({2, 3});
  CHECK(x.version() == 0);
  x.bump_version();
  CHECK(x.version() == 1);
  const Tensor v = x.view({6});
  const Tensor d = x.detach();
  v.bump_version();
  CHECK(x.version() == 2);
  CHECK(d.version() == 2);
  // A copy has storage of its own.
  const Tensor c = x.clone();
  CHECK(c.version() == 0);
}

TEST_CASE("version counters: backward refuses an input that changed after the op used it",
          "[tensor][autograd][version]") {
  // mul's backward reads both inputs: da = g * b, db = g * a.
  const Tensor a = tensor({1, 2, 3}).set_requires_grad();
  const Tensor b = tensor({4, 5, 6}).set_requires_grad();
  const Tensor loss = sum(a * b);
  a.bump_version();  // as an in-place write would
  CHECK_THROWS_WITH(loss.backward(),
                    Contains("mul saved a tensor that was modified in place after it was saved "
                             "(input 0 of shape (3): version 1, expected 0)"));
}

TEST_CASE("version counters: a write through a view is a write to its base",
          "[tensor][autograd][version]") {
  const Tensor a = tensor({1, 2, 3, 4}).set_requires_grad();
  const Tensor b = tensor({1, 1, 1, 1}).set_requires_grad();
  const Tensor loss = sum(a * b);
  b.detach().view({2, 2}).bump_version();
  CHECK_THROWS_WITH(loss.backward(), Contains("mul saved a tensor that was modified in place "
                                              "after it was saved (input 1 of shape (4)"));
}

TEST_CASE("version counters: the output and the saved tensors are checked too",
          "[tensor][autograd][version]") {
  // exp's backward reads its output: dx = g * e^x.
  const Tensor x = tensor({0, 1}).set_requires_grad();
  const Tensor y = exp(x);
  const Tensor loss = sum(y);
  y.bump_version();
  CHECK_THROWS_WITH(loss.backward(),
                    Contains("exp saved a tensor that was modified in place after it was saved "
                             "(its output of shape (2): version 1, expected 0)"));
  // where saves its condition: changing the mask would move the gradient.
  const Tensor cond = tensor({1, 0}).to(DType::bool_);
  const Tensor a = tensor({1, 2}).set_requires_grad();
  const Tensor w = sum(where(cond, a, 0.0));
  cond.bump_version();
  CHECK_THROWS_WITH(w.backward(), Contains("where saved a tensor that was modified in place after "
                                           "it was saved (saved tensor 0 of shape (2)"));
}

TEST_CASE("version counters: an input the backward does not read may change",
          "[tensor][autograd][version]") {
  // add's backward passes g through without reading a or b, so PyTorch allows this, and so do we.
  const Tensor a = tensor({1, 2}).set_requires_grad();
  const Tensor b = tensor({3, 4}).set_requires_grad();
  const Tensor loss = sum(a + b);
  a.bump_version();
  b.bump_version();
  loss.backward();
  CHECK(values(a.grad()) == std::vector<double>{1, 1});
  CHECK(values(b.grad()) == std::vector<double>{1, 1});
}

TEST_CASE("version counters: a retained graph checks again on the second backward",
          "[tensor][autograd][version]") {
  const Tensor a = tensor({1, 2}).set_requires_grad();
  const Tensor loss = sum(a * a);
  loss.backward({}, true);
  CHECK(values(a.grad()) == std::vector<double>{2, 4});
  a.bump_version();
  CHECK_THROWS_WITH(loss.backward(), Contains("mul saved a tensor that was modified in place"));
}

TEST_CASE("version counters: accumulating into a grad a graph used is an in-place write",
          "[tensor][autograd][version]") {
  // The second backward adds into w.grad in place. A graph that read w.grad as a value before
  // that (here z = sum(w.grad * x)) would see the new sum in its backward: refused, as PyTorch
  // does.
  const Tensor w = tensor({1, 2}).set_requires_grad();
  sum(w * w).backward();
  const Tensor g = w.grad();
  REQUIRE(values(g) == std::vector<double>{2, 4});
  const Tensor x = tensor({5, 6}).set_requires_grad();
  const Tensor z = sum(g * x);
  const std::uint64_t before = g.version();
  sum(w * w).backward();  // w.grad becomes 4 8, added in place
  CHECK(w.grad().shares_storage(g));
  CHECK(g.version() > before);
  CHECK_THROWS_WITH(z.backward(), Contains("mul saved a tensor that was modified in place"));
}

TEST_CASE("version counters: gradcheck's perturbations count as writes",
          "[tensor][autograd][version]") {
  const Tensor x = tensor({0.5, -1.5}, DType::float64).set_requires_grad();
  const GradcheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]); }, {x});
  CHECK(r.ok);
  CHECK(x.version() == 2);  // one per element
}

TEST_CASE("move_to_device is checked", "[tensor][device]") {
  const Tensor x = tensor({1, 2}).set_requires_grad();
  move_to_device(x, kCPU);  // already there: nothing happens
  CHECK(x.version() == 0);
  CHECK_THROWS_WITH(move_to_device(x * 2.0, Device::cuda(0)),
                    Contains("move_to_device(cuda:0): only leaves can move, got a result of mul"));
  if (!kernels::has_kernels(DeviceType::cuda)) {
    CHECK_THROWS_WITH(move_to_device(x, Device::cuda(0)),
                      Contains("move_to_device(cuda:0): no kernels are registered"));
  }
  CHECK_THROWS_WITH(move_to_device(Tensor{}, kCPU), Contains("the tensor is undefined"));
}

}  // namespace
}  // namespace kindling
