// Checkpoints of a data-parallel run: saved by rank 0, loaded by every rank (nn/checkpoint.hpp
// does the file; these make it collective). Both are collective: every rank calls them, and
// when any rank fails, every rank throws kindling::error naming the first rank that failed and
// its message, so that no rank trains on alone.
//
//   kindling::nn::Checkpoint state{.model = &ddp.module(), .optimizer = &opt, .step = step};
//   kindling::dist::save_checkpoint("run.ckpt", state);  // rank 0 writes; the others wait
//   kindling::dist::load_checkpoint("run.ckpt", state);  // every rank reads the same file
#pragma once

#include <string>

#include "kindling/nn/checkpoint.hpp"

namespace kindling::dist {

/// Collective: rank 0 writes `checkpoint` to `path` (nn::save_checkpoint); the other ranks return
/// once the file is complete. Every rank passes the same path.
/// @throws kindling::error on every rank when rank 0's save fails (naming rank 0 and its
///   message), when kindling::dist is not initialized, or when the ranks time out.
void save_checkpoint(const std::string& path, const nn::Checkpoint& checkpoint);
/// Collective: every rank restores `into` from `path` (nn::load_checkpoint, all or nothing on
/// each rank).
/// @throws kindling::error on every rank when any rank's load fails, naming the first rank that
///   failed and its message; also when kindling::dist is not initialized, or on a time-out.
void load_checkpoint(const std::string& path, nn::Checkpoint& into);

}  // namespace kindling::dist
