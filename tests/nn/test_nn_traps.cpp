// The traps of issue 13, each pinned: AdamW's designated-initializer defaults, one seed giving one
// model in C++ and Python (the recorded numbers are shared with tests/python/test_nn_api.py),
// Linear refusing an input of another dtype, Linear's x W^T graph, and read_csv on gzip files.
#include <zlib.h>

#include <bit>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "kindling/explain/tensor_dot.hpp"
#include "kindling/nn.hpp"
#include "kindling/tensor.hpp"

namespace {

using namespace kindling;      // NOLINT(google-build-using-namespace)
using namespace kindling::nn;  // NOLINT(google-build-using-namespace)

// One step of AdamW on p = (1, -2) with grad (0.5, 0.5): the first step moves each element by lr
// (m_hat / sqrt(v_hat) = sign(g), up to eps) after decaying it by (1 - lr * wd).
std::vector<double> one_adamw_step(AdamW& opt, const Tensor& p) {
  p.zero_grad();
  sum(p * 0.5).backward();
  opt.step();
  return (p).to_vector<double>();
}

Tensor fresh_param() {
  Tensor p = from_vector<double>({1.0, -2.0}, {2}, DType::float64);
  p.set_requires_grad(true);
  return p;
}

}  // namespace

TEST_CASE("AdamW's designated initializers keep weight decay 0.01", "[nn][traps][optim]") {
  const Tensor p = fresh_param();
  AdamW designated({p}, {.lr = 0.1});  // the form the header shows
  CHECK(designated.options.weight_decay == 0.01);
  CHECK(designated.options.beta1 == 0.9);
  CHECK(designated.options.beta2 == 0.999);
  CHECK(designated.options.eps == 1e-8);
  CHECK(AdamW({fresh_param()}).options.weight_decay == 0.01);
  CHECK(AdamW({fresh_param()}, {.lr = 0.1, .weight_decay = 0.0}).options.weight_decay == 0.0);
  // An AdamOptions value is taken as it is (Adam's default decay, 0).
  CHECK(AdamW({fresh_param()}, AdamOptions{}).options.weight_decay == 0.0);
  CHECK(AdamW({fresh_param()}, AdamW::with_default_decay()).options.weight_decay == 0.01);
  // The decay is applied: 1 * (1 - 0.1 * 0.01) - 0.1 = 0.899, -2 * 0.999 - 0.1 = -2.098 (eps
  // moves the step by 2e-8 relative).
  const std::vector<double> stepped = one_adamw_step(designated, p);
  CHECK(stepped[0] == Approx(0.899).epsilon(1e-8));
  CHECK(stepped[1] == Approx(-2.098).epsilon(1e-8));
}

// Note [one seed, one model]
// mlp<ReLU>({3, 4, 2}, Generator(1)) draws layer 0's weight and bias, then layer 1's, from one
// generator; Python's nn.mlp([3, 4, 2], seed=1) does the same, so both give these float32 bits
// (recorded from C++; tests/python/test_nn_api.py checks the same numbers).
TEST_CASE("mlp with one seed gives the recorded model (the same as Python's)",
          "[nn][traps][seed]") {
  auto model = mlp<ReLU>({3, 4, 2}, Generator(1));
  const std::vector<std::uint32_t> expected_first = {0x3e6fefff, 0x3cc150f6, 0x3daf3f44,
                                                     0xbe007e98};
  const std::vector<std::uint32_t> expected_second = {0xbed6ce7a, 0xbc0d8f0e, 0xbee88a42,
                                                      0xbedf58f7};
  auto bits = [](const Tensor& t, std::size_t n) {
    const std::vector<float> values = (t.reshape({-1})).to_vector<float>();
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < n && i < values.size(); ++i)
      out.push_back(std::bit_cast<std::uint32_t>(values[i]));
    return out;
  };
  const auto& first = static_cast<Linear&>((*model)[0]);
  const auto& second = static_cast<Linear&>((*model)[2]);
  CHECK(bits(first.weight, 4) == expected_first);
  CHECK(bits(second.weight, 4) == expected_second);
  // The second layer continues the first one's generator: it differs from a fresh Generator(1).
  Generator fresh(1);
  const Linear alone(4, 2, fresh);
  CHECK(bits(alone.weight, 4) != expected_second);
}

