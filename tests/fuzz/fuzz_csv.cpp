// STAND-IN (infra branch), to be replaced by the io branch's target: reads arbitrary bytes as a
// CSV file with a header; what reads must print back (%.17g) and read to the same table.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "kindling/engine/error.hpp"
#include "kindling/nn/readers.hpp"
#include "standin_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kindling;
  nn::CsvTable table;
  try {
    const fuzz::TempFile file(data, size, ".csv");
    table = nn::read_csv(file.path());
  } catch (const error&) {
    return 0;
  }
  // A header name with a carriage return (the reader strips only a line's last one) or a comma
  // cannot be printed back by this simple printer.
  for (const std::string& name : table.header)
    if (name.find_first_of("\r\n,") != std::string::npos) return 0;
  std::string text;
  for (std::size_t c = 0; c < table.header.size(); ++c)
    text += (c ? "," : "") + table.header[c];
  text += "\n";
  char number[64];
  for (std::int64_t r = 0; r < table.rows; ++r) {
    for (std::int64_t c = 0; c < table.cols; ++c) {
      std::snprintf(number, sizeof number, "%s%.17g", c ? "," : "",
                    table.values[static_cast<std::size_t>(r * table.cols + c)]);
      text += number;
    }
    text += "\n";
  }
  nn::CsvTable again;
  try {
    const fuzz::TempFile file(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
                              ".csv");
    again = nn::read_csv(file.path());
  } catch (const error&) {
    return 0;  // headers with commas or quotes do not survive this simple printer
  }
  if (again.rows != table.rows || again.cols != table.cols) __builtin_trap();
  for (std::size_t i = 0; i < table.values.size(); ++i) {
    const double a = table.values[i], b = again.values[i];
    if (!(a == b || (std::isnan(a) && std::isnan(b)))) __builtin_trap();
  }
  return 0;
}
