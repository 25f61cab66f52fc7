// How numbers are printed in reprs, DOT records and the stepper's chain-rule text, shared by the
// scalar and tensor engines and their explaining tools (explain/) so all of them read the same.
#pragma once

#include <cstdio>
#include <string>

namespace kindling::engine {

/// `x` with four decimals, as micrograd's graphs print them ("-3.0000"); printf's "inf", "-inf",
/// "nan" (or "-nan") for special values.
inline std::string format_number(double x) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.4f", x);
  return buffer;
}

}  // namespace kindling::engine
