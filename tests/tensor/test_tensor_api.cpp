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
  CHECK(message_of([&] { norm(a, NAN); }).find("norm: p must be a number") != std::string::npos);
  CHECK(message_of([&] {
          norm(zeros({2, 0}), -1.0, {1});
        }).find("norm: p = -1 over the axes (1) of (2,0): an empty slice") != std::string::npos);
  CHECK(message_of([&] {
          scatter_add(a, 0, zeros({3, 4}, DType::int64), zeros({2, 4}));
        }).find("scatter_add:") != std::string::npos);
  CHECK(message_of([&] {
          diag(zeros({2, 2, 2}));
        }).find("diag: needs a 1-D or 2-D tensor") != std::string::npos);
}

namespace {

// a and b element by element within a relative 1e-12 (the norms below are float64).
bool close(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == Approx(b[i]).epsilon(1e-12).margin(1e-15))) return false;
  return true;
}

// norm(x, p, axes) in float64 and the gradient of the sum of its elements.
struct NormResult {
  std::vector<double> value, grad;
};
NormResult norm_and_grad(std::initializer_list<double> values, const Shape& shape, double p,
                         const Axes& axes = {}) {
  Tensor x = tensor(values, shape, DType::float64).set_requires_grad();
  const Tensor y = norm(x, p, axes);
  sum(y).backward();
  return {y.to_vector<double>(), x.grad().to_vector<double>()};
}

}  // namespace

// The expected numbers are PyTorch 1.13's (Debian's python3-torch), from
//   x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
//   y = torch.linalg.vector_norm(x, ord=p, dim=axes); y.sum().backward()
// printing y.tolist() and x.grad.tolist() (torch.norm(x, p, dim) gives the same).
TEST_CASE("tensor api: norm with p = -inf is the min of |x|, as torch", "[tensor][api]") {
  const auto a = {1.0, -3.0, 2.0, -0.5, 4.0, -0.5};  // (2, 3)
  NormResult r = norm_and_grad(a, {2, 3}, -INFINITY);
  CHECK(r.value == std::vector<double>{0.5});
  CHECK(r.grad == std::vector<double>{0, 0, 0, -0.5, 0, -0.5});  // the tie split in halves
  r = norm_and_grad(a, {2, 3}, -INFINITY, {1});
  CHECK(r.value == std::vector<double>{1.0, 0.5});
  CHECK(r.grad == std::vector<double>{1, 0, 0, -0.5, 0, -0.5});
  r = norm_and_grad(a, {2, 3}, -INFINITY, {0});
  CHECK(r.value == std::vector<double>{0.5, 3.0, 0.5});
  CHECK(r.grad == std::vector<double>{0, -1, 0, -1, 0, -1});
  // Ties share the gradient evenly, as +inf's: [2, -2, 1, 2] -> 1/3 each to the 2s, and
  // [1, -1, 3, 1] -> 1/3 each to the 1s.
  r = norm_and_grad({2.0, -2.0, 1.0, 2.0}, {4}, INFINITY);
  CHECK(r.value == std::vector<double>{2.0});
  CHECK(close(r.grad, {1.0 / 3, -1.0 / 3, 0, 1.0 / 3}));
  r = norm_and_grad({1.0, -1.0, 3.0, 1.0}, {4}, -INFINITY);
  CHECK(r.value == std::vector<double>{1.0});
  CHECK(close(r.grad, {1.0 / 3, -1.0 / 3, 0, 1.0 / 3}));
  // A zero is the minimum, and its gradient is sign(0) = 0.
  r = norm_and_grad({0.0, 2.0, -3.0}, {3}, -INFINITY);
  CHECK(r.value == std::vector<double>{0.0});
  CHECK(r.grad == std::vector<double>{0, 0, 0});
  r = norm_and_grad({INFINITY, 1.0}, {2}, -INFINITY);
  CHECK(r.value == std::vector<double>{1.0});
  CHECK(r.grad == std::vector<double>{0, 1});
  r = norm_and_grad({-2.5}, {}, -INFINITY);
  CHECK(r.value == std::vector<double>{2.5});
  CHECK(r.grad == std::vector<double>{-1});
  // A NaN makes the norm NaN and, for +inf and -inf alike, torch sends it and its slice 0.
  for (double p : {INFINITY, -INFINITY}) {
    INFO("p = " << p);
    r = norm_and_grad({NAN, 1.0}, {2}, p);
    CHECK(std::isnan(r.value[0]));
    CHECK(r.grad == std::vector<double>{0, 0});
    r = norm_and_grad({NAN, 1.0, 2.0, -3.0}, {2, 2}, p, {1});  // one slice NaN, one not
    CHECK(std::isnan(r.value[0]));
    CHECK(r.value[1] == (p > 0 ? 3.0 : 2.0));
    CHECK(r.grad == (p > 0 ? std::vector<double>{0, 0, 0, -1} : std::vector<double>{0, 0, 1, 0}));
  }
  // torch: "cannot compute the -inf norm on an empty tensor".
  CHECK_THROWS_AS(norm(zeros({0}), -INFINITY), kindling::error);
  CHECK(norm(zeros({0, 2}), -INFINITY, {1}).shape() == Shape{0});  // no slice is empty
}

