// safetensors file access for other nn sources (internal, not installed): the save and load of
// safetensors.hpp with the caller's name in every message, so that a checkpoint's full disk is
// reported by save_checkpoint.
#pragma once

#include <string>
#include <string_view>

#include "kindling/nn/safetensors.hpp"

namespace kindling::nn::safetensors_detail {

// save_safetensors (Note [atomic saves] in file_io.hpp) with messages naming `who`.
void save_file(const StateDict& state, const std::string& path, const Metadata& metadata,
               std::string_view who);
// load_safetensors with messages naming `who`.
StateDict load_file(const std::string& path, Metadata* metadata, std::string_view who);

}  // namespace kindling::nn::safetensors_detail
