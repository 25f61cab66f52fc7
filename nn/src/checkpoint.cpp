// Checkpoints as one safetensors file of prefixed state dicts.
#include "kindling/nn/checkpoint.hpp"

#include <bit>

#include "kindling/engine/error.hpp"
#include "kindling/nn/safetensors.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn {

StateDict generator_state(const Generator& generator) {
  const Generator::Snapshot s = generator.snapshot();
  std::vector<std::int64_t> words;
  for (const auto w : s.state)
    words.push_back(std::bit_cast<std::int64_t>(w));  // bit patterns, not values
  StateDict out;
  out.insert("state", from_vector(words, {4}));
  out.insert("spare",
             from_vector(std::vector<double>{s.has_spare_normal ? 1.0 : 0.0, s.spare_normal}, {2}));
  return out;
}

void load_generator_state(Generator& generator, const StateDict& state) {
  const Tensor& words = state.at("state", "generator");
  const Tensor& spare = state.at("spare", "generator");
  KINDLING_CHECK(words.numel() == 4 && words.dtype() == DType::int64 && spare.numel() == 2,
                 "generator: state must be int64 (4,) and spare (2,), got ",
                 shape_string(words.shape()), " and ", shape_string(spare.shape()));
  Generator::Snapshot s{};
  const auto w = words.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < 4; ++i)
    s.state[i] = std::bit_cast<std::uint64_t>(w[i]);
  const auto sp = spare.to_vector<double>();
  s.has_spare_normal = sp[0] != 0.0;
  s.spare_normal = sp[1];
  generator.restore(s);
}

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  KINDLING_CHECK(c.model != nullptr, "save_checkpoint: no model given");
  StateDict all;
  all.merge(c.model->state_dict(), "model.");
  if (c.optimizer) all.merge(c.optimizer->state_dict(), "optimizer.");
  if (c.scheduler) all.merge(c.scheduler->state_dict(), "scheduler.");
  if (c.generator) all.merge(generator_state(*c.generator), "generator.");
  all.insert("step", scalar_tensor(static_cast<double>(c.step), DType::int64));
  save_safetensors(all, path, {{"format", "kindling-checkpoint"}, {"version", "1"}});
}

void load_checkpoint(const std::string& path, Checkpoint& into) {
  Metadata metadata;
  const StateDict all = load_safetensors(path, &metadata);
  KINDLING_CHECK(metadata["format"] == "kindling-checkpoint", "load_checkpoint: '", path,
                 "' is not a kindling checkpoint (no format metadata)");
  if (into.model) into.model->load_state_dict(all.with_prefix("model."));
  if (into.optimizer) into.optimizer->load_state_dict(all.with_prefix("optimizer."));
  if (into.scheduler) into.scheduler->load_state_dict(all.with_prefix("scheduler."));
  if (into.generator) load_generator_state(*into.generator, all.with_prefix("generator."));
  into.step = static_cast<std::int64_t>(all.at("step", "load_checkpoint").item());
}

}  // namespace kindling::nn
