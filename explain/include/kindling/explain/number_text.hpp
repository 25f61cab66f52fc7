// Numbers to and from text without the C locale's say (a program that calls setlocale must not
// change what "0.5" means), for the expression parser and the web playground. std::from_chars and
// std::to_chars do this where the standard library has their floating-point forms; the
// WebAssembly build's libc++ (emscripten 3.1.6) has not, and there strtod and snprintf stand in:
// its C library has no locales, so they read and write the C locale's way.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

namespace kindling::explain {

/// What read_decimal() made of a text.
enum class NumberRead {
  ok,            ///< Read; the value is the nearest double.
  out_of_range,  ///< A well-formed number beyond the largest double, or underflowing to 0.
  malformed      ///< Not a decimal literal (hexadecimal, inf, nan, blanks, a leading '+', ...).
};

namespace detail {
// The stand-ins, compiled everywhere so that a test can hold them to from_chars and to_chars.
inline NumberRead read_decimal_strtod(std::string_view text, double& value) {
  const std::string copy(text);  // strtod wants a terminated string
  if (copy.empty() || copy.front() == '+' ||
      copy.find_first_of("xXnNiIpP \t\n\v\f\r") != std::string::npos)
    return NumberRead::malformed;  // hexadecimal, inf, nan, blanks, a leading '+': not literals
  char* end = nullptr;
  value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return NumberRead::malformed;
  const std::string mantissa = copy.substr(0, copy.find_first_of("eE"));
  const bool nonzero = mantissa.find_first_of("123456789") != std::string::npos;
  if (value == HUGE_VAL || value == -HUGE_VAL || (value == 0.0 && nonzero))
    return NumberRead::out_of_range;
  return NumberRead::ok;
}

inline std::string shortest_decimal_printf(double x) {
  char buffer[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, x);
    if (std::strtod(buffer, nullptr) == x) break;
  }
  return buffer;
}
}  // namespace detail

/// Reads all of `text` (an optional minus sign, digits, a decimal point, an optional exponent) as
/// the nearest double, whatever the C locale says. out_of_range: beyond the largest double, or not
/// 0 but nearer 0 than the smallest subnormal; subnormal results are ok.
/// @param text the literal, nothing before or after it.
/// @param value receives the double when the result is ok (unspecified otherwise).
/// @code
/// double x = 0.0;
/// if (kindling::explain::read_decimal("2.5e-3", x) == kindling::explain::NumberRead::ok) {
///   // x == 0.0025
/// }
/// @endcode
inline NumberRead read_decimal(std::string_view text, double& value) {
#if defined(__cpp_lib_to_chars)
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool whole = end == text.data() + text.size();
  if (status == std::errc::result_out_of_range && whole) return NumberRead::out_of_range;
  if (status == std::errc{} && whole && text.find_first_of("nNiI") == std::string_view::npos)
    return NumberRead::ok;
  return NumberRead::malformed;
#else
  return detail::read_decimal_strtod(text, value);
#endif
}

/// The shortest text that reads back as the same finite double: "-1.5", "0.1", "1e-07",
/// whatever the C locale says.
inline std::string shortest_decimal(double x) {
#if defined(__cpp_lib_to_chars)
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
#else
  return detail::shortest_decimal_printf(x);
#endif
}

}  // namespace kindling::explain
