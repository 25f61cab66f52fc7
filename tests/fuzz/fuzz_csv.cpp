// libFuzzer target for the CSV reader. The first byte chooses the options (bit 0: a header row;
// bits 1-2: the delimiter , ; tab |), the rest is the text. Properties:
//   - bad text gives kindling::error and nothing else;
//   - read_csv on a file and parse_csv on the same text agree (unless it starts with gzip's magic
//     bytes, which parse_csv refuses and read_csv inflates);
//   - format_csv writes what parse_csv reads back to the same header, shape and values (bitwise;
//     NaNs by sign), and formatting that again gives the same text;
//   - csv_dataset on the last column either builds a data set or gives kindling::error.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "fuzz_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/readers.hpp"

using kindling::nn::CsvTable;

namespace {

template <class Parse>
std::optional<CsvTable> attempt(Parse&& parse) {
  try {
    return parse();
  } catch (const kindling::error&) {
    return std::nullopt;
  }
}

bool same_value(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) && std::signbit(a) == std::signbit(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same(const CsvTable& a, const CsvTable& b) {
  if (a.header != b.header || a.rows != b.rows || a.cols != b.cols ||
      a.values.size() != b.values.size())
    return false;
  for (std::size_t i = 0; i < a.values.size(); ++i)
    if (!same_value(a.values[i], b.values[i])) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool header = data[0] & 1;
  const char delimiter = ",;\t|"[(data[0] >> 1) & 3];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto parsed =
      attempt([&] { return kindling::nn::parse_csv(text, "fuzz.csv", header, delimiter); });
  const std::string& path = fuzz::write_scratch(
      "fuzz_csv", reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  const auto read = attempt([&] { return kindling::nn::read_csv(path, header, delimiter); });
  // Text with gzip's magic bytes: parse_csv refuses it (it looks gzip-compressed) while read_csv
  // inflates the file, so the two agree only on text that is not gzip.
  if (text.size() >= 2 && text[0] == '\x1f' && text[1] == '\x8b') {
    fuzz::require(!parsed.has_value(), "parse_csv refuses gzip bytes");
    return 0;
  }
  fuzz::require(parsed.has_value() == read.has_value(),
                "read_csv and parse_csv accept the same text");
  if (!parsed) return 0;
  fuzz::require(same(*parsed, *read), "read_csv and parse_csv read the same table");

  std::string formatted;
  try {
    formatted = kindling::nn::format_csv(*parsed, delimiter);
  } catch (const kindling::error&) {
    fuzz::broken("what parses formats");
  }
  const auto again = attempt(
      [&] { return kindling::nn::parse_csv(formatted, "formatted.csv", header, delimiter); });
  fuzz::require(again && same(*again, *parsed), "a round trip keeps header, shape and values");
  fuzz::require(kindling::nn::format_csv(*again, delimiter) == formatted,
                "formatting is deterministic");

  if (parsed->cols > 0 && parsed->rows > 0) {
    try {
      const auto dataset = kindling::nn::csv_dataset(*parsed, parsed->cols - 1);
      fuzz::require(dataset.size() == static_cast<std::size_t>(parsed->rows),
                    "a CSV data set has a sample per row");
    } catch (const kindling::error&) {
    }
  }
  return 0;
}
