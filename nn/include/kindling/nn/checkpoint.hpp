// Checkpoints: model, optimizer, scheduler, step counter and random generator in one safetensors
// file, under the prefixes "model.", "optimizer.", "scheduler.", "generator." and the entry
// "step". Loading them back and training on gives the numbers training straight through gives.
#pragma once

#include <cstdint>
#include <string>

#include "kindling/engine/random.hpp"
#include "kindling/nn/module.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/scheduler.hpp"

namespace kindling::nn {

// What a checkpoint holds; the optimizer, scheduler and generator are optional (null).
struct Checkpoint {
  Module* model = nullptr;
  Optimizer* optimizer = nullptr;
  Scheduler* scheduler = nullptr;
  Generator* generator = nullptr;
  std::int64_t step = 0;
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Restores every part that is non-null in `into` (each must be in the file) and sets into.step.
void load_checkpoint(const std::string& path, Checkpoint& into);

// A Generator's state as tensors ("state" int64 (4,), "spare" float64 (2,)) and back.
StateDict generator_state(const Generator& generator);
void load_generator_state(Generator& generator, const StateDict& state);

}  // namespace kindling::nn
