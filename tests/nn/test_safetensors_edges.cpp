// safetensors at its edges (issue 11, "Safe at the edges"): hostile headers (deep nesting,
// numbers beyond double, names that are not UTF-8, long keys), empty and converted tensors on both
// load paths, 40,000 entries, directories given to every reader, and saves that fail. Each case
// fails on the code before its fix.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kindling/nn/safetensors.hpp"
#include "nn_support.hpp"

using namespace kindling;
using namespace kindling::nn;
using nn_test::output_path;

namespace {

// A safetensors file: the 8-byte length, `header`, then `data` bytes.
std::vector<std::uint8_t> safetensors_bytes(const std::string& header,
                                            const std::string& data = {}) {
  std::string out(8, '\0');
  for (std::size_t i = 0; i < 8; ++i)  // little-endian length
    out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  out += header;
  out += data;
  return {out.begin(), out.end()};
}

std::string repeat(const std::string& s, std::size_t times) {
  std::string out;
  out.reserve(s.size() * times);
  for (std::size_t i = 0; i < times; ++i)
    out += s;
  return out;
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> temporaries_beside(const std::string& path) {
  std::vector<std::string> found;
  const auto folder = std::filesystem::path(path).parent_path();
  const std::string stem = std::filesystem::path(path).filename().string() + ".tmp";
  for (const auto& entry : std::filesystem::directory_iterator(folder))
    if (entry.path().filename().string().rfind(stem, 0) == 0) found.push_back(entry.path());
  return found;
}

// Raises RLIMIT_FSIZE back (and the SIGXFSZ handler) however the test leaves.
struct FileSizeLimit {
  rlimit saved{};
  struct sigaction saved_action {};
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ignore, &saved_action);  // write() then fails with EFBIG
    rlimit limited = saved;
    limited.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved);
    sigaction(SIGXFSZ, &saved_action, nullptr);
  }
};

}  // namespace

// ---- safetensors: hostile headers --------------------------------------------------------------

TEST_CASE("a header nested 100,000 deep is rejected without recursion",
          "[nn][safetensors][edges]") {
  const std::size_t depth = 100'000;
  // In a shape (the path that dumped the value into the message), at the top and in metadata.
  const std::string in_shape = R"({"a":{"dtype":"F32","shape":)" + repeat("[", depth) +
                               repeat("]", depth) + R"(,"data_offsets":[0,0]}})";
  const std::string at_top = R"({"a":)" + repeat("[", depth) + repeat("]", depth) + "}";
  const std::string in_metadata =
      R"({"__metadata__":{"k":)" + repeat(R"({"x":)", depth) + "1" + repeat("}", depth) + "}}";
  for (const std::string* header : {&in_shape, &at_top, &in_metadata}) {
    const auto bytes = safetensors_bytes(*header);
    try {
      parse_safetensors(bytes, "deep.safetensors");
      FAIL("a deep header loaded");
    } catch (const error& e) {
      const std::string message = e.what();
      CHECK(message.find("deep.safetensors") != std::string::npos);
      CHECK(message.find("offset") != std::string::npos);
      CHECK(message.size() < 400);  // no dump of the nested value
    }
  }
}

TEST_CASE("numbers beyond double and non-UTF-8 names are kindling errors",
          "[nn][safetensors][edges]") {
  // nlohmann reports 1e400 as out_of_range, which used to escape.
  for (const char* header : {R"({"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}})",
                             R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e400]}})",
                             R"({"__metadata__":{"k":-1e400}})"}) {
    INFO(header);
    const auto bytes = safetensors_bytes(header, "abcd");
    CHECK_THROWS_AS(parse_safetensors(bytes, "big.safetensors"), error);
    CHECK_THROWS_WITH(parse_safetensors(bytes, "big.safetensors"),
                      Catch::Contains("big.safetensors") && Catch::Contains("offset"));
  }
  // A name that is not UTF-8: rejected when saving (it used to throw nlohmann's type_error)...
  StateDict bad;
  bad.insert("w\xff", tensor({1}));
  CHECK_THROWS_AS(serialize_safetensors(bad), error);
  CHECK_THROWS_WITH(save_safetensors(bad, output_path("edges_utf8.safetensors")),
                    Catch::Contains("not valid UTF-8") && Catch::Contains("save_safetensors"));
  CHECK_THROWS_WITH(serialize_safetensors(StateDict{}, {{"k", "\xc3"}}),
                    Catch::Contains("metadata value") && Catch::Contains("not valid UTF-8"));
  // ... and when loading, with its offset.
  CHECK_THROWS_WITH(
      parse_safetensors(safetensors_bytes("{\"\xed\xa0\x80\":{}}"), "name.safetensors"),
      Catch::Contains("not valid UTF-8 at offset 10"));
  // Escapes decode to UTF-8 names, and those round-trip.
  const StateDict escaped = parse_safetensors(
      safetensors_bytes(
          R"({"caf\u00e9 \ud83d\ude00":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})",
          std::string(4, '\0')),
      "escaped");
  REQUIRE(escaped.size() == 1);
  CHECK(escaped.entries()[0].first == "caf\xc3\xa9 \xf0\x9f\x98\x80");
  const std::string again = serialize_safetensors(escaped);
  CHECK(parse_safetensors({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()}, "x")
            .contains("caf\xc3\xa9 \xf0\x9f\x98\x80"));
}

