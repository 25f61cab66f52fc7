// safetensors: round trips, every rule of the strict reader with a malformed file, interop with
// files written from PyTorch, the atomic save, and checkpoints that resume exactly.
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kindling/nn/checkpoint.hpp"
#include "kindling/nn/data.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/safetensors.hpp"
#include "nn_support.hpp"

using namespace kindling;
using namespace kindling::nn;
using nn_test::output_path;

namespace {

std::vector<std::uint8_t> file_bytes(const std::string& header, std::size_t data_bytes,
                                     std::uint64_t declared = UINT64_MAX) {
  const std::uint64_t n = declared == UINT64_MAX ? header.size() : declared;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)  // little-endian length
    out[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out += header;
  for (std::size_t i = 0; i < data_bytes; ++i)
    out.push_back(static_cast<char>(i));
  return {out.begin(), out.end()};
}

void expect_error(const std::vector<std::uint8_t>& bytes, const std::string& fragment) {
  INFO("expecting: " << fragment);
  CHECK_THROWS_WITH(parse_safetensors(bytes, "bad.safetensors"),
                    Catch::Contains(fragment) && Catch::Contains("bad.safetensors"));
  CHECK_THROWS_AS(parse_safetensors(bytes, "bad.safetensors"), error);
}

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, dtypes, shapes, values and metadata",
          "[nn][safetensors]") {
  StateDict state;
  state.insert("w", tensor({1.5, -2, 3, 4.25, 5, 6}, {2, 3}));
  state.insert("d", tensor({0.1, 1e-300}, DType::float64));
  state.insert("i", from_vector(std::vector<std::int64_t>{-5, 1LL << 40}, {2}));
  state.insert("scalar", scalar_tensor(7.0));
  state.insert("empty", zeros({0, 4}));
  state.insert("view", tensor({1, 2, 3, 4}, {2, 2}).transpose(0, 1));  // non-contiguous
  const std::string path = output_path("nn_roundtrip.safetensors");
  save_safetensors(state, path, {{"note", "hi \"there\""}});
  Metadata meta;
  const StateDict back = load_safetensors(path, &meta);
  CHECK(meta["note"] == "hi \"there\"");
  REQUIRE(back.size() == state.size());
  for (const auto& [name, t] : state) {
    INFO(name);
    const Tensor& u = back.at(name);
    CHECK(u.dtype() == t.dtype());
    CHECK(u.shape() == t.shape());
    CHECK(u.to_vector<double>() == t.to_vector<double>());
  }
  const auto bytes = read_all(path);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);  // header padded so the data is aligned
}

TEST_CASE("the strict reader rejects every malformed file with an error", "[nn][safetensors]") {
  const std::string a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string b = R"("b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]})";
  // A good file to start from.
  CHECK(parse_safetensors(file_bytes("{" + a + "," + b + "}", 16), "good").size() == 2);

  expect_error({1, 2, 3}, "too short");
  expect_error(file_bytes("{}", 0, 100'000'001), "exceeds the limit");
  expect_error(file_bytes("{}", 0, 50), "runs past the end");
  expect_error(file_bytes("{\"a\xff\":{}}", 0), "not valid UTF-8 at offset 11");
  expect_error(file_bytes("{\"\xc0\xaf\":{}}", 0), "not valid UTF-8");  // overlong encoding
  expect_error(file_bytes("[" + a + "]", 8), "does not start a JSON object");
  expect_error(file_bytes("{" + a, 8), "not valid JSON");
  expect_error(file_bytes("{" + a + "," + a + "}", 8), "duplicate key \"a\"");
  expect_error(
      file_bytes(R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8),
      "duplicate key \"dtype\"");
  expect_error(file_bytes(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8),
               "unknown dtype \"F33\"");
  expect_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "exactly the fields");
  expect_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", 8),
               "exactly the fields");
  expect_error(file_bytes(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
               "non-negative");
  expect_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
               "non-negative");
  expect_error(file_bytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
               "needs 12 bytes");
  expect_error(
      file_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})",
                 8),
      "more than 2^63");
  expect_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
               "end before they begin");
  expect_error(file_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
               "(gap)");
  expect_error(
      file_bytes("{" + a + R"(,"b":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}})", 12),
      "(overlap)");
  expect_error(file_bytes("{" + a + "}", 9), "(trailing bytes)");
  expect_error(file_bytes("{" + a + "," + b + "}", 12), "(truncated)");
  expect_error(file_bytes(R"({"__metadata__":{"k":1}})", 0), "is not a string");
  expect_error(file_bytes(R"({"a":[1,2]})", 0), "exactly the fields");
  expect_error(file_bytes(R"({"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", 1),
               "kindling cannot load it");
}

TEST_CASE("random corruption of a good file never crashes the reader", "[nn][safetensors]") {
  StateDict state;
  state.insert("x", tensor({1, 2, 3}));
  state.insert("y", zeros({2, 2}, DType::int64));
  const std::string good = serialize_safetensors(state);
  Generator g(11);
  int rejected = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<std::uint8_t> bytes(good.begin(), good.end());
    const int flips = 1 + static_cast<int>(g.below(3));
    for (int f = 0; f < flips; ++f)
      bytes[g.below(bytes.size())] = static_cast<std::uint8_t>(g.below(256));
    if (g.below(4) == 0) bytes.resize(g.below(bytes.size()));
    try {
      parse_safetensors(bytes, "fuzz");
    } catch (const error&) {
      ++rejected;
    }
  }
  CHECK(rejected > 1000);  // most corruptions are caught; none crashes
}