TEST_CASE("Linear refuses an input whose dtype differs from its weight", "[nn][traps][dtype]") {
  Generator g(3);
  Linear layer(2, 3, g);
  const Tensor int_input = from_vector<std::int64_t>({1, 2}, {1, 2});
  const Tensor double_input = from_vector<double>({1.0, 2.0}, {1, 2}, DType::float64);
  for (const Tensor& x : {int_input, double_input, double_input.reshape({2})}) {
    INFO(dtype_name(x.dtype()) << " " << shape_string(x.shape()));
    CHECK_THROWS_AS(layer(x), error);
    CHECK_THROWS_WITH(layer(x),
                      Catch::Contains("Linear(in=2, out=3)") &&
                          Catch::Contains("input dtype " + std::string(dtype_name(x.dtype()))) &&
                          Catch::Contains("weight dtype float32"));
  }
  CHECK(layer(cast(double_input, DType::float32)).dtype() == DType::float32);
}

// y = x W^T: the graph holds the (B, in) input as given and a (B, out) output straight from the
// matmul, with no (in, B) or (out, B) node (it drew (64, 4) for a (4, 64) input before).
TEST_CASE("Linear computes x W^T, so its graph shows the input as passed", "[nn][traps][graph]") {
  Generator g(5);
  Linear layer(64, 3, g);
  Tensor x = rand({4, 64}, g);
  x.set_requires_grad(true);
  const Tensor y = layer(x);
  const std::string dot = kindling::to_dot(sum(y));
  CHECK(dot.find("(4,64)") != std::string::npos);
  CHECK(dot.find("(64,4)") == std::string::npos);
  CHECK(dot.find("(3,4)") == std::string::npos);
  // Against a hand-written x W^T + b in float64.
  const Tensor expected =
      matmul(cast(x, DType::float64), transpose(cast(layer.weight, DType::float64), 0, 1)) +
      cast(layer.bias, DType::float64);
  const std::vector<double> e = (expected).to_vector<double>();
  const std::vector<double> a = (cast(y, DType::float64)).to_vector<double>();
  REQUIRE(a.size() == e.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    CHECK(a[i] == Approx(e[i]).epsilon(1e-5).margin(1e-6));
}

// Note [transposed operand gradient] (tensor/src/ops_matmul.cpp): W's gradient through x W^T is
// computed as g^T x, the product the old (W x^T)^T form made, so its bits did not change; and it
// arrives contiguous, with no strided copy.
TEST_CASE("Linear's weight gradient through x W^T has the bits of g^T x", "[nn][traps][graph]") {
  Generator g(9);
  for (const auto& [batch, in, out] : {std::tuple{4, 64, 3}, {64, 784, 256}, {3, 30, 100}}) {
    Linear layer(in, out, g);
    const Tensor x = rand({batch, in}, g);
    const Tensor weights = rand({batch, out}, g);
    sum(layer(x) * weights).backward();
    const Tensor direct = matmul(transpose(weights, 0, 1), x);  // (out, B) x (B, in)
    CHECK(layer.weight.grad().is_contiguous());
    CHECK(layer.weight.grad().to_vector<float>() == direct.to_vector<float>());
  }
}

namespace {
std::string gzip_text(const std::string& plain) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(compressBound(static_cast<uLong>(plain.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
}  // namespace

TEST_CASE("read_csv reads gzip files, parse_csv says gzip bytes look gzip-compressed",
          "[nn][traps][data]") {
  const std::string text = "0,1,2\n3.5,4,1\n-1,2e3,0\n";  // sklearn's digits.csv.gz has no header
  const std::string path = "nn_traps_digits.csv.gz";
  {
    std::ofstream out(path, std::ios::binary);
    out << gzip_text(text);
  }
  const CsvTable table = read_csv(path, false);
  CHECK(table.rows == 3);
  CHECK(table.cols == 3);
  CHECK(table.values == std::vector<double>{0, 1, 2, 3.5, 4, 1, -1, 2000, 0});
  CHECK(table.line_numbers == std::vector<std::int64_t>{1, 2, 3});
  const TensorDataset data = csv_dataset(table, 2);
  CHECK((data.targets()).to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 1, 0});
  const std::string packed = gzip_text(text);
  CHECK_THROWS_WITH(
      parse_csv(packed, "digits.csv.gz", false),
      Catch::Contains("CSV file 'digits.csv.gz'") && Catch::Contains("this looks gzip-compressed"));
  // A label of 2.7 in a gzip file: an error naming the file, the line and the column.
  {
    std::ofstream out(path, std::ios::binary);
    out << gzip_text("1,0\n2,2.7\n");
  }
  CHECK_THROWS_WITH(csv_dataset(read_csv(path, false), 1),
                    Catch::Contains(path) && Catch::Contains("line 2, column 2") &&
                        Catch::Contains("2.7") && Catch::Contains("is not a class"));
  std::remove(path.c_str());
}

namespace {

// The bits of a buffer's elements, so "unchanged" means bitwise (a NaN compares unequal to
// itself, and -0 equal to 0).
template <class T>
std::vector<std::uint64_t> bits_of(const Tensor& t) {
  std::vector<std::uint64_t> out;
  for (T v : t.to_vector<T>()) {
    if constexpr (sizeof(T) == 4)
      out.push_back(std::bit_cast<std::uint32_t>(v));
    else
      out.push_back(std::bit_cast<std::uint64_t>(v));
  }
  return out;
}

}  // namespace

TEST_CASE("a BatchNorm call that throws leaves its buffers as they were", "[nn][traps][layers]") {
  // torch 1.13's BatchNorm1d counts the batch before F.batch_norm checks the input (a (1, 3) input
  // in training throws with num_batches_tracked already 1); kindling checks first.
  Generator g(3);
  BatchNorm1d norm(3);
  (void)norm(randn({4, 3}, g));  // running statistics away from their 0 and 1
  const auto mean_before = bits_of<float>(norm.running_mean);
  const auto var_before = bits_of<float>(norm.running_var);
  const auto count_before = norm.num_batches_tracked.to_vector<std::int64_t>()[0];
  const auto mean_version = norm.running_mean.version();
  const auto var_version = norm.running_var.version();
  const auto count_version = norm.num_batches_tracked.version();
  REQUIRE(count_before == 1);
  const std::vector<Tensor> bad = {
      randn({1, 3}, g),                     // one value per channel in training
      randn({1, 3, 1}, g),                  // the same, with a length
      randn({4, 3}, g).to(DType::float64),  // another dtype than the module's
      randn({4, 5}, g),                     // another number of channels
      randn({3}, g),                        // no batch dimension
  };
  for (const Tensor& x : bad) {
    INFO("input " << shape_string(x.shape()) << " " << dtype_name(x.dtype()));
    CHECK_THROWS_AS(norm(x), kindling::error);
    CHECK(norm.num_batches_tracked.to_vector<std::int64_t>()[0] == count_before);
    CHECK(bits_of<float>(norm.running_mean) == mean_before);
    CHECK(bits_of<float>(norm.running_var) == var_before);
    CHECK(norm.running_mean.version() == mean_version);
    CHECK(norm.running_var.version() == var_version);
    CHECK(norm.num_batches_tracked.version() == count_version);
  }
  // BatchNorm2d shares the path.
  BatchNorm2d norm2(2);
  CHECK_THROWS_AS(norm2(randn({1, 2, 1, 1}, g)), kindling::error);
  CHECK(norm2.num_batches_tracked.to_vector<std::int64_t>()[0] == 0);
  CHECK(norm2.running_mean.to_vector<float>() == std::vector<float>{0, 0});
  CHECK(norm2.running_var.to_vector<float>() == std::vector<float>{1, 1});
  // A good call still counts.
  (void)norm(randn({4, 3}, g));
  CHECK(norm.num_batches_tracked.to_vector<std::int64_t>()[0] == count_before + 1);
}