TEST_CASE("messages quote untrusted names briefly", "[nn][safetensors][edges]") {
  const std::string key(1 << 20, 'k');
  const std::string entry =
      "\"" + key + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
  try {
    parse_safetensors(safetensors_bytes("{" + entry + "," + entry + "}"), "dup.safetensors");
    FAIL("a duplicate key loaded");
  } catch (const error& e) {
    const std::string message = e.what();
    CHECK(message.find("duplicate key \"kkkk") != std::string::npos);
    CHECK(message.size() < 300);
  }
  // Control characters are escaped.
  CHECK_THROWS_WITH(
      parse_safetensors(
          safetensors_bytes(R"({"a\nb":{"dtype":"X","shape":[],"data_offsets":[0,0]}})"), "ctl"),
      Catch::Contains(R"(entry "a\nb": unknown dtype "X")"));
}

TEST_CASE("shapes whose strides overflow and U64 beyond int64 are errors",
          "[nn][safetensors][edges]") {
  // Empty (a zero size) but its strides would be 2^62 * 2^62.
  CHECK_THROWS_WITH(
      parse_safetensors(
          safetensors_bytes(
              R"({"a":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],"data_offsets":[0,0]}})"),
          "strides"),
      Catch::Contains("more than 2^63"));
  CHECK_THROWS_WITH(
      parse_safetensors(
          safetensors_bytes(
              R"({"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,0]}})"),
          "dim"),
      Catch::Contains("larger than 2^63 - 1"));
  std::string big(8, '\xff');
  CHECK_THROWS_WITH(
      parse_safetensors(
          safetensors_bytes(R"({"u":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}})", big),
          "u64"),
      Catch::Contains("does not fit int64"));
}

TEST_CASE("empty tensors and empty files round-trip through memory and files",
          "[nn][safetensors][edges]") {
  StateDict state;
  state.insert("f", zeros({0}));
  state.insert("d", zeros({3, 0}, DType::float64));
  state.insert("i", zeros({0, 0, 2}, DType::int64));
  const std::string path = output_path("edges_empty.safetensors");
  save_safetensors(state, path);
  const std::string bytes = serialize_safetensors(state);
  for (const StateDict& back :
       {load_safetensors(path),
        parse_safetensors({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                          "m")}) {
    REQUIRE(back.size() == 3);
    CHECK(back.at("d").shape() == Shape{3, 0});
    CHECK(back.at("d").dtype() == DType::float64);
    CHECK(back.at("i").shape() == Shape{0, 0, 2});
  }
  save_safetensors(StateDict{}, path);
  CHECK(load_safetensors(path).empty());
}

TEST_CASE("files and memory load converted dtypes alike, past one read piece",
          "[nn][safetensors][edges]") {
  // 70,000 elements per tensor: more than one 64 KiB piece of the file reader.
  const std::size_t n = 70'000;
  std::string data;
  std::vector<double> bools, halves, i16s;
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = static_cast<std::uint8_t>(i % 3 == 0 ? 0 : i % 251);
    data.push_back(static_cast<char>(b));
    bools.push_back(b != 0 ? 1.0 : 0.0);
  }
  for (std::size_t i = 0; i < n; ++i) {
    // F16: the exponent field cycles through normal values, 1.0 * 2^(e - 15).
    const std::uint16_t e = static_cast<std::uint16_t>(1 + i % 30);
    const std::uint16_t h = static_cast<std::uint16_t>((i % 2 ? 0x8000 : 0) | e << 10);
    data.append(reinterpret_cast<const char*>(&h), 2);
    halves.push_back((i % 2 ? -1.0 : 1.0) * std::ldexp(1.0, e - 15));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<std::int16_t>(static_cast<int>(i * 37) - 30000);
    data.append(reinterpret_cast<const char*>(&v), 2);
    i16s.push_back(v);
  }
  const std::string header =
      R"({"b":{"dtype":"BOOL","shape":[70000],"data_offsets":[0,70000]},)"
      R"("h":{"dtype":"F16","shape":[70000],"data_offsets":[70000,210000]},)"
      R"("s":{"dtype":"I16","shape":[70000],"data_offsets":[210000,350000]}})";
  const auto bytes = safetensors_bytes(header, data);
  const std::string path = output_path("edges_convert.safetensors");
  write_bytes(path, bytes);
  for (const StateDict& d : {load_safetensors(path), parse_safetensors(bytes, "memory")}) {
    CHECK(d.at("b").dtype() == DType::bool_);
    CHECK(d.at("b").to_vector<double>() == bools);
    CHECK(d.at("h").dtype() == DType::float32);
    CHECK(d.at("h").to_vector<double>() == halves);
    CHECK(d.at("s").to_vector<double>() == i16s);
  }
}

