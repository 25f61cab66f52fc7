// libFuzzer target for checkpoint loading (Note [checkpoint loads are all or nothing]) into one
// fixed setup: mlp<Tanh>({2, 3, 2}), AdamW, ReduceLROnPlateau and a generator, trained one step
// so every part has state (tests/fuzz/make_seeds.py writes checkpoints of this layout).
// Properties:
//   - bad bytes give kindling::error and nothing else;
//   - a failed load leaves model, optimizer, scheduler, generator and step bit-identical;
//   - after a load, saving and loading into a fresh setup gives the same state bit for bit.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/checkpoint.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/tensor/creation.hpp"

using namespace kindling;
using namespace kindling::nn;

namespace {

struct Setup {
  Generator init{1};
  std::shared_ptr<Sequential> model = mlp<Tanh>({2, 3, 2}, init);
  AdamW opt{model->parameters()};
  ReduceLROnPlateau sched{opt};
  Generator generator{5};
  std::int64_t step = 1;

  Setup() {
    const Tensor x = tensor({0.5, -1, 2, 0.25}, {2, 2});
    const Tensor y = from_vector(std::vector<std::int64_t>{0, 1}, {2});
    opt.zero_grad();
    nn::cross_entropy((*model)(x), y).backward();
    opt.step();
    sched.step(1.0);
  }
  Checkpoint parts() { return {model.get(), &opt, &sched, &generator, step}; }
  // Everything a load may change, as one state dict.
  StateDict state() const {
    StateDict all;
    all.merge(model->state_dict(), "model.");
    all.merge(opt.state_dict(), "optimizer.");
    all.merge(sched.state_dict(), "scheduler.");
    all.merge(generator_state(generator), "generator.");
    all.insert("step", from_vector(std::vector<std::int64_t>{step}, {}));
    return all;
  }
};

// Copies, so that later loads cannot change what is compared against.
StateDict copies(const StateDict& state) {
  StateDict out;
  for (const auto& [name, t] : state)
    out.insert(name, t.detach().clone());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Setup target;
  const StateDict before = copies(target.state());
  Checkpoint into = target.parts();
  try {
    parse_checkpoint({data, size}, "fuzz.checkpoint", into);
  } catch (const kindling::error&) {
    fuzz::require(fuzz::same_state(target.state(), before), "a failed load changes nothing");
    return 0;
  }
  target.step = into.step;
  const StateDict loaded = copies(target.state());

  std::string saved;
  try {
    saved = serialize_checkpoint(target.parts());
  } catch (const kindling::error&) {
    fuzz::broken("what loads saves");
  }
  Setup fresh;
  Checkpoint again = fresh.parts();
  try {
    parse_checkpoint(fuzz::bytes_of(saved), "saved.checkpoint", again);
  } catch (const kindling::error&) {
    fuzz::broken("what saves loads");
  }
  fresh.step = again.step;
  fuzz::require(fuzz::same_state(fresh.state(), loaded), "a round trip keeps every part");
  return 0;
}
