// Checkpoints: model, optimizer, scheduler, step counter and random generator in one safetensors
// file, under the prefixes "model.", "optimizer.", "scheduler.", "generator." and the entry
// "step" (int64, exact). Loading them back and training on gives the numbers training straight
// through gives.
//
// Note [checkpoint loads are all or nothing]
// A load checks what it can without touching anything (the format, the step, the generator's
// words), then restores model, optimizer and scheduler in turn, each after keeping a copy of its
// current state; when any part fails (a missing or malformed entry, a shape mismatch), the parts
// already restored are put back, so on every error the model, optimizer, scheduler, generator
// and step are exactly as before the call.
#pragma once

#include <cstdint>
#include <span>
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

// Saves atomically (Note [atomic saves] in nn/src/file_io.hpp): a full disk is an error naming
// save_checkpoint, the path and errno's text, and the previous file stays.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
// Restores every part that is non-null in `into` (each must be in the file) and sets into.step;
// all or nothing (Note [checkpoint loads are all or nothing]).
void load_checkpoint(const std::string& path, Checkpoint& into);
// The same in memory: the file's bytes, and a load from bytes (`name` is for messages).
std::string serialize_checkpoint(const Checkpoint& checkpoint);
void parse_checkpoint(std::span<const std::uint8_t> bytes, const std::string& name,
                      Checkpoint& into);

// A Generator's state as tensors ("state" int64 (4,), "spare" float64 (2,)) and back.
StateDict generator_state(const Generator& generator);
void load_generator_state(Generator& generator, const StateDict& state);

}  // namespace kindling::nn
