// Every in-place write of nn bumps the written tensor's version, so a backward that would read
// the changed values refuses (Note [version counters] in tensor/src/tensor.cpp): copy_into,
// fill_into, assign_host, the initialisers, optimizer steps (fused and composite), state-dict
// loads, gradient clipping and BatchNorm's running statistics.
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "kindling/nn/init.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor.hpp"

using namespace kindling;
using Catch::Matchers::Contains;

namespace {

constexpr const char* kModified = "saved a tensor that was modified in place after it was saved";

// p * p keeps a graph whose backward reads p (mul's da = g * b), retained so it can run again.
Tensor retained_square_loss(const Tensor& p) {
  const Tensor loss = sum(p * p);
  loss.backward({}, true);
  return loss;
}

}  // namespace

TEST_CASE("copy_into, fill_into and assign_host bump the version", "[nn][version]") {
  const Tensor p = tensor({1, 2}).set_requires_grad();
  const Tensor loss = sum(p * p);
  nn::copy_into(p, tensor({3, 4}));
  CHECK(p.version() == 1);
  CHECK_THROWS_WITH(loss.backward(), Contains(std::string("mul ") + kModified) &&
                                         Contains("(input 1 of shape (2): version 1, expected 0)"));
  nn::fill_into(p, 0.5);
  CHECK(p.version() == 2);
  nn::assign_host(p, {1.0, 2.0}, "test");
  CHECK(p.version() == 3);
  // Across devices too: a copy into a CPU tensor from the CPU goes the first way; a failed
  // copy (shape mismatch) writes nothing and bumps nothing.
  CHECK_THROWS(nn::copy_into(p, tensor({1, 2, 3})));
  CHECK(p.version() == 3);
}

TEST_CASE("the initialisers bump the version", "[nn][version]") {
  Generator g(3);
  const Tensor w = zeros({2, 3}).set_requires_grad();
  const Tensor loss = sum(w * w);
  nn::init::uniform_(w, -1, 1, g);
  nn::init::normal_(w, 0, 1, g);
  nn::init::constant_(w, 2.0);
  nn::init::kaiming_uniform_(w, g);
  CHECK(w.version() == 4);
  CHECK_THROWS_WITH(loss.backward(), Contains(kModified));
}

TEST_CASE("optimizer steps bump the parameters and their state", "[nn][version][optim]") {
  // Stepping between a retained forward and its second backward is PyTorch's classic "modified
  // by an inplace operation": the second backward would read the stepped weights.
  for (const bool fused : {true, false}) {
    INFO("fused " << fused);
    const Tensor p = tensor({1, 2}).set_requires_grad();
    const Tensor q = tensor({3, 4}).set_requires_grad();
    nn::SgdOptions o;
    o.lr = 0.1;
    o.momentum = 0.9;
    nn::SGD sgd({p, q}, o);
    sgd.set_use_fused(fused);
    const Tensor loss = retained_square_loss(p);
    sgd.step();  // q has no grad: not stepped, not bumped
    CHECK(p.version() > 0);
    CHECK(q.version() == 0);
    const Tensor momentum = sgd.state_dict().at("state.0.momentum_buffer");
    CHECK(momentum.version() > 0);
    CHECK_THROWS_WITH(loss.backward(), Contains(std::string("mul ") + kModified));
  }
  // Adam's all-parameters-at-once path (adam_multi) too.
  for (const bool fused : {true, false}) {
    INFO("fused " << fused);
    const Tensor p = tensor({1, 2}).set_requires_grad();
    const Tensor q = tensor({3, 4}).set_requires_grad();
    nn::Adam adam({p, q}, nn::AdamOptions{});
    adam.set_use_fused(fused);
    const Tensor loss = sum(p * q);
    loss.backward({}, true);
    adam.step();
    CHECK(p.version() > 0);
    CHECK(q.version() > 0);
    CHECK_THROWS_WITH(loss.backward(), Contains(std::string("mul ") + kModified));
  }
}

TEST_CASE("state-dict loads bump what they write", "[nn][version]") {
  Generator g(5);
  nn::Linear layer(3, 2, g);
  const Tensor x = ones({1, 3});
  const Tensor loss = sum(layer(x) * layer(x));
  loss.backward({}, true);
  const std::uint64_t before = layer.weight.version();
  layer.load_state_dict(layer.state_dict());
  CHECK(layer.weight.version() > before);
  CHECK(layer.bias.version() > 0);
  CHECK_THROWS_WITH(loss.backward(), Contains(kModified));

  nn::SgdOptions o;
  o.momentum = 0.5;
  nn::SGD sgd({layer.weight}, o);
  sgd.step();
  const Tensor slot = sgd.state_dict().at("state.0.momentum_buffer");
  const std::uint64_t slot_before = slot.version();
  sgd.load_state_dict(sgd.state_dict());
  CHECK(slot.version() > slot_before);
}

TEST_CASE("gradient clipping bumps the grads it scales", "[nn][version]") {
  const Tensor p = tensor({3, 4}).set_requires_grad();
  sum(p * p).backward();  // grad 6 8, norm 10 (the second of mul's two shares is added in place)
  const Tensor g = p.grad();
  const std::uint64_t before = g.version();
  nn::clip_grad_norm({p}, 1.0);
  CHECK(g.version() == before + 1);
  nn::clip_grad_value({p}, 0.1);
  CHECK(g.version() == before + 2);
}

TEST_CASE("BatchNorm's running statistics are in-place writes", "[nn][version]") {
  nn::BatchNorm1d norm(2);
  const Tensor x = tensor({1, 2, 3, 5}, {2, 2});
  // In eval mode the running statistics are inputs of the graph; a training call updates them.
  norm.eval();
  const Tensor w = ones({2, 2}).set_requires_grad();
  const Tensor loss = sum(norm(x * w));
  norm.train();
  (void)norm(x);
  CHECK(norm.running_mean.version() == 1);
  CHECK(norm.running_var.version() == 1);
  // eval's (x - mean) / sqrt(var + eps) reads neither buffer in its backward (sub does not read
  // its inputs; div reads the fresh sqrt), so this backward is still right, and allowed.
  loss.backward();
  CHECK(w.grad().defined());
}
