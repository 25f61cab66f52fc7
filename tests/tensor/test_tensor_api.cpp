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

namespace {

// f at a 0-d float64 x = 3: the result's shape and (summed) value, and x's gradient of
// sum(2 f(x)), the numbers the torch commands below print.
struct AtScalar {
  Shape shape;
  double value;
  double grad;
};
AtScalar at_scalar(const std::function<Tensor(const Tensor&)>& f) {
  const Tensor x = scalar_tensor(3.0, DType::float64).set_requires_grad();
  const Tensor y = f(x);
  sum(y * 2.0).backward();
  return {y.shape(), sum(y.detach()).item(), x.grad().item()};
}

bool mentions(const std::function<void()>& f, const std::string& text) {
  const std::string message = message_of(f);
  const bool found = message.find(text) != std::string::npos;
  if (!found) UNSCOPED_INFO("message: " << message << "\nexpected it to contain: " << text);
  return found;
}

}  // namespace

TEST_CASE("tensor api: a 0-d tensor takes axis -1 or 0 where torch does", "[tensor][api]") {
  // torch wraps a dim with max(ndim, 1) (Note [0-d axes]); the expected numbers are those of
  //   x = torch.tensor(3., dtype=torch.float64, requires_grad=True); y = f(x)
  //   (y * 2).sum().backward(); print(y, y.shape, x.grad)
  // with f = lambda x: x.sum(0), x.mean(-1), x.amax(0), x.max(0).values, x.prod(0),
  // x.logsumexp(0), torch.linalg.vector_norm(x, p, dim=0), x.softmax(0), x.cumsum(0),
  // x.transpose(0, -1), x.flatten(-1, 0), x.flip(0), x.index_select(0, torch.tensor([0])),
  // x.gather(0, torch.tensor(0)), x.scatter_add(0, torch.tensor(0), torch.tensor(5.)),
  // x.sort(0).values, x.topk(1, 0).values and torch.stack([x, x], -1); and the errors of the same
  // calls with dim 1 or -2 ("Dimension out of range (expected to be in range of [-1, 0], ...)").
  using Case = std::pair<const char*, std::function<Tensor(const Tensor&, std::int64_t)>>;
  const std::vector<Case> identity_like = {
      {"sum", [](const Tensor& x, std::int64_t a) { return sum(x, {a}); }},
      {"sum", [](const Tensor& x, std::int64_t a) { return sum(x, {a}, true); }},
      {"mean", [](const Tensor& x, std::int64_t a) { return mean(x, {a}); }},
      {"max", [](const Tensor& x, std::int64_t a) { return max(x, {a}); }},
      {"min", [](const Tensor& x, std::int64_t a) { return min(x, {a}, true); }},
      // amax and amin are max and min over explicit axes, and their errors say so.
      {"max", [](const Tensor& x, std::int64_t a) { return amax(x, {a}); }},
      {"min", [](const Tensor& x, std::int64_t a) { return amin(x, {a}); }},
      {"prod", [](const Tensor& x, std::int64_t a) { return prod(x, {a}); }},
      {"logsumexp", [](const Tensor& x, std::int64_t a) { return logsumexp(x, {a}); }},
      {"norm", [](const Tensor& x, std::int64_t a) { return norm(x, 2.0, {a}); }},
      {"norm", [](const Tensor& x, std::int64_t a) { return norm(x, 1.0, {a}); }},
      {"norm", [](const Tensor& x, std::int64_t a) { return norm(x, 3.0, {a}, true); }},
      {"norm", [](const Tensor& x, std::int64_t a) { return norm(x, -1.0, {a}); }},
      {"norm", [](const Tensor& x, std::int64_t a) { return norm(x, INFINITY, {a}); }},
      {"norm", [](const Tensor& x, std::int64_t a) { return norm(x, -INFINITY, {a}); }},
      {"cumsum", [](const Tensor& x, std::int64_t a) { return cumsum(x, a); }},
      {"transpose", [](const Tensor& x, std::int64_t a) { return transpose(x, a, 0); }},
      {"transpose", [](const Tensor& x, std::int64_t a) { return transpose(x, -1, a); }},
      {"flip", [](const Tensor& x, std::int64_t a) { return flip(x, {a}); }},
      {"index_select",
       [](const Tensor& x, std::int64_t a) {
         return index_select(x, a, tensor({0.0}, DType::int64));
       }},
      {"index_select",
       [](const Tensor& x, std::int64_t a) {
         return index_select(x, a, scalar_tensor(0, DType::int64));
       }},
      {"gather", [](const Tensor& x,
                    std::int64_t a) { return gather(x, a, scalar_tensor(0, DType::int64)); }},
      {"sort", [](const Tensor& x, std::int64_t a) { return sort(x, a).values; }},
      {"sort", [](const Tensor& x, std::int64_t a) { return sort(x, a, true).values; }},
      {"topk", [](const Tensor& x, std::int64_t a) { return topk(x, 1, a).values; }},
      // torch 1.13 gives the element for k = 0 too (a 0-d result cannot be empty).
      {"topk", [](const Tensor& x, std::int64_t a) { return topk(x, 0, a).values; }},
  };
  for (const auto& [name, f] : identity_like) {
    for (std::int64_t axis : {0, -1}) {
      INFO(name << " with axis " << axis);
      const AtScalar r = at_scalar([&f = f, axis](const Tensor& x) { return f(x, axis); });
      CHECK(r.shape == Shape{});
      CHECK(r.value == Approx(3.0).epsilon(1e-15));  // norm's roots round
      CHECK(r.grad == Approx(2.0).epsilon(1e-15));
    }
    for (std::int64_t axis : {1, -2}) {
      INFO(name << " with axis " << axis);
      const Tensor x = scalar_tensor(3.0, DType::float64);
      CHECK_THROWS_AS(f(x, axis), kindling::error);
      CHECK(mentions([&f = f, &x, axis] { f(x, axis); },
                     std::string(name) + ": axis " + std::to_string(axis) +
                         " is out of range for a 0-d tensor (expected -1 or 0)"));
    }
  }

  // Values other than x itself: softmax 1 and log_softmax 0 (gradient 0), norm p = 0 counts
  // the element (gradient 0; torch's is None), var 0 with correction 0.
  for (std::int64_t axis : {0, -1}) {
    AtScalar r = at_scalar([axis](const Tensor& x) { return softmax(x, axis); });
    CHECK((r.shape == Shape{} && r.value == 1.0 && r.grad == 0.0));
    r = at_scalar([axis](const Tensor& x) { return log_softmax(x, axis); });
    CHECK((r.shape == Shape{} && r.value == 0.0 && r.grad == 0.0));
    r = at_scalar([axis](const Tensor& x) { return norm(x, 0.0, {axis}); });
    CHECK((r.shape == Shape{} && r.value == 1.0 && r.grad == 0.0));
    r = at_scalar([axis](const Tensor& x) { return var(x, {axis}, 0); });
    CHECK((r.shape == Shape{} && r.value == 0.0 && r.grad == 0.0));
    // x.var(0) divides by n - 1 = 0: nan, as torch's.
    CHECK(std::isnan(var(scalar_tensor(3.0, DType::float64), {axis}).item()));
    // flatten(start, end) makes the one element a (1) vector.
    r = at_scalar([axis](const Tensor& x) { return flatten(x, axis, axis == 0 ? -1 : 0); });
    CHECK((r.shape == Shape{1} && r.value == 3.0 && r.grad == 2.0));
    // gather with a 1-D index takes its shape (torch: x.gather(0, torch.tensor([0])) is (1)).
    r = at_scalar([axis](const Tensor& x) { return gather(x, axis, tensor({0.0}, DType::int64)); });
    CHECK((r.shape == Shape{1} && r.value == 3.0 && r.grad == 2.0));
    // x.scatter_add(0, torch.tensor(0), torch.tensor(5.)) is 8; both gradients 2.
    const Tensor src = scalar_tensor(5.0, DType::float64).set_requires_grad();
    r = at_scalar([axis, &src](const Tensor& x) {
      return scatter_add(x, axis, scalar_tensor(0, DType::int64), src);
    });
    CHECK((r.shape == Shape{} && r.value == 8.0 && r.grad == 2.0));
    CHECK(src.grad().item() == 2.0);
    // torch.stack([x, x], -1) is (2), gradient 4; unsqueeze keeps [-1, 0].
    r = at_scalar([axis](const Tensor& x) { return stack({x, x}, axis); });
    CHECK((r.shape == Shape{2} && r.value == 6.0 && r.grad == 4.0));

    // No gradient: argmax / argmin 0 (int64, 0-d), any / all.
    const Tensor x = scalar_tensor(3.0, DType::float64);
    for (const bool keepdim : {false, true}) {
      const Tensor i = argmax(x, axis, keepdim), j = argmin(x, axis, keepdim);
      CHECK((i.dtype() == DType::int64 && i.shape() == Shape{} && i.item() == 0.0));
      CHECK((j.dtype() == DType::int64 && j.shape() == Shape{} && j.item() == 0.0));
    }
    CHECK((any(x, {axis}).shape() == Shape{} && any(x, {axis}).item() == 1.0));
    CHECK((all(x, {axis}).shape() == Shape{} && all(x, {axis}).item() == 1.0));
    const ValuesIndices s = sort(x, axis), t = topk(x, 1, axis);
    CHECK((s.indices.shape() == Shape{} && s.indices.item() == 0.0));
    CHECK((t.indices.shape() == Shape{} && t.indices.item() == 0.0));
    // int64 and bool keep torch's dtypes: torch.tensor(True).cumsum(0) is tensor(1).
    CHECK(cumsum(scalar_tensor(true, DType::bool_), axis).dtype() == DType::int64);
    CHECK(sum(scalar_tensor(4, DType::int64), {axis}).item() == 4.0);
  }

  const Tensor x = scalar_tensor(3.0, DType::float64);
  const Tensor i64 = scalar_tensor(0, DType::int64);
  // Out of range for the ops above that are not in the table of x itself.
  for (std::int64_t axis : {1, -2}) {
    const std::string tail =
        ": axis " + std::to_string(axis) + " is out of range for a 0-d tensor (expected -1 or 0)";
    CHECK(mentions([&] { softmax(x, axis); }, "softmax" + tail));
    CHECK(mentions([&] { log_softmax(x, axis); }, "log_softmax" + tail));
    CHECK(mentions([&] { mean(x, {axis}); }, "mean" + tail));
    CHECK(mentions([&] { var(x, {axis}); }, "var" + tail));
    CHECK(mentions([&] { stddev(x, {axis}); }, "var" + tail));
    CHECK(mentions([&] { any(x, {axis}); }, "any" + tail));
    CHECK(mentions([&] { all(x, {axis}); }, "all" + tail));
    CHECK(mentions([&] { argmax(x, axis); }, "argmax" + tail));
    CHECK(mentions([&] { argmin(x, axis); }, "argmin" + tail));
    CHECK(mentions([&] { norm(x, 0.0, {axis}); }, "norm" + tail));
    CHECK(mentions([&] { flatten(x, axis, -1); }, "flatten" + tail));
    CHECK(mentions([&] { flatten(x, 0, axis); }, "flatten" + tail));
    CHECK(mentions([&] { scatter_add(x, axis, i64, x); }, "scatter_add" + tail));
    CHECK(mentions([&] { topk(x, 0, axis); }, "topk" + tail));
    CHECK(mentions([&] { squeeze(x, axis); }, "squeeze" + tail));
    // cumsum used to accept any axis on a 0-d tensor.
    CHECK(mentions([&] { cumsum(x, axis); }, "cumsum" + tail));
    CHECK_THROWS_AS(cumsum(x, axis), kindling::error);
    CHECK_THROWS_AS(stack({x, x}, axis), kindling::error);  // range [-1, 0] of the (2) result
    CHECK_THROWS_AS(unsqueeze(x, axis), kindling::error);
  }
  // torch: "dim 0 appears multiple times in the list of dims" for x.sum((0, -1)), x.flip(0, -1)
  // and vector_norm(x, dim=(0, -1)).
  CHECK(mentions([&] { sum(x, {0, -1}); }, "sum: axis -1 given twice"));
  CHECK(mentions([&] { amax(x, {-1, 0}); }, "max: axis 0 given twice"));
  CHECK(mentions([&] { prod(x, {0, 0}); }, "prod: axis 0 given twice"));
  CHECK(mentions([&] { flip(x, {0, -1}); }, "flip: axis -1 given twice"));
  CHECK(mentions([&] { norm(x, 2.0, {0, -1}); }, "norm: axis -1 given twice"));
  // torch: x.topk(2, 0) "selected index k out of range"; x.index_select(0, torch.tensor([0, 0]))
  // and an index of 1 (index_select, gather, scatter_add) are errors too.
  CHECK(mentions([&] { topk(x, 2, 0); }, "topk: k 2 is outside 0..1"));
  CHECK(mentions(
      [&] {
        index_select(x, 0, tensor({0.0, 0.0}, DType::int64));
      },
      "index_select: a 0-d input takes an index of one element, got shape (2)"));
  CHECK_THROWS_AS(index_select(x, 0, tensor({1.0}, DType::int64)), kindling::error);
  CHECK_THROWS_AS(gather(x, 0, scalar_tensor(1, DType::int64)), kindling::error);
  CHECK_THROWS_AS(scatter_add(x, 0, scalar_tensor(1, DType::int64), x), kindling::error);
  CHECK_THROWS_AS(gather(x, 0, zeros({1, 1}, DType::int64)), kindling::error);

  // Kept errors, whatever the axis, as torch's: torch.cat([x, x]) "zero-dimensional tensor (at
  // position 0) cannot be concatenated"; x.split(1, 0) and x.chunk(1, 0) "expects at least a
  // 1-dimensional tensor"; x.unbind(0) and x.size(0) "Dimension specified as 0 but tensor has no
  // dimensions"; x[0:1] and x.narrow(0, 0, 1) "cannot be applied to a 0-dim tensor"; x.permute(0)
  // "number of dimensions ... does not match".
  for (std::int64_t axis : {0, -1, 1}) {
    const std::string given = ": axis " + std::to_string(axis) + " given for a 0-d tensor";
    CHECK(mentions(
        [&] {
          concat({x, x}, axis);
        },
        "concat: axis " + std::to_string(axis) + ": the tensor at position 0 is 0-d"));
    CHECK(mentions(
        [&] {
          cat({ones({1}, DType::float64), x}, axis);
        },
        "the tensor at position 1 is 0-d"));
    CHECK(mentions([&] { split(x, 1, axis); }, "split" + given));
    CHECK(mentions([&] { split(x, Shape{1}, axis); }, "split" + given));
    CHECK(mentions([&] { chunk(x, 1, axis); }, "chunk" + given));
    CHECK(mentions([&] { unbind(x, axis); }, "unbind" + given));
    CHECK(mentions([&] { slice(x, axis, 0, 1); }, "slice" + given));
    CHECK(mentions([&] { x.size(axis); }, "size" + given));
    CHECK_THROWS_AS(permute(x, {axis}), kindling::error);
  }
}
