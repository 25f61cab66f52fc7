// DataLoader, the IDX / CSV / Fashion-MNIST readers, moons as a data set, and the metrics.
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>

#include "kindling/nn/data.hpp"
#include "kindling/nn/metrics.hpp"
#include "kindling/nn/readers.hpp"
#include "nn_support.hpp"

using namespace kindling;
using namespace kindling::nn;
using nn_test::output_path;

namespace {
TensorDataset counting(std::int64_t n) {
  std::vector<double> x(static_cast<std::size_t>(n));
  std::vector<std::int64_t> y(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    x[i] = static_cast<double>(i), y[i] = i;
  return TensorDataset(from_vector(x, {n, 1}), from_vector(y, {n}));
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
}
}  // namespace

TEST_CASE("DataLoader batches in order, drop_last and the last partial batch", "[nn][data]") {
  const TensorDataset data = counting(10);
  DataLoader loader(data, {.batch_size = 4});
  CHECK(loader.size() == 3);
  std::vector<std::vector<std::int64_t>> seen;
  for (const Batch& b : loader)
    seen.push_back(b.targets.to_vector<std::int64_t>());
  CHECK(seen == std::vector<std::vector<std::int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});
  DataLoader dropping(data, {.batch_size = 4, .drop_last = true});
  CHECK(dropping.size() == 2);
  std::size_t count = 0;
  for (const Batch& b : dropping) {
    CHECK(b.inputs.shape() == Shape{4, 1});
    ++count;
  }
  CHECK(count == 2);
}

TEST_CASE("shuffling is a permutation per epoch, reproducible from the seed", "[nn][data]") {
  const TensorDataset data = counting(50);
  auto epochs = [&](std::uint64_t seed) {
    DataLoader loader(data, {.batch_size = 8, .shuffle = true, .seed = seed});
    std::vector<std::vector<std::int64_t>> orders;
    for (int e = 0; e < 2; ++e) {
      std::vector<std::int64_t> order;
      for (const Batch& b : loader) {
        const auto t = b.targets.to_vector<std::int64_t>();
        const auto x = b.inputs.to_vector<double>();
        for (std::size_t i = 0; i < t.size(); ++i)
          CHECK(x[i] == static_cast<double>(t[i]));  // inputs and targets stay paired
        order.insert(order.end(), t.begin(), t.end());
      }
      orders.push_back(order);
    }
    return orders;
  };
  const auto a = epochs(7), b = epochs(7), c = epochs(8);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a[0] != a[1]);  // each epoch reshuffles
  auto sorted = a[0];
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 50; ++i)
    CHECK(sorted[i] == i);
}

TEST_CASE("IDX reader: plain and gzip, and corrupt files name the offset", "[nn][data]") {
  // 2 x 3 unsigned bytes.
  const std::vector<std::uint8_t> good = {0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6};
  const std::string plain = output_path("nn_plain.idx"), packed = output_path("nn_packed.idx.gz");
  write_file(plain, good, false);
  write_file(packed, good, true);
  for (const auto& path : {plain, packed}) {
    const IdxArray a = read_idx(path);
    CHECK(a.shape == std::vector<std::int64_t>{2, 3});
    CHECK(a.data == std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6});
  }
  auto bad = good;
  bad[2] = 0x0D;
  CHECK_THROWS_WITH(parse_idx(bad, "f"), Catch::Contains("offset 2"));
  bad = good;
  bad[0] = 1;
  CHECK_THROWS_WITH(parse_idx(bad, "f"), Catch::Contains("offset 0"));
  bad = good;
  bad.pop_back();
  CHECK_THROWS_WITH(parse_idx(bad, "f"), Catch::Contains("announces 6 bytes"));
  bad.resize(9);
  CHECK_THROWS_WITH(parse_idx(bad, "f"), Catch::Contains("truncated in the dimension list"));
  // A gzip stream cut in half.
  std::ifstream in(packed, std::ios::binary);
  std::vector<std::uint8_t> gz(std::istreambuf_iterator<char>(in), {});
  gz.resize(gz.size() / 2);
  const std::string cut = output_path("nn_cut.idx.gz");
  write_file(cut, gz, false);
  CHECK_THROWS_WITH(read_idx(cut), Catch::Contains("corrupt gzip data") && Catch::Contains(cut));
  CHECK_THROWS_WITH(read_idx(output_path("nn_no_such_file")), Catch::Contains("cannot open"));
}

TEST_CASE("Fashion-MNIST: a missing folder says what to install", "[nn][data]") {
  CHECK_THROWS_WITH(fashion_mnist(Split::test, output_path("nowhere")),
                    Catch::Contains("apt-get install dataset-fashion-mnist") &&
                        Catch::Contains("t10k-images-idx3-ubyte.gz"));
  CHECK(fashion_mnist_dir("/x") == "/x");
  ::setenv("KINDLING_FASHION_MNIST", "/from/env", 1);
  CHECK(fashion_mnist_dir() == "/from/env");
  ::unsetenv("KINDLING_FASHION_MNIST");
  CHECK(fashion_mnist_dir() == "/usr/share/datasets/fashion-mnist");
}

