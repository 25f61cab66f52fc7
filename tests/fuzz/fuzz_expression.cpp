// STAND-IN (infra branch), to be replaced by the cli branch's target: parses arbitrary text as a
// formula over x, y and z; what parses is differentiated and drawn as DOT.
#include <cstdint>
#include <string_view>

#include "kindling/engine/dot.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/expression.hpp"
#include "kindling/engine/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kindling;
  const ExpressionVariables variables = {
      {"x", Value(0.5, "x")}, {"y", Value(-2.0, "y")}, {"z", Value(3.0, "z")}};
  try {
    Value root =
        parse_expression(std::string_view(reinterpret_cast<const char*>(data), size), variables);
    root.backward();
    if (to_dot(root).empty()) __builtin_trap();
  } catch (const error&) {
  }
  return 0;
}
