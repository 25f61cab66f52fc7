// The distributed tests' main: Catch2's session, then the end of the process group (MPI_Finalize)
// before main returns, rather than in a static destructor.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "dist_support.hpp"

namespace kindling::test {
namespace {
std::optional<dist::Environment>& environment() {
  static std::optional<dist::Environment> env;
  return env;
}
}  // namespace

void ensure_dist() {
  if (!environment()) environment().emplace(dist::init({.timeout = std::chrono::seconds(30)}));
}

}  // namespace kindling::test

int main(int argc, char** argv) {
  const int result = Catch::Session().run(argc, argv);
  kindling::test::environment().reset();
  return result;
}
