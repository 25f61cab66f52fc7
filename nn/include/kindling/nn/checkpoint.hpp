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

/// What a checkpoint holds, as pointers to the live objects: save_checkpoint reads them,
/// load_checkpoint restores into them. The model is required for a save; the optimizer,
/// scheduler and generator are optional (null). PyTorch has no such type: its convention is a
/// dict of state_dicts passed to torch.save.
/// @code
/// using namespace kindling::nn;
/// save_checkpoint("run.ckpt", {model.get(), &opt, &sched, &loader.generator(), step});
/// // later, with the same model, optimizer and scheduler built again:
/// Checkpoint into{model.get(), &opt, &sched, &loader.generator()};
/// load_checkpoint("run.ckpt", into);  // into.step is the saved step
/// @endcode
struct Checkpoint {
  Module* model = nullptr;         ///< Saved under "model."; required for a save.
  Optimizer* optimizer = nullptr;  ///< Saved under "optimizer." when not null.
  Scheduler* scheduler = nullptr;  ///< Saved under "scheduler." when not null.
  Generator* generator = nullptr;  ///< Saved under "generator." (generator_state) when not null.
  std::int64_t step = 0;           ///< The training step, saved exactly as int64 "step".
};

/// Writes a checkpoint as one safetensors file with the metadata format = "kindling-checkpoint",
/// version = "1". Saves atomically (Note [atomic saves] in nn/src/file_io.hpp).
/// @throws kindling::error when checkpoint.model is null, as save_safetensors for the contents,
///   and for a failed write (a full disk: naming save_checkpoint, the path and errno's text); the
///   previous file stays.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Restores every part that is non-null in `into` (each must be in the file) and sets into.step;
/// all or nothing (Note [checkpoint loads are all or nothing]). The model is loaded strictly.
/// @throws kindling::error for a file that is not valid safetensors or lacks the checkpoint
///   metadata ("not a kindling checkpoint"), a missing or malformed entry, or a shape mismatch;
///   everything in `into` is then as it was.
void load_checkpoint(const std::string& path, Checkpoint& into);
/// The bytes save_checkpoint would write.
/// @throws kindling::error as save_checkpoint, but for the write.
std::string serialize_checkpoint(const Checkpoint& checkpoint);
/// load_checkpoint on a file's bytes in memory (`name` is for messages).
/// @throws kindling::error as load_checkpoint.
void parse_checkpoint(std::span<const std::uint8_t> bytes, const std::string& name,
                      Checkpoint& into);

/// A Generator's state as tensors: "state" int64 (4,) (xoshiro256**'s words, as bit patterns)
/// and "spare" float64 (2,) (whether a normal is kept, and its value).
StateDict generator_state(const Generator& generator);
/// Restores a generator_state() into `generator`.
/// @throws kindling::error (leaving the generator as it was) when an entry is missing or is not
///   int64 (4,) and floating (2,).
void load_generator_state(Generator& generator, const StateDict& state);

}  // namespace kindling::nn
