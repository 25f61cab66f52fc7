// Checkpoints as one safetensors file of prefixed state dicts, loaded all or nothing
// (Note [checkpoint loads are all or nothing] in checkpoint.hpp).
#include "kindling/nn/checkpoint.hpp"

#include <bit>
#include <functional>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/nn/safetensors.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor/creation.hpp"
#include "safetensors_internal.hpp"

namespace kindling::nn {

namespace {

const Metadata kCheckpointMetadata{{"format", "kindling-checkpoint"}, {"version", "1"}};

// A generator snapshot from its state dict, without touching any generator.
Generator::Snapshot parse_generator_state(const StateDict& state) {
  const Tensor& words = state.at("state", "generator");
  const Tensor& spare = state.at("spare", "generator");
  KINDLING_CHECK(words.shape() == Shape{4} && words.dtype() == DType::int64 &&
                     spare.shape() == Shape{2} && is_floating(spare.dtype()),
                 "generator: state must be int64 (4,) and spare floating (2,), got ",
                 dtype_name(words.dtype()), " ", shape_string(words.shape()), " and ",
                 dtype_name(spare.dtype()), " ", shape_string(spare.shape()));
  Generator::Snapshot s{};
  const auto w = words.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < 4; ++i)
    s.state[i] = std::bit_cast<std::uint64_t>(w[i]);
  const auto sp = spare.to_vector<double>();
  s.has_spare_normal = sp[0] != 0.0;
  s.spare_normal = sp[1];
  return s;
}

StateDict checkpoint_state(const Checkpoint& c, const char* who) {
  KINDLING_CHECK(c.model != nullptr, who, ": no model given");
  StateDict all;
  all.merge(c.model->state_dict(), "model.");
  if (c.optimizer) all.merge(c.optimizer->state_dict(), "optimizer.");
  if (c.scheduler) all.merge(c.scheduler->state_dict(), "scheduler.");
  if (c.generator) all.merge(generator_state(*c.generator), "generator.");
  all.insert("step", int64_scalar(c.step));  // exact: a double would round past 2^53
  return all;
}

// Copies of the tensors of `state` (which may share storage with what is about to change).
StateDict detached_copies(const StateDict& state) {
  const no_grad guard;
  StateDict out;
  for (const auto& [name, tensor] : state)
    out.insert(name, tensor.detach().clone());
  return out;
}

// Undo steps run in reverse unless commit() is called: every part restored on any exception.
class Rollback {
 public:
  Rollback() = default;
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() {
    if (committed_) return;
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
      try {
        (*it)();
      } catch (...) {  // restoring an object's own state cannot fail but for memory: go on
      }
    }
  }
  void add(std::function<void()> undo) { undo_.push_back(std::move(undo)); }
  void commit() noexcept { committed_ = true; }

 private:
  std::vector<std::function<void()>> undo_;
  bool committed_ = false;
};

void apply_checkpoint(const StateDict& all, const Metadata& metadata, const std::string& name,
                      Checkpoint& into) {
  const char* who = "load_checkpoint";
  const auto format = metadata.find("format");
  KINDLING_CHECK(format != metadata.end() && format->second == "kindling-checkpoint", who, ": '",
                 name, "' is not a kindling checkpoint (no format metadata)");
  // What can be checked without touching anything, first.
  const std::int64_t step = exact_int64(all.at("step", who), who, "entry 'step'");
  Generator::Snapshot generator{};
  if (into.generator) generator = parse_generator_state(all.with_prefix("generator."));

  // Then each part, its previous state registered to be put back first, so that a failure in
  // this part or a later one restores it. Each load_state_dict also checks its whole dict
  // before it changes anything.
  Rollback rollback;
  if (into.model) {
    Module* model = into.model;
    rollback.add(
        [model, before = detached_copies(model->state_dict())] { model->load_state_dict(before); });
    model->load_state_dict(all.with_prefix("model."));
  }
  if (into.optimizer) {
    Optimizer* optimizer = into.optimizer;
    rollback.add([optimizer, before = detached_copies(optimizer->state_dict())] {
      optimizer->load_state_dict(before);
    });
    optimizer->load_state_dict(all.with_prefix("optimizer."));
  }
  if (into.scheduler) {
    Scheduler* scheduler = into.scheduler;
    rollback.add([scheduler, before = detached_copies(scheduler->state_dict())] {
      scheduler->load_state_dict(before);
    });
    scheduler->load_state_dict(all.with_prefix("scheduler."));
  }
  if (into.generator) into.generator->restore(generator);  // cannot fail
  rollback.commit();
  into.step = step;
}

}  // namespace

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
  generator.restore(parse_generator_state(state));
}

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  safetensors_detail::save_file(checkpoint_state(c, "save_checkpoint"), path, kCheckpointMetadata,
                                "save_checkpoint");
}

std::string serialize_checkpoint(const Checkpoint& c) {
  return serialize_safetensors(checkpoint_state(c, "serialize_checkpoint"), kCheckpointMetadata);
}

void load_checkpoint(const std::string& path, Checkpoint& into) {
  Metadata metadata;
  const StateDict all = safetensors_detail::load_file(path, &metadata, "load_checkpoint");
  apply_checkpoint(all, metadata, path, into);
}

void parse_checkpoint(std::span<const std::uint8_t> bytes, const std::string& name,
                      Checkpoint& into) {
  Metadata metadata;
  const StateDict all = parse_safetensors(bytes, name, &metadata);
  apply_checkpoint(all, metadata, name, into);
}

}  // namespace kindling::nn