TEST_CASE("tensor api: norm with p = 0 and p < 0, as torch", "[tensor][api]") {
  const auto a = {1.0, -3.0, 2.0, -0.5, 4.0, -0.5};  // (2, 3)
  NormResult r = norm_and_grad(a, {2, 3}, -1.0, {1});
  CHECK(close(r.value, {0.5454545454545455, 0.23529411764705882}));
  CHECK(close(r.grad, {0.29752066115702486, -0.03305785123966943, 0.07438016528925621,
                       -0.22145328719723184, 0.0034602076124567475, -0.22145328719723184}));
  r = norm_and_grad(a, {2, 3}, -2.0);
  CHECK(close(r.value, {0.32575517387874187}));
  CHECK(close(r.grad, {0.034567977183890077, -0.001280295451255188, 0.0043209971479862596,
                       -0.2765438174711206, 0.0005401246434982824, -0.2765438174711206}));
  r = norm_and_grad(a, {2, 3}, -0.5, {0});
  CHECK(close(r.value, {0.17157287525380993, 0.86156123669389, 0.22222222222222218}));
  CHECK(close(r.grad, {0.07106781186547526, -0.1539030917347248, 0.03703703703703703,
                       -0.20101012677666935, 0.09996299037242891, -0.2962962962962962}));
  // A zero makes a negative-p norm 0, with gradient 0 (not NaN) to the whole slice.
  for (double p : {-1.0, -2.0}) {
    r = norm_and_grad({0.0, 2.0, -3.0}, {3}, p);
    CHECK(r.value == std::vector<double>{0.0});
    CHECK(r.grad == std::vector<double>{0, 0, 0});
  }
  r = norm_and_grad({INFINITY, 1.0}, {2}, -1.0);
  CHECK(r.value == std::vector<double>{1.0});
  CHECK(r.grad == std::vector<double>{0, 1});
  // torch: "cannot compute the -1 norm on an empty tensor".
  CHECK_THROWS_AS(norm(zeros({0}), -1.0), kindling::error);
  // p = 0 counts the non-zero elements (a NaN counts); torch's gradient is None, kindling's 0.
  r = norm_and_grad({1.0, 0.0, -2.0, 0.0, 0.0, 3.0}, {2, 3}, 0.0);
  CHECK(r.value == std::vector<double>{3.0});
  CHECK(r.grad == std::vector<double>(6, 0.0));
  r = norm_and_grad({1.0, 0.0, -2.0, 0.0, 0.0, 3.0}, {2, 3}, 0.0, {1});
  CHECK(r.value == std::vector<double>{2.0, 1.0});
  CHECK(norm(tensor({NAN, 0.0, -0.0, INFINITY}), 0.0).item() == 2.0);  // float32 too
  CHECK(norm(zeros({0}), 0.0).item() == 0.0);
}

TEST_CASE("tensor api: squeeze of a 0-d tensor takes axis -1 or 0, as torch", "[tensor][api]") {
  // torch wraps dims with max(ndim, 1): x.squeeze(0) and x.squeeze(-1) of a 0-d x are 0-d, and
  // 1 or -2 raise "Dimension out of range (expected to be in range of [-1, 0], ...)".
  Tensor x = scalar_tensor(3.0, DType::float64).set_requires_grad();
  for (std::int64_t axis : {0, -1}) {
    const Tensor y = squeeze(x, axis);
    CHECK(y.dim() == 0);
    CHECK(y.item() == 3.0);
    CHECK(x.squeeze(axis).dim() == 0);
  }
  (squeeze(x, 0) * 2.0).backward();
  CHECK(x.grad().item() == 2.0);
  for (std::int64_t axis : {1, -2}) {
    CHECK(message_of([&] {
            squeeze(x, axis);
          }).find("squeeze: axis " + std::to_string(axis) + " is out of range for a 0-d tensor") !=
          std::string::npos);
  }
  // Tensors with dimensions keep their range; unsqueeze of a 0-d tensor keeps [-1, 0] too.
  CHECK(squeeze(zeros({1, 3}), -2).shape() == Shape{3});
  CHECK_THROWS_AS(squeeze(zeros({1, 3}), 2), kindling::error);
  CHECK_THROWS_AS(squeeze(zeros({1, 3}), -3), kindling::error);
  CHECK(unsqueeze(x, 0).shape() == Shape{1});
  CHECK(unsqueeze(x, -1).shape() == Shape{1});
  CHECK_THROWS_AS(unsqueeze(x, 1), kindling::error);
  CHECK_THROWS_AS(unsqueeze(x, -2), kindling::error);
}
