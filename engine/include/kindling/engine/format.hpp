// How numbers and formulas are printed in DOT labels, reprs and the stepper's chain-rule text,
// shared by the scalar and tensor front ends so both read the same.
#pragma once

#include <cctype>
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

namespace kindling::engine {

// Four decimals, as micrograd's graphs print them ("-3.0000").
inline std::string format_number(double x) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.4f", x);
  return buffer;
}

// `formula` with each standalone one-letter name letters[i] (not part of a longer word; letters,
// digits, _ and ' make words) replaced by names[i]: "a * b" with letters "ab" and names {"x", "y"}
// gives "x * y".
inline std::string substitute_names(std::string_view formula, std::string_view letters,
                                    std::span<const std::string> names) {
  const auto is_word = [&](std::size_t j) {
    return j < formula.size() && (std::isalnum(static_cast<unsigned char>(formula[j])) ||
                                  formula[j] == '_' || formula[j] == '\'');
  };
  std::string out;
  for (std::size_t i = 0; i < formula.size(); ++i) {
    const char ch = formula[i];
    const std::size_t slot = letters.find(ch);
    const bool standalone = !(i > 0 && is_word(i - 1)) && !is_word(i + 1);
    if (standalone && slot != std::string_view::npos && slot < names.size())
      out += names[slot];
    else
      out += ch;
  }
  return out;
}

}  // namespace kindling::engine
