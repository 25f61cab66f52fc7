// STAND-IN (infra branch), to be replaced by the io branch's target: loads arbitrary bytes as a
// checkpoint of a small MLP; what loads must save and load back to the same parameters and step.
#include <cstdint>

#include "kindling/engine/error.hpp"
#include "kindling/nn/checkpoint.hpp"
#include "kindling/nn/layers.hpp"
#include "standin_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kindling;
  Generator init(1);
  auto model = nn::mlp<nn::ReLU>({2, 3, 2}, init);
  nn::Checkpoint into{model.get(), nullptr, nullptr, nullptr, 0};
  try {
    const fuzz::TempFile file(data, size, ".safetensors");
    nn::load_checkpoint(file.path(), into);
  } catch (const error&) {
    return 0;
  }
  const fuzz::TempFile saved(nullptr, 0, ".safetensors");
  nn::save_checkpoint(saved.path(), into);
  Generator other(2);
  auto reloaded = nn::mlp<nn::ReLU>({2, 3, 2}, other);
  nn::Checkpoint again{reloaded.get(), nullptr, nullptr, nullptr, 0};
  nn::load_checkpoint(saved.path(), again);
  if (again.step != into.step || !fuzz::same_state(model->state_dict(), reloaded->state_dict()))
    __builtin_trap();
  return 0;
}
