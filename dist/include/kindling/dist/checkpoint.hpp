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

void save_checkpoint(const std::string& path, const nn::Checkpoint& checkpoint);
void load_checkpoint(const std::string& path, nn::Checkpoint& into);

}  // namespace kindling::dist
