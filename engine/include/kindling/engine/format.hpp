// How numbers are printed in reprs, DOT records and the stepper's chain-rule text, shared by the
// scalar and tensor engines and their explaining tools (explain/) so all of them read the same.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace kindling::engine {

/// `x` with four decimals, as micrograd's graphs print them ("-3.0000"); "inf", "-inf" and "nan"
/// for special values, as PyTorch prints them.
inline std::string format_number(double x) {
  // printf writes "-nan" for a NaN whose sign bit is set (as 0 * -inf or -NAN give); torch prints
  // "nan" for every NaN, and a NaN's sign carries no meaning.
  if (std::isnan(x)) return "nan";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.4f", x);
  return buffer;
}

}  // namespace kindling::engine
