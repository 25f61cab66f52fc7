// IDX, CSV and the DataLoader at their edges (issue 11): IDX sizes multiplied with overflow checks,
// gzip streams checked against the header, CSV labels that are not classes, CSV round trips, and
// a DataLoader that cannot be built over a temporary. Each case fails on the code before its fix.
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <type_traits>

#include "kindling/nn/data.hpp"
#include "kindling/nn/readers.hpp"
#include "nn_support.hpp"

using namespace kindling;
using namespace kindling::nn;
using nn_test::output_path;

namespace {

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::uint8_t> gzip_bytes(const std::vector<std::uint8_t>& plain) {
  // deflateInit2 with windowBits 15 + 16 writes the gzip wrapper.
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<std::uint8_t> out(deflateBound(&z, plain.size()) + 32);
  z.next_in = const_cast<Bytef*>(plain.data());
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("IDX sizes are multiplied with overflow checks", "[nn][data][edges]") {
  // 16 bytes: 2^31 x 4 x 2^31 wraps to 0 in 64 bits.
  const std::vector<std::uint8_t> wrap = {0, 0, 8, 3, 0x80, 0, 0, 0, 0, 0, 0, 4, 0x80, 0, 0, 0};
  CHECK_THROWS_WITH(parse_idx(wrap, "wrap"),
                    Catch::Contains("more than 2^63") && Catch::Contains("offset 12"));
  const std::string path = output_path("edges_wrap.idx");
  write_bytes(path, wrap);
  CHECK_THROWS_AS(read_idx(path), error);
  CHECK_THROWS_WITH(parse_idx(gzip_bytes(wrap), "wrap.gz"), Catch::Contains("more than 2^63"));
}

TEST_CASE("IDX data is checked against the header, plain and gzip", "[nn][data][edges]") {
  const std::vector<std::uint8_t> good = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6};
  const IdxArray plain = parse_idx(good, "plain");
  const IdxArray packed = parse_idx(gzip_bytes(good), "packed");  // gzip in memory
  CHECK(plain.shape == std::vector<std::int64_t>{2, 3});
  CHECK(packed.shape == plain.shape);
  CHECK(packed.data == plain.data);
  CHECK(serialize_idx(plain) == good);
  // Data past the announced size.
  auto longer = good;
  longer.push_back(7);
  CHECK_THROWS_WITH(parse_idx(longer, "f"), Catch::Contains("but there are 7"));
  CHECK_THROWS_WITH(parse_idx(gzip_bytes(longer), "f"),
                    Catch::Contains("but there are more (from offset 18)"));
  // Data that ends early in a gzip stream.
  auto shorter = good;
  shorter.pop_back();
  CHECK_THROWS_WITH(parse_idx(gzip_bytes(shorter), "f"), Catch::Contains("but there are 5"));
  // Concatenated gzip members read as one stream, as gunzip reads them.
  auto first = gzip_bytes({good.begin(), good.begin() + 14});
  const auto second = gzip_bytes({good.begin() + 14, good.end()});
  first.insert(first.end(), second.begin(), second.end());
  CHECK(parse_idx(first, "members").data == plain.data);
  // A header announcing more than a gzip of this size can inflate to is rejected before the data.
  const std::vector<std::uint8_t> huge = {0, 0, 8, 2, 0, 16, 0, 0, 0, 16, 0, 0, 1, 2, 3};
  CHECK_THROWS_WITH(parse_idx(gzip_bytes(huge), "huge.gz"), Catch::Contains("can hold"));
  // Trailing bytes after the gzip member that are not another member.
  auto trailing = gzip_bytes(good);
  trailing.push_back(0x42);
  CHECK_THROWS_WITH(parse_idx(trailing, "trailing.gz"), Catch::Contains("corrupt gzip data"));
  CHECK_THROWS_WITH(serialize_idx({{2, 2}, {1, 2, 3}}), Catch::Contains("holds 4 bytes"));
}

// ---- CSV ---------------------------------------------------------------------------------------

TEST_CASE("CSV labels that are not classes name the file, line and column", "[nn][data][edges]") {
  const std::string path = output_path("edges_labels.csv");
  for (const char* label : {"nan", "inf", "-inf", "1e300", "2.5", "-1", "9.3e18"}) {
    INFO(label);
    std::ofstream(path) << "x,label\n0.5,1\n\n0.25," << label << "\n";
    const CsvTable table = read_csv(path);
    CHECK_THROWS_AS(csv_dataset(table, 1), error);
    CHECK_THROWS_WITH(csv_dataset(table, 1), Catch::Contains(path) &&
                                                 Catch::Contains("line 4, column 2") &&
                                                 Catch::Contains("is not a class"));
  }
  std::ofstream(path) << "x,label\n1e300,1\n";
  CHECK_THROWS_WITH(csv_dataset(read_csv(path), 1),
                    Catch::Contains("line 2, column 1") && Catch::Contains("float32"));
  std::ofstream(path) << "x,label\n1e400,1\n";
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains("line 2, column 1") &&
                                        Catch::Contains("beyond the range of a double"));
  // A NUL inside a field used to end the number silently.
  std::ofstream(path, std::ios::binary) << std::string(
      "x,label\n1\0"
      "5,1\n",
      14);
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains("line 2, column 1") &&
                                        Catch::Contains(R"("1\x005" is not a number)"));
  CHECK_THROWS_WITH(read_csv(path, true, '.'), Catch::Contains("cannot separate numbers"));
  // A hand-made table without a source says row and column.
  CsvTable table;
  table.rows = 1, table.cols = 2, table.values = {1.0, -3.0};
  CHECK_THROWS_WITH(csv_dataset(table, 1), Catch::Contains("row 1, column 2"));
}

TEST_CASE("CSV text round-trips through format_csv", "[nn][data][edges]") {
  const std::string text = "a;b\r;c\n1;-0;1e-310\n\n0.1;inf;-2.5e300\r\n";
  const CsvTable table = parse_csv(text, "text", true, ';');
  CHECK(table.header == std::vector<std::string>{"a", "b\r", "c"});
  CHECK(table.line_numbers == std::vector<std::int64_t>{2, 4});
  const CsvTable back = parse_csv(format_csv(table, ';'), "again", true, ';');
  CHECK(back.header == table.header);
  CHECK(back.rows == 2);
  REQUIRE(back.values.size() == table.values.size());
  for (std::size_t i = 0; i < back.values.size(); ++i)
    CHECK(std::memcmp(&back.values[i], &table.values[i], sizeof(double)) == 0);
}

// ---- DataLoader --------------------------------------------------------------------------------

// A loader keeps a reference to its data set: from a temporary it would dangle, so it does not
// compile.
static_assert(!std::is_constructible_v<DataLoader, TensorDataset, LoaderOptions>);
static_assert(!std::is_constructible_v<DataLoader, const TensorDataset, LoaderOptions>);
static_assert(std::is_constructible_v<DataLoader, TensorDataset&, LoaderOptions>);
static_assert(std::is_constructible_v<DataLoader, const TensorDataset&, LoaderOptions>);

TEST_CASE("a DataLoader over a named data set still works", "[nn][data][edges]") {
  const TensorDataset data = moons_dataset(10, 0.1, 1);
  DataLoader loader(data, {.batch_size = 4});
  std::size_t seen = 0;
  for (const Batch& b : loader)
    seen += static_cast<std::size_t>(b.targets.numel());
  CHECK(seen == 10);
}