TEST_CASE("40,000 entries load in linear time, in the file's order", "[nn][safetensors][edges]") {
  StateDict state;
  for (int i = 0; i < 40'000; ++i) {
    std::string name = "t";
    state.insert(name.append(std::to_string(i)), zeros({0}));
  }
  const std::string bytes = serialize_safetensors(state);
  const StateDict back = parse_safetensors(
      {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, "many");
  REQUIRE(back.size() == 40'000);
  // Empty tensors share offset 0: the header's order is kept.
  CHECK(back.entries()[0].first == "t0");
  CHECK(back.entries()[39'999].first == "t39999");
  CHECK(back.contains("t12345"));
  CHECK_THROWS_WITH(StateDict(back).insert("t7", zeros({1})),
                    Catch::Contains("duplicate entry 't7'"));
}

// ---- exception types that must not escape ------------------------------------------------------

TEST_CASE("a directory or a missing file is a kindling error", "[nn][safetensors][edges]") {
  const std::string dir = KINDLING_TEST_OUTPUT_DIR;
  // It used to throw std::ios_base::failure.
  CHECK_THROWS_AS(load_safetensors(dir), error);
  CHECK_THROWS_WITH(load_safetensors(dir), Catch::Contains(dir) && Catch::Contains("directory"));
  CHECK_THROWS_WITH(load_safetensors(output_path("edges_missing.safetensors")),
                    Catch::Contains("No such file or directory"));
}

// ---- saves -------------------------------------------------------------------------------------

TEST_CASE("a failed save names errno's text, keeps the old file and removes the temporary",
          "[nn][safetensors][edges]") {
  const std::string path = output_path("edges_save.safetensors");
  StateDict old;
  old.insert("v", tensor({1, 2}));
  save_safetensors(old, path);
  StateDict large;
  large.insert("w", zeros({1 << 18}));  // 1 MiB

  SECTION("a write error (the file-size limit: EFBIG, as a full disk gives ENOSPC)") {
    {
      const FileSizeLimit limit(4096);
      CHECK_THROWS_WITH(save_safetensors(large, path), Catch::Contains(std::strerror(EFBIG)) &&
                                                           Catch::Contains(path) &&
                                                           Catch::Contains("save_safetensors") &&
                                                           Catch::Contains("left as it was"));
    }
    CHECK(load_safetensors(path).at("v").to_vector<double>() == std::vector<double>{1, 2});
    CHECK(temporaries_beside(path).empty());
  }
  SECTION("a folder that does not exist") {
    const std::string missing = output_path("edges_no_such_dir/x.safetensors");
    CHECK_THROWS_WITH(save_safetensors(old, missing),
                      Catch::Contains(std::strerror(ENOENT)) && Catch::Contains(missing));
    CHECK_FALSE(std::filesystem::exists(output_path("edges_no_such_dir")));
  }
  SECTION("a target that is a folder") {
    const std::string folder = output_path("edges_target_dir");
    std::filesystem::create_directories(folder + "/inside");
    CHECK_THROWS_WITH(save_safetensors(old, folder),
                      Catch::Contains("cannot rename") && Catch::Contains(std::strerror(EISDIR)));
    CHECK(temporaries_beside(folder).empty());
    CHECK(std::filesystem::exists(folder + "/inside"));
  }
  SECTION("a read-only folder") {
    if (::geteuid() == 0) {
      WARN("running as root, which writes into read-only folders; skipped");
      return;
    }
    const std::string folder = output_path("edges_read_only");
    std::filesystem::create_directories(folder);
    std::filesystem::permissions(
        folder, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    CHECK_THROWS_WITH(save_safetensors(old, folder + "/x.safetensors"),
                      Catch::Contains(std::strerror(EACCES)));
    std::filesystem::permissions(folder, std::filesystem::perms::owner_all);
  }
}