TEST_CASE("a file written from PyTorch loads into a kindling MLP with the same outputs",
          "[nn][safetensors][interop]") {
  Generator g(0);
  auto model = mlp<ReLU>({4, 8, 3}, g);
  Metadata meta;
  model->load_state_dict(
      load_safetensors(std::string(KINDLING_TEST_DATA_DIR) + "/nn_mlp_torch.safetensors", &meta));
  CHECK(meta["writer"] == "tests/reference/nn_interop.py");
  const auto expected = nn_test::read_json("nn_mlp_torch.json");
  const Tensor x = nn_test::from_json(expected["x"], {5, 4}, DType::float32);
  nn_test::check_close((*model)(x), expected["y"], 1e-5, 1e-6);

  const StateDict d =
      load_safetensors(std::string(KINDLING_TEST_DATA_DIR) + "/nn_dtypes_torch.safetensors");
  const auto values = nn_test::read_json("nn_dtypes_torch.json");
  for (const auto& [name, t] : d) {
    INFO(name);
    CHECK(t.dtype() == (name == "f64"     ? DType::float64
                        : name == "flags" ? DType::bool_
                        : name[0] == 'f'  ? DType::float32
                        : name == "bf16"  ? DType::float32
                                          : DType::int64));
    nn_test::check_close(t.to_vector<double>(), values[name].get<std::vector<double>>(), 1e-7);
  }
  CHECK(d.at("i32").shape() == Shape{2, 2});
}

TEST_CASE("save writes a temporary file and renames it", "[nn][safetensors]") {
  const std::string path = output_path("nn_atomic.safetensors");
  StateDict first;
  first.insert("v", tensor({1, 2}));
  save_safetensors(first, path);
  // A save that fails (the data cannot be serialised: reserved name) leaves the old file alone.
  StateDict broken;
  broken.insert("__metadata__", tensor({3}));
  CHECK_THROWS_WITH(save_safetensors(broken, path), Catch::Contains("reserved"));
  CHECK(load_safetensors(path).at("v").to_vector<double>() == std::vector<double>{1, 2});
  // A folder that does not exist: an error naming the temporary file, nothing left behind.
  CHECK_THROWS_WITH(save_safetensors(first, output_path("no/such/dir/x.safetensors")),
                    Catch::Contains("cannot create"));
  // Only this test's own temporaries: other tests save into the same folder at the same time.
  for (const auto& entry : std::filesystem::directory_iterator(KINDLING_TEST_OUTPUT_DIR))
    CHECK(entry.path().filename().string().find("nn_atomic.safetensors.tmp") == std::string::npos);
}

namespace {
// Trains a small MLP on moons for `epochs` epochs from whatever state the objects hold.
struct Run {
  Generator init{21};
  TensorDataset data = moons_dataset(64, 0.1, 5);
  std::shared_ptr<Sequential> model = mlp<Tanh>({2, 8, 2}, init);
  AdamW opt{model->parameters()};
  CosineAnnealingLR sched{opt, 6};
  DataLoader loader{data, {.batch_size = 16, .shuffle = true, .seed = 9}};
  std::int64_t step = 0;

  void train(int epochs) {
    for (int e = 0; e < epochs; ++e) {
      for (const Batch& b : loader) {
        opt.zero_grad();
        nn::cross_entropy((*model)(b.inputs), b.targets).backward();
        opt.step();
        ++step;
      }
      sched.step();
    }
  }
  Checkpoint parts() { return {model.get(), &opt, &sched, &loader.generator(), step}; }
};
}  // namespace

TEST_CASE("a checkpoint resumes training to the same numbers", "[nn][checkpoint]") {
  Run straight;
  straight.train(5);

  Run first;
  first.train(2);
  const std::string path = output_path("nn_checkpoint.safetensors");
  save_checkpoint(path, first.parts());

  Run resumed;  // fresh objects: different generator state, zero optimizer state
  resumed.init.manual_seed(999);
  Checkpoint into = resumed.parts();
  load_checkpoint(path, into);
  resumed.step = into.step;
  CHECK(resumed.step == 8);
  CHECK(resumed.sched.last_epoch() == 2);
  resumed.train(3);

  CHECK(resumed.step == straight.step);
  CHECK(resumed.opt.lr() == straight.opt.lr());
  const auto a = straight.model->named_parameters(), b = resumed.model->named_parameters();
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(a[i].second.to_vector<double>() == b[i].second.to_vector<double>());
  }
  // A plain safetensors file is not a checkpoint.
  CHECK_THROWS_WITH(
      load_checkpoint(std::string(KINDLING_TEST_DATA_DIR) + "/nn_mlp_torch.safetensors", into),
      Catch::Contains("not a kindling checkpoint"));
}
