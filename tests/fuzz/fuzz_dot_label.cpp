// STAND-IN (infra branch), to be replaced by the cli branch's target: arbitrary bytes as a Value's
// label; the DOT text must keep its double quotes balanced (escaped quotes aside).
#include <cstdint>
#include <string>

#include "kindling/engine/dot.hpp"
#include "kindling/engine/value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kindling;
  Value a(1.0, std::string(reinterpret_cast<const char*>(data), size));
  const Value b = (a * 2.0).relu();
  const std::string dot = to_dot(b);
  bool quoted = false;
  for (std::size_t i = 0; i < dot.size(); ++i) {
    if (dot[i] == '\\' && quoted) {
      ++i;
    } else if (dot[i] == '"') {
      quoted = !quoted;
    }
  }
  if (quoted) __builtin_trap();
  return 0;
}