TEST_CASE("Fashion-MNIST test split loads when installed", "[nn][data][fashion]") {
  std::ifstream probe(fashion_mnist_dir() + "/t10k-labels-idx1-ubyte.gz");
  if (!probe.good()) {
    WARN("dataset-fashion-mnist is not installed; skipping");
    return;
  }
  const TensorDataset test = fashion_mnist(Split::test);
  CHECK(test.size() == 10000);
  CHECK(test.inputs().shape() == Shape{10000, 784});
  const auto labels = test.targets().to_vector<std::int64_t>();
  std::vector<int> per_class(10, 0);
  for (auto l : labels)
    ++per_class[static_cast<std::size_t>(l)];
  for (int c : per_class)
    CHECK(c == 1000);  // the test split is balanced
  CHECK(max(test.inputs()).item() == 1.0);
  CHECK(min(test.inputs()).item() == 0.0);
}

TEST_CASE("CSV reader and CSV data set", "[nn][data]") {
  const std::string path = output_path("nn_table.csv");
  std::ofstream(path) << "a,b,label\n1.5,2,0\r\n-3,4e2,1\n\n";
  const CsvTable table = read_csv(path);
  CHECK(table.header == std::vector<std::string>{"a", "b", "label"});
  CHECK(table.rows == 2);
  CHECK(table.values == std::vector<double>{1.5, 2, 0, -3, 400, 1});
  const TensorDataset data = csv_dataset(table, 2);
  CHECK(data.inputs().to_vector<double>() == std::vector<double>{1.5, 2, -3, 400});
  CHECK(data.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1});
  std::ofstream(path) << "a,b\n1,2\n3,x\n";
  CHECK_THROWS_WITH(read_csv(path), Catch::Contains("line 3, column 2 (byte offset 10)"));
  std::ofstream(path) << "1,2\n3\n";
  CHECK_THROWS_WITH(read_csv(path, false),
                    Catch::Contains("line 2") && Catch::Contains("1 fields"));
}

TEST_CASE("CSV without a header row keeps its first row, the last column is the default target",
          "[nn][data]") {
  // sklearn's digits.csv.gz has no header: its first row is a sample, not names.
  const std::string path = output_path("nn_headerless.csv");
  std::ofstream(path) << "0.5,1,2\n-1, 3 ,0\n";
  const CsvTable detected = read_csv(path);
  CHECK(detected.header.empty());
  CHECK(detected.rows == 2);
  CHECK(detected.values == std::vector<double>{0.5, 1, 2, -1, 3, 0});
  const TensorDataset data = csv_dataset(detected);  // target: the last column
  CHECK(data.targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 0});
  // -3 is column 0, which holds 0.5: not a class.
  CHECK_THROWS_WITH(csv_dataset(detected, -3), Catch::Contains("is not a class"));
  CHECK_THROWS_WITH(csv_dataset(detected, -4), Catch::Contains("target column -4"));
  // Saying so still wins: a numeric first row taken as the header.
  CHECK(read_csv(path, true).header == std::vector<std::string>{"0.5", "1", "2"});
  CHECK(read_csv(path, true).rows == 1);
  // One text field makes the first row a header.
  std::ofstream(path) << "x1,2,3\n4,5,6\n";
  CHECK(read_csv(path).header == std::vector<std::string>{"x1", "2", "3"});
}

TEST_CASE("moons as a data set", "[nn][data]") {
  const TensorDataset data = moons_dataset(100, 0.1, 3);
  CHECK(data.size() == 100);
  CHECK(data.inputs().shape() == Shape{100, 2});
  CHECK(data.inputs().dtype() == DType::float32);
  std::int64_t ones_count = 0;
  for (auto l : data.targets().to_vector<std::int64_t>())
    ones_count += l;
  CHECK(ones_count == 50);
}

TEST_CASE("accuracy, confusion matrix and running mean by hand", "[nn][metrics]") {
  const Tensor logits = tensor({0.1, 0.9, 0.8, 0.2, 0.3, 0.7, 0.6, 0.4}, {4, 2});
  const Tensor targets = from_vector(std::vector<std::int64_t>{1, 0, 0, 0}, {4});
  CHECK(accuracy(logits, targets) == 0.75);  // predictions 1, 0, 1, 0
  ConfusionMatrix cm(2);
  cm.update(logits, targets);
  CHECK(cm.count(0, 0) == 2);
  CHECK(cm.count(0, 1) == 1);
  CHECK(cm.count(1, 1) == 1);
  CHECK(cm.count(1, 0) == 0);
  CHECK(cm.accuracy() == 0.75);
  CHECK(cm.to_string({"no", "yes"}).find("yes") != std::string::npos);
  CHECK_THROWS_WITH(cm.update(from_vector(std::vector<std::int64_t>{5}, {1}),
                              from_vector(std::vector<std::int64_t>{0}, {1})),
                    Catch::Contains("prediction 5 at index 0 is outside 0..1 (num_classes 2)"));
  CHECK_THROWS_WITH(cm.update(from_vector(std::vector<std::int64_t>{1, 0}, {2}),
                              from_vector(std::vector<std::int64_t>{0, -3}, {2})),
                    Catch::Contains("target -3 at index 1 is outside 0..1"));
  CHECK(cm.total() == 4);  // a bad batch counts nothing
  // The printout's header names the predicted classes' columns.
  CHECK(cm.to_string().find("true \\ predicted\n                     0      1\n") == 0);
  RunningMean mean;
  mean.add(1.0, 3);
  mean.add(3.0, 1);
  CHECK(mean.mean() == 1.5);
  mean.reset();
  CHECK(mean.mean() == 0.0);
}
