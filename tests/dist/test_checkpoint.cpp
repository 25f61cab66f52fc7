// Collective checkpoints: rank 0 writes, every rank reads, and a failure on one rank is an error
// on all of them.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "dist_support.hpp"

namespace kindling::test {

TEST_CASE("checkpoint: rank 0 writes, every rank loads the same state", "[checkpoint]") {
  ensure_dist();
  const std::string path = std::string(KINDLING_TEST_OUTPUT_DIR) + "/dist_checkpoint.safetensors";
  std::filesystem::remove(path);
  dist::barrier();  // no rank sees a file from an earlier run
  // Each rank's own parameters (no DistributedDataParallel): what is saved must be rank 0's.
  auto model = make_mlp(10 + static_cast<std::uint64_t>(dist::rank()));
  nn::Checkpoint saved{.model = model.get(), .step = 7};
  dist::save_checkpoint(path, saved);
  CHECK(std::filesystem::is_regular_file(path));  // complete when save returns, on every rank

  auto loaded = make_mlp(99);
  nn::Checkpoint into{.model = loaded.get()};
  dist::load_checkpoint(path, into);
  CHECK(into.step == 7);
  CHECK(max_parameter_difference(*loaded, *make_mlp(10)) == 0.0);  // rank 0's initialisation

  // A missing file on rank 1 alone: every rank throws, naming rank 1.
  const std::string missing = dist::rank() == 1 ? path + ".missing" : path;
  CHECK_THROWS_WITH(
      dist::load_checkpoint(missing, into),
      Catch::Contains("load_checkpoint: failed on rank 1") && Catch::Contains(".missing"));
}

}  // namespace kindling::test
