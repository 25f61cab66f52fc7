// The PyTorch surface of issue 13 beyond the op table's rows: the method forms (each the free
// function), eye, randperm, put_, the edge values of sort, cumsum and norm, and the errors that
// name the function, the argument and the shapes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <set>
#include <string>

#include "kindling/tensor.hpp"

using namespace kindling;

namespace {

bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector<double>() == b.to_vector<double>();
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const kindling::error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("tensor api: the method forms are the free functions", "[tensor][api]") {
  Generator gen(3);
  const Tensor x = randn({3, 4}, gen), y = randn({3, 4}, gen), m = randn({4, 2}, gen);
  CHECK(same(x.add(y), x + y));
  CHECK(same(x.sub(2.0), x - 2.0));
  CHECK(same(x.mul(y), x * y));
  CHECK(same(x.div(y), x / y));
  CHECK(same(x.abs().pow(0.5), pow(abs(x), 0.5)));
  CHECK(same(x.gt(y), gt(x, y)));
  CHECK(same(x.le(0.1), le(x, 0.1)));
  CHECK(same(x.maximum(y), maximum(x, y)));
  CHECK(same(x.where(gt(x, 0), y), where(gt(x, 0), x, y)));
  CHECK(same(x.clamp(-0.5, 0.5), clamp(x, -0.5, 0.5)));
  CHECK(same(x.softmax(0), softmax(x, 0)));
  CHECK(same(x.logsumexp({1}), logsumexp(x, {1})));
  CHECK(same(x.argmin(1), argmin(x, 1)));
  CHECK(same(x.std({0}), stddev(x, {0})));
  CHECK(same(x.var({}, 0), var(x, {}, 0)));
  CHECK(same(x.amax({1}), max(x, {1})));
  CHECK(same(x.mm(m), matmul(x, m)));
  CHECK(same(x.t(), transpose(x, 0, 1)));
  CHECK(same(x.expand_as(zeros({2, 3, 4})), expand(x, {2, 3, 4})));
  CHECK(same(x.reshape_as(zeros({4, 3})), reshape(x, {4, 3})));
  CHECK(same(x.square(), x * x));
  CHECK(same(x.tril(), tril(x)));
  CHECK(x.new_zeros({2}, DType::int64).dtype() == DType::int64);
  CHECK(x.new_zeros({2, 5}).shape() == Shape{2, 5});
  CHECK(x.cpu().same_node(x));
  CHECK(same(cat({x, y}, 1), concat({x, y}, 1)));
}

TEST_CASE("tensor api: eye and randperm", "[tensor][api]") {
  CHECK(eye(3).to_vector<double>() == std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  CHECK(eye(2, 3, DType::int64).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, 0, 0, 0, 1, 0});
  CHECK(eye(0).shape() == Shape{0, 0});
  CHECK_THROWS_WITH(eye(-2), Catch::Contains("eye: n must be non-negative, got -2"));
  Generator a(9), b(9), c(10);
  const std::vector<std::int64_t> p = randperm(100, a).to_vector<std::int64_t>();
  CHECK(std::set<std::int64_t>(p.begin(), p.end()).size() == 100);
  CHECK(*std::min_element(p.begin(), p.end()) == 0);
  CHECK(*std::max_element(p.begin(), p.end()) == 99);
  CHECK(randperm(100, b).to_vector<std::int64_t>() == p);  // the seed decides
  CHECK(randperm(100, c).to_vector<std::int64_t>() != p);
  CHECK(randperm(0, a).numel() == 0);
  // Each value lands in position 0 about equally often (Fisher-Yates is uniform): 20000 draws of
  // randperm(4), each count near 5000 (a binomial's sd is 61; 400 is over 6 of them).
  std::vector<int> first(4, 0);
  for (int i = 0; i < 20000; ++i)
    ++first[static_cast<std::size_t>(randperm(4, a).to_vector<std::int64_t>()[0])];
  for (int count : first)
    CHECK(std::abs(count - 5000) < 400);
}

TEST_CASE("tensor api: put_ writes at row-major positions and bumps the version", "[tensor][api]") {
  Tensor x = zeros({2, 3});
  const Tensor view = x.slice(1, 1, 3);
  const std::uint64_t before = x.version();
  x.put_(from_vector(std::vector<std::int64_t>{0, -1, 4, 4}, {4}), tensor({1.0, 2.0, 3.0, 4.0}));
  // Position 4 twice: the last write wins.
  CHECK(x.to_vector<double>() == std::vector<double>{1, 0, 0, 0, 4, 2});
  CHECK(x.version() == before + 1);
  CHECK(view.version() == x.version());
  // Into a non-contiguous view: positions are the view's row-major ones.
  Tensor base = zeros({3, 2});
  base.transpose(0, 1).put_(from_vector(std::vector<std::int64_t>{1}, {1}), tensor({5.0}));
  CHECK(base.to_vector<double>() == std::vector<double>{0, 0, 5, 0, 0, 0});
  CHECK_THROWS_WITH(x.put_(from_vector(std::vector<std::int64_t>{6}, {1}), tensor({1.0})),
                    Catch::Contains("put_: index 6 is out of range for a tensor of 6 elements"));
  CHECK_THROWS_WITH(x.put_(tensor({0.0}), tensor({1.0})),
                    Catch::Contains("put_: the index must be int64"));
  Tensor w = zeros({2}).set_requires_grad();
  CHECK_THROWS_WITH(w.put_(from_vector(std::vector<std::int64_t>{0}, {1}), tensor({1.0})),
                    Catch::Contains("put_: a leaf tensor that requires grad"));
}

TEST_CASE("tensor api: edge values of sort, cumsum, prod and norm", "[tensor][api]") {
  const Tensor x = tensor({3.0, NAN, -INFINITY, 1.0, 1.0});
  const ValuesIndices up = sort(x), down = sort(x, 0, true);
  CHECK(up.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 3, 4, 0, 1});
  CHECK(down.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 3, 4, 2});
  CHECK(std::isnan(up.values.to_vector<double>()[4]));
  // int64 cumsum is exact past 2^53 (a float path would round 2^60 + 1).
  const std::int64_t big = std::int64_t{1} << 60;
  CHECK(
      cumsum(from_vector(std::vector<std::int64_t>{big, 1, 1}, {3}), 0).to_vector<std::int64_t>() ==
      std::vector<std::int64_t>{big, big + 1, big + 2});
  CHECK(prod(from_vector(std::vector<std::int64_t>{2, 3, 7}, {3})).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{42});
  CHECK(prod(zeros({0})).item() == 1.0);  // the empty product
  // The gradient of norm at 0 is 0 (not NaN), as torch's.
  Tensor z = zeros({3}, DType::float64).set_requires_grad();
  norm(z).backward();
  CHECK(z.grad().to_vector<double>() == std::vector<double>{0, 0, 0});
}

