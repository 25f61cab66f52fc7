// Strict command-line options for kindling's examples and benchmarks: every number is read whole
// with std::from_chars and range-checked, so "0x", "6.4e1" for an integer, "-1" for a count or
// "1e999" are refused with a message naming the option and the text, never read as a prefix, a
// wrapped-around value or infinity. Mistakes throw usage_error (a kindling::error); run_main()
// turns it into "program: message" and exit status 2, and any other exception into exit status 1.
//
//   kindling_cli::Arguments args(argc, argv);
//   while (args.next()) {
//     if (args.is("--epochs")) epochs = kindling_cli::parse_integer<int>("--epochs", args.value(),
//     0, 10000); else args.unknown();
//   }
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "kindling/engine/error.hpp"

namespace kindling_cli {

// A mistake on the command line: run_main() prints it and exits with status 2.
class usage_error : public kindling::error {
 public:
  using kindling::error::error;
};

namespace detail {
// 'text', built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
inline std::string quoted(std::string_view text) {
  std::string out(1, '\'');
  out.append(text).append(1, '\'');
  return out;
}
template <class T>
std::string number_text(T value) {
  if constexpr (std::is_integral_v<T>) {
    return std::to_string(value);
  } else {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", static_cast<double>(value));
    return buffer;
  }
}
}  // namespace detail

// The integer spelled by all of `text` (decimal digits, a leading '-' only for signed types), in
// [min, max]. `option` names it in the error: "--batch-size: '6.4e1' is not a positive integer".
template <class Int>
Int parse_integer(std::string_view option, std::string_view text, Int min, Int max) {
  static_assert(std::is_integral_v<Int>);
  const char* kind = min >= 1   ? "a positive integer"
                     : min == 0 ? "a non-negative integer"
                                : "an integer";
  Int value{};
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool whole = !text.empty() && end == text.data() + text.size();
  if (status == std::errc::result_out_of_range && whole)
    throw usage_error(std::string(option) + ": " + detail::quoted(text) + " is out of range (" +
                      detail::number_text(min) + ".." + detail::number_text(max) + ")");
  // A negative number for a count reads as "not a non-negative integer", as it does for an
  // unsigned type (where from_chars refuses the '-').
  bool negative_count = false;
  if constexpr (std::is_signed_v<Int>) negative_count = value < 0 && min >= 0;
  if (status != std::errc{} || !whole || negative_count)
    throw usage_error(std::string(option) + ": " + detail::quoted(text) + " is not " + kind);
  if (value < min || value > max)
    throw usage_error(std::string(option) + ": " + detail::quoted(text) + " is out of range (" +
                      detail::number_text(min) + ".." + detail::number_text(max) + ")");
  return value;
}

// The finite decimal number spelled by all of `text`, in [min, max] (or (min, max] when
// `min_exclusive`): "--lr: 'abc' is not a number", "--lr: '0' is out of range (> 0)".
inline double parse_real(std::string_view option, std::string_view text, double min, double max,
                         bool min_exclusive = false) {
  double value = 0.0;
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool whole = !text.empty() && end == text.data() + text.size();
  const std::string head = std::string(option) + ": " + detail::quoted(text);
  if (!whole || (status != std::errc{} && status != std::errc::result_out_of_range))
    throw usage_error(head + " is not a number");
  if (status == std::errc::result_out_of_range)  // beyond 1.8e308, or a nonzero below 4.9e-324
    throw usage_error(head + " is out of the range of a double");
  if (!std::isfinite(value)) throw usage_error(head + " is not a finite number");
  const bool below = min_exclusive ? !(value > min) : !(value >= min);
  if (below || value > max) {
    std::string range = min_exclusive ? "> " : ">= ";
    range += detail::number_text(min);
    if (std::isfinite(max)) range.append(" and <= ").append(detail::number_text(max));
    throw usage_error(head + " is out of range (" + range + ")");
  }
  return value;
}

// Walks argv: `next()` moves to the following argument, `is(flag)` tests it, `value()` consumes
// the argument after a flag (an error when there is none) and `unknown()` rejects it.
class Arguments {
 public:
  Arguments(int argc, char** argv) : argc_(argc), argv_(argv) {}
  bool next() { return ++index_ < argc_; }
  std::string_view current() const { return argv_[index_]; }
  bool is(std::string_view flag) const { return current() == flag; }
  std::string_view value() {
    const std::string_view flag = current();
    if (index_ + 1 >= argc_) throw usage_error(std::string(flag) + " needs a value");
    return argv_[++index_];
  }
  [[noreturn]] void unknown() const {
    throw usage_error("unknown argument " + detail::quoted(current()) + " (see --help)");
  }

 private:
  int argc_;
  char** argv_;
  int index_ = 0;
};

// Runs `body` and turns what escapes it into a message on stderr prefixed with `program`: a
// usage_error gives exit status 2, any other exception 1. Nothing escapes main() this way, so no
// mistake ends in std::terminate.
template <class Body>
int run_main(const char* program, Body&& body) noexcept {
  try {
    return body();
  } catch (const usage_error& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  } catch (...) {
    std::fprintf(stderr, "%s: unknown exception\n", program);
    return 1;
  }
}

}  // namespace kindling_cli