TEST_CASE("tensor api: errors name the function, the argument and the shapes", "[tensor][api]") {
  const Tensor a = zeros({3, 4}), b = zeros({2, 4});
  CHECK(message_of([&] { mm(a, b); }).find("mm: (3,4) x (2,4): inner dimensions 4 and 2") !=
        std::string::npos);
  CHECK(message_of([&] { bmm(a, a); }).find("bmm: needs two 3-D tensors") != std::string::npos);
  CHECK(message_of([&] { dot(zeros({3}), zeros({2})); }).find("dot: lengths 3 and 2") !=
        std::string::npos);
  CHECK(message_of([&] {
          t(zeros({2, 2, 2}));
        }).find("t: needs at most 2 dimensions") != std::string::npos);
  CHECK(message_of([&] {
          split(a, {1, 1}, 0);
        }).find("split: sizes (1,1) add up to 2, not to 3") != std::string::npos);
  CHECK(message_of([&] { topk(a, 5); }).find("topk: k 5 is outside 0..4") != std::string::npos);
  CHECK(message_of([&] { repeat(a, {2}); }).find("repeat: 1 repeat counts") != std::string::npos);
  CHECK(message_of([&] {
          einsum("ij,jk->ik", {a, a});
        }).find("subscript 'j' has size 4 in one operand and 3 in operand 1") != std::string::npos);
  CHECK(message_of([&] { einsum("i...->i", {a}); }).find("ellipses") != std::string::npos);
  CHECK(message_of([&] { norm(a, 0.0); }).find("norm: p must be positive") != std::string::npos);
  CHECK(message_of([&] {
          scatter_add(a, 0, zeros({3, 4}, DType::int64), zeros({2, 4}));
        }).find("scatter_add:") != std::string::npos);
  CHECK(message_of([&] {
          diag(zeros({2, 2, 2}));
        }).find("diag: needs a 1-D or 2-D tensor") != std::string::npos);
}
