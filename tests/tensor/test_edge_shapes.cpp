// Safe at the edges (issue 11): shapes whose element or byte counts pass int64 or size_t, negative
// sizes, ranges too long for any tensor, allocations no machine can serve, and undefined tensors.
// Each case is a reproducer from the issue or its near neighbour, and each must end in a
// kindling::error naming the op and the shape: never a crash, another exception type, or a tensor
// that claims more elements than its storage holds. None of them allocates more than a few bytes
// when the check works; where a missing check would try to allocate, it asks for far more than any
// machine has, so it fails at once rather than filling memory.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <typeinfo>
#include <vector>

#include "kindling/tensor.hpp"
#include "kindling/tensor/caching_allocator.hpp"

namespace kindling {
namespace {

using Catch::Contains;

constexpr std::int64_t kTwo31 = std::int64_t{1} << 31;
constexpr std::int64_t kTwo32 = std::int64_t{1} << 32;
constexpr std::int64_t kTwo62 = std::int64_t{1} << 62;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// The message of the kindling::error that `f` throws; any other outcome fails the test.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("threw " << typeid(e).name() << " instead of kindling::error: " << e.what());
  }
  FAIL("threw nothing");
  return {};
}

std::vector<double> values(const Tensor& t) {
  return t.to_vector<double>();
}

// ---- creation
// ------------------------------------------------------------------------------------

TEST_CASE("edges: zeros whose byte count passes 2^63 is an error naming zeros and the shape",
          "[tensor][edges]") {
  // 2^62 elements fit in int64, their 2^64 bytes of float32 do not: the size computation used to
  // wrap to 0 bytes, and cpu::fill wrote past a 512-byte block.
  CHECK_THAT(
      error_of([] {
        zeros({kTwo31, kTwo31});
      }),
      Contains("zeros: shape (2147483648,2147483648) of float32 needs more than 2^63 bytes"));
  CHECK_THAT(error_of([] { ones({kInt64Max}); }),
             Contains("ones: shape (9223372036854775807) of float32"));
  CHECK_THAT(error_of([] {
               full({kTwo62, 2}, 1.0, DType::float64);
             }),
             Contains("full: shape (4611686018427387904,2)"));
}

TEST_CASE("edges: an element count past 2^63 is an error, not a wrapped numel", "[tensor][edges]") {
  // 2^64 elements wrapped to numel 0, and indexing or printing the tensor then crashed.
  CHECK_THAT(error_of([] {
               zeros({kTwo32, kTwo32});
             }),
             Contains("zeros: shape (4294967296,4294967296) has more than 2^63 elements"));
  // 3037000500^2 = 9223372037000250000, just past 2^63 - 1: it came out negative.
  CHECK_THAT(error_of([] {
               zeros({3037000500, 3037000500});
             }),
             Contains("zeros: shape (3037000500,3037000500) has more than 2^63 elements"));
  // (2^62 + 1) * 4 wraps to exactly 4: a 16-byte tensor claiming 2^64 + 4 elements.
  CHECK_THAT(error_of([] {
               ones({kTwo62 + 1, 4});
             }),
             Contains("ones: shape (4611686018427387905,4) has more than 2^63 elements"));
  CHECK_THAT(error_of([] {
               zeros({2, -3});
             }),
             Contains("zeros: negative dimension -3 in shape (2,-3)"));
  CHECK_THAT(error_of([] { zeros(Shape(9, 1)); }), Contains("zeros: shape (1,1,1,1,1,1,1,1,1)"));
}

TEST_CASE("edges: an empty shape may have huge other sizes", "[tensor][edges]") {
  // A zero size makes the tensor empty whatever the others are (as in PyTorch); nothing may
  // overflow on the way (strides, contiguity, kernels, printing, copies).
  const Tensor empty_front = zeros({0, std::int64_t{1} << 40, std::int64_t{1} << 40});
  CHECK(empty_front.numel() == 0);
  CHECK(empty_front.is_contiguous());
  const Tensor empty_back = zeros({std::int64_t{1} << 40, std::int64_t{1} << 40, 0});
  CHECK(empty_back.numel() == 0);
  CHECK(values(empty_back + 1.0).empty());
  // Printing an empty tensor shows its shape (as PyTorch does): 2^40 empty rows would never end.
  CHECK(to_string(empty_back) == "tensor([], size=(1099511627776,1099511627776,0))");
  CHECK(to_string(zeros({0})) == "tensor([])");
  // Flattening the two huge sizes together would need 2^80 along one axis.
  CHECK_THAT(error_of([&] { empty_front.flatten(1, 2); }),
             Contains("flatten: shape (1099511627776,1099511627776) has more than 2^63 elements"));
  CHECK(empty_front.flatten(0, 1).shape() == Shape{0, std::int64_t{1} << 40});
}

TEST_CASE("edges: from_vector and tensor check the shape before the value count",
          "[tensor][edges]") {
  // The wrapped count 0 matched the 0 values: this was accepted.
  CHECK_THAT(error_of([] {
               from_vector(std::vector<float>{}, {kTwo32, kTwo32});
             }),
             Contains("from_vector: shape (4294967296,4294967296) has more than 2^63 elements"));
  CHECK_THAT(error_of([] {
               from_vector(std::vector<double>{1, 2, 3, 4}, {kTwo62 + 1, 4});
             }),
             Contains("from_vector: shape (4611686018427387905,4) has more than 2^63 elements"));
  CHECK_THAT(error_of([] {
               from_vector(std::vector<float>{1, 2}, {3});
             }),
             Contains("from_vector: 2 values do not fill shape (3)"));
  CHECK_THAT(error_of([] {
               tensor({1, 2, 3}, {kTwo32, kTwo32});
             }),
             Contains("tensor: shape (4294967296,4294967296) has more than 2^63 elements"));
  float one = 1.0f;
  CHECK_THAT(error_of([&] {
               from_blob(&one, {kTwo32, kTwo32}, DType::float32, [] {});
             }),
             Contains("from_blob: shape (4294967296,4294967296) has more than 2^63 elements"));
  CHECK_THAT(error_of([&] {
               from_blob(&one, {kTwo31, kTwo31}, DType::float32, [] {});
             }),
             Contains("from_blob: shape (2147483648,2147483648) of float32 needs more than"));
}

TEST_CASE("edges: arange rejects non-finite bounds and ranges no shape can hold",
          "[tensor][edges]") {
  // The count 1e30 became a std::vector size: std::length_error.
  CHECK_THAT(error_of([] { arange(0.0, 1e30); }),
             Contains("arange: [0, 1e+30) with step 1 has 1e+30 elements"));
  // (stop - start) / step overflows to inf for finite bounds.
  CHECK_THAT(error_of([] { arange(-1e308, 1e308, 1e-10); }), Contains("arange: [-1e+308, 1e+308)"));
  // 2^62 elements fit in int64; their bytes do not.
  CHECK_THAT(error_of([] { arange(0.0, 4611686018427387904.0); }),
             Contains("arange: shape (4611686018427387904) of float32 needs more than 2^63 bytes"));
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  CHECK_THAT(error_of([&] { arange(nan, 5.0); }),
             Contains("arange: start, stop and step must be finite, got start nan"));
  CHECK_THAT(error_of([&] { arange(0.0, inf); }), Contains("must be finite"));
  CHECK_THAT(error_of([&] { arange(0.0, 5.0, nan); }), Contains("must be finite"));
  CHECK_THAT(error_of([&] { arange(0.0, 5.0, -inf); }), Contains("must be finite"));
  // int64 values past 2^63 have no int64 to become.
  CHECK_THAT(error_of([] { arange(9.2e18, 9.3e18, 5e16, DType::int64); }),
             Contains("has values outside int64"));
  // The ordinary cases keep their values (NumPy: np.arange(0, 1, 0.25), np.arange(5, 1, -2)).
  CHECK(values(arange(0.0, 1.0, 0.25)) == std::vector<double>{0.0, 0.25, 0.5, 0.75});
  CHECK(values(arange(5.0, 1.0, -2.0)) == std::vector<double>{5.0, 3.0});
  CHECK(arange(3.0, 1.0).numel() == 0);
  CHECK(arange(3).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2});
}

TEST_CASE("edges: linspace and one_hot with 2^62 elements are errors naming them",
          "[tensor][edges]") {
  // Both made a std::vector of 2^62 doubles first: std::length_error.
  CHECK_THAT(
      error_of([] { linspace(0.0, 1.0, kTwo62); }),
      Contains("linspace: shape (4611686018427387904) of float32 needs more than 2^63 bytes"));
  CHECK_THAT(error_of([] { linspace(0.0, 1.0, -1); }), Contains("linspace: steps is -1"));
  const Tensor index = tensor({0, 2, 1}, DType::int64);
  CHECK_THAT(error_of([&] { one_hot(index, kTwo62); }),
             Contains("one_hot: shape (3,4611686018427387904) has more than 2^63 elements"));
  // 3 x 2^61 elements fit in int64; their bytes do not.
  CHECK_THAT(error_of([&] { one_hot(index, kTwo62 / 2); }),
             Contains("one_hot: num_classes 2305843009213693952 for an index of shape (3) makes a "
                      "result of shape (3,2305843009213693952), more than 2^63 bytes of int64"));
  // A class range too large for memory (2^55 int64 is 2^58 bytes): named as one_hot's argument.
  CHECK_THAT(error_of([&] { one_hot(tensor({0}, DType::int64), std::int64_t{1} << 55); }),
             Contains("one_hot: num_classes 36028797018963968: arange: cannot allocate"));
  // An empty index makes an empty result without a class range of 2^62.
  CHECK(one_hot(zeros({0}, DType::int64), kTwo62).shape() == Shape{0, kTwo62});
  CHECK(one_hot(index, 3).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, 0, 0, 0, 0, 1, 0, 1, 0});
}

TEST_CASE("edges: random draws too large for memory are kindling errors naming the op",
          "[tensor][edges]") {
  // randn drew into a std::vector<double> first: std::bad_alloc. 2^54 float64 elements are 2^57
  // bytes, more than any process can map, so the allocation fails without touching memory.
  Generator g(3);
  const std::string message = error_of([&] { randn({std::int64_t{1} << 54}, g, DType::float64); });
  CHECK_THAT(message, Contains("randn: cannot allocate shape (18014398509481984) of float64"));
  CHECK_THAT(message, Contains("cpu: out of memory allocating 144115188075855872 bytes"));
  CHECK_THAT(error_of([&] { rand({std::int64_t{1} << 55}, g); }),
             Contains("rand: cannot allocate shape (36028797018963968) of float32"));
  CHECK_THAT(error_of([&] { randint(0, 5, {std::int64_t{1} << 55}, g); }),
             Contains("randint: cannot allocate shape (36028797018963968) of int64"));
  CHECK_THAT(error_of([&] {
               randn({kTwo32, kTwo32}, g);
             }),
             Contains("randn: shape (4294967296,4294967296) has more than 2^63 elements"));
  // The widest range: high - low does not fit in int64.
  const std::vector<std::int64_t> wide =
      randint(std::numeric_limits<std::int64_t>::min(), kInt64Max, {64}, g)
          .to_vector<std::int64_t>();
  bool negative = false, positive = false;
  for (std::int64_t v : wide) {
    negative = negative || v < 0;
    positive = positive || v > 0;
  }
  CHECK(negative);  // 64 uniform draws over all of int64: both signs, but for 2^-63 odds
  CHECK(positive);
}

TEST_CASE("edges: the same seed draws the same values as before, straight into the tensor",
          "[tensor][edges]") {
  // rand/randn write into the tensor's storage now; the sequence of draws must not change: each
  // element is the generator's next double, rounded once to the dtype.
  Generator a(11), b(11);
  const std::vector<float> drawn = randn({5}, a).to_vector<float>();
  for (float v : drawn)
    CHECK(v == static_cast<float>(b.normal()));
  const std::vector<double> uniform = rand({4}, a, DType::float64).to_vector<double>();
  for (double v : uniform)
    CHECK(v == b.uniform());
}

// ---- views -----------------------------------------------------------------------------------

TEST_CASE("edges: expand rejects negative sizes and counts past 2^63", "[tensor][edges]") {
  const Tensor x = ones({1, 1});
  // expand(x, {-5, 3}) returned a tensor of shape (-5,3).
  CHECK_THAT(error_of([&] {
               expand(x, {-5, 3});
             }),
             Contains("expand: (1,1) -> (-5,3): size -5 in dimension 0 is negative"));
  CHECK_THAT(error_of([&] { expand(x, {-2, -1}); }), Contains("size -2 in dimension 0"));
  // -1 keeps a dimension (as in PyTorch); a new leading dimension has none to keep.
  CHECK(expand(x, {-1, 3}).shape() == Shape{1, 3});
  CHECK(expand(ones({2, 1}), {4, -1, 5}).shape() == Shape{4, 2, 5});
  CHECK_THAT(error_of([&] {
               expand(x, {-1, 1, 3});
             }),
             Contains("expand: (1,1) -> (-1,1,3): size -1 in dimension 0 (-1 keeps a dimension"));
  // A view needs no memory, so only the count check stops 2^80 stride-0 elements.
  CHECK_THAT(error_of([&] {
               expand(x, {std::int64_t{1} << 40, std::int64_t{1} << 40});
             }),
             Contains("expand: shape (1099511627776,1099511627776) has more than 2^63 elements"));
  CHECK(expand(x, {kTwo31, kTwo31}).numel() == kTwo62);  // fine: 2^62 elements, no storage
}

TEST_CASE("edges: view and reshape check the requested count without overflow", "[tensor][edges]") {
  const Tensor x = arange(4.0);
  // (2^62 + 1) * 4 wraps to 4, x's count: view used to accept it.
  CHECK_THAT(error_of([&] {
               view(x, {kTwo62 + 1, 4});
             }),
             Contains("view: shape (4611686018427387905,4) has more than 2^63 elements"));
  CHECK_THAT(error_of([&] {
               reshape(x, {kTwo62 + 1, 4});
             }),
             Contains("reshape: shape (4611686018427387905,4) has more than 2^63 elements"));
  // The product of the known sizes wraps to 4 too, and -1 became 1.
  CHECK_THAT(error_of([&] {
               view(x, {kTwo62 + 1, 4, -1});
             }),
             Contains("view: cannot infer -1 in (4611686018427387905,4,-1) for 4 elements"));
  CHECK_THAT(error_of([&] {
               reshape(x, {2, -3});
             }),
             Contains("reshape: negative size -3 in (2,-3)"));
  CHECK(view(x, {2, -1}).shape() == Shape{2, 2});
  // A zero size with huge others: an empty view of an empty tensor.
  CHECK(reshape(zeros({0}), {kTwo62, kTwo62, 0}).numel() == 0);
  CHECK_THAT(error_of([] {
               reshape(zeros({0}), {kTwo62, kTwo62, -1});
             }),
             Contains("reshape: cannot infer -1"));
}

TEST_CASE("edges: slice with a step near 2^63", "[tensor][edges]") {
  // ceil((stop - start) / step) was computed as (stop - start + step - 1) / step, which overflows
  // for such steps and gave no elements; Python's list(range(10))[0:10:2**63-1] is [0].
  const Tensor x = arange(10.0, 20.0, 1.0, DType::float64).set_requires_grad();
  const Tensor s = slice(x, 0, 0, 10, kInt64Max);
  CHECK(values(s) == std::vector<double>{10.0});
  CHECK(values(slice(x, 0, 3, 10, kInt64Max - 1)) == std::vector<double>{13.0});
  CHECK(values(slice(x, 0, 1, 10, 4)) == std::vector<double>{11.0, 15.0, 19.0});  // [1:10:4]
  sum(s * 3.0).backward();
  std::vector<double> expected(10, 0.0);
  expected[0] = 3.0;
  CHECK(values(x.grad()) == expected);
}

TEST_CASE("edges: concat, broadcasting and matmul check their result counts", "[tensor][edges]") {
  // Four sizes of 2^62 along one axis add up to 2^64, which wrapped to an empty (0,0) result.
  const Tensor part = zeros({0, kTwo62});
  CHECK_THAT(error_of([&] {
               concat({part, part, part, part}, 1);
             }),
             Contains("concat: the sizes along axis 1 add up to more than 2^63"));
  // Stride-0 views of one element: broadcasting them gives 2^64 elements, which wrapped to an
  // empty allocation that the add kernel then wrote through.
  const Tensor column = expand(ones({1, 1}), {kTwo32, 1});
  const Tensor row = expand(ones({1}), {kTwo32});
  CHECK_THAT(error_of([&] { column + row; }),
             Contains("add: shape (4294967296,4294967296) has more than 2^63 elements"));
  const Tensor mask = expand(ones({1, 1}, DType::bool_), {kTwo32, 1});
  CHECK_THAT(error_of([&] { where(mask, row, row); }), Contains("where: shape (4294967296,"));
  const Tensor a = expand(ones({1, 1, 1, 1}), {kTwo32, 1, 1, 1});
  const Tensor b = expand(ones({1, 1, 1}), {kTwo32, 1, 1});
  CHECK_THAT(error_of([&] { matmul(a, b); }),
             Contains("matmul: shape (4294967296,4294967296) has more than 2^63 elements"));
  CHECK_THAT(error_of([] {
               broadcast_shapes({kTwo32, 1}, {kTwo32}, "mine");
             }),
             Contains("mine: shape (4294967296,4294967296) has more than 2^63 elements"));
}

// ---- the allocator ---------------------------------------------------------------------------

// A backend that records what it was asked for and serves nothing larger than 1 KiB.
struct SmallBackend {
  static void* allocate(int, std::size_t bytes, void* context) {
    static_cast<SmallBackend*>(context)->asked.push_back(bytes);
    return bytes <= 1024 ? ::operator new(bytes) : nullptr;
  }
  static void deallocate(int, void* data, void*) noexcept { ::operator delete(data); }
  detail::AllocatorBackend backend() { return {&allocate, &deallocate, this, "fake"}; }
  std::vector<std::size_t> asked;
};

TEST_CASE("edges: size classes never wrap around size_t", "[tensor][edges][allocator]") {
  using detail::CachingAllocator;
  constexpr std::size_t kMax = CachingAllocator::kMaxRequest;
  constexpr std::size_t kTop = std::size_t{1} << 63;
  // The top octave [2^63, 2^64) has classes 2^63 * {1, 5/4, 6/4, 7/4}; the last is kMaxRequest.
  CHECK(kMax == kTop / 4 * 7);
  CHECK(CachingAllocator::round_size(kTop) == kTop);
  CHECK(CachingAllocator::round_size(kTop + 1) == kTop + kTop / 4);
  CHECK(CachingAllocator::round_size(kMax - 1) == kMax);
  CHECK(CachingAllocator::round_size(kMax) == kMax);
  // bytes + step - 1 wrapped for these and gave a class far smaller than the request.
  CHECK_THAT(error_of([] { CachingAllocator::round_size(kMax + 1); }),
             Contains("a request of 16140901064495857665 bytes is larger than the largest size "
                      "class (16140901064495857664 bytes)"));
  CHECK_THAT(
      error_of([] { CachingAllocator::round_size(std::numeric_limits<std::size_t>::max()); }),
      Contains("a request of 18446744073709551615 bytes"));
  // Every class is at least its request and at most 25% over it, near the top too.
  for (std::size_t bytes : {std::size_t{1} << 60, (std::size_t{1} << 62) + 3, kTop - 1, kTop + 7,
                            kTop + kTop / 2 + 1, kMax - kTop / 8}) {
    const std::size_t size = CachingAllocator::round_size(bytes);
    CHECK(size >= bytes);
    CHECK(static_cast<double>(size) <= 1.25 * static_cast<double>(bytes));
  }

  SmallBackend small;
  CachingAllocator allocator(small.backend());
  CHECK_THAT(error_of([&] { allocator.allocate(0, kMax + 1); }),
             Contains("fake: cannot allocate 16140901064495857665 bytes on fake:0"));
  CHECK(small.asked.empty());  // refused before the backend was asked
  CHECK_THAT(error_of([&] { allocator.allocate(0, 5000); }),
             Contains("fake: out of memory allocating 5000 bytes"));
  void* block = allocator.allocate(0, 100);
  CHECK(block != nullptr);
  allocator.deallocate(0, block, 100);
}

TEST_CASE("edges: CPU allocation failure is a kindling error, never std::bad_alloc",
          "[tensor][edges][allocator]") {
  const kernels::KernelTable& cpu = kernels::kernels_for(kCPU);
  CHECK_THAT(error_of([&] { cpu.allocate(kCPU, std::size_t{1} << 60); }),
             Contains("cpu: out of memory allocating 1152921504606846976 bytes"));
  CHECK_THAT(error_of([] { zeros({std::int64_t{1} << 60}, DType::float32); }),
             Contains("zeros: cannot allocate shape (1152921504606846976) of float32 "
                      "(4611686018427387904 bytes): cpu: out of memory allocating"));
}

// ---- undefined tensors
// ---------------------------------------------------------------------------

TEST_CASE("edges: every method of an undefined tensor throws naming itself", "[tensor][edges]") {
  const Tensor undefined;
  CHECK_FALSE(undefined.defined());
  // Tensor{}.numel() dereferenced null.
  CHECK_THAT(error_of([&] { (void)undefined.numel(); }),
             Contains("numel: the tensor is undefined (a default-constructed Tensor, or grad() "
                      "before any backward)"));
  const Tensor other = ones({2});
  const std::vector<std::pair<std::string, std::function<void()>>> methods = {
      {"dtype", [&] { (void)undefined.dtype(); }},
      {"device", [&] { (void)undefined.device(); }},
      {"shape", [&] { (void)undefined.shape(); }},
      {"strides", [&] { (void)undefined.strides(); }},
      {"offset", [&] { (void)undefined.offset(); }},
      {"dim", [&] { (void)undefined.dim(); }},
      {"size", [&] { (void)undefined.size(0); }},
      {"is_contiguous", [&] { (void)undefined.is_contiguous(); }},
      {"shares_storage", [&] { (void)undefined.shares_storage(other); }},
      {"shares_storage", [&] { (void)other.shares_storage(undefined); }},
      {"item", [&] { (void)undefined.item(); }},
      {"to_vector", [&] { (void)undefined.to_vector<float>(); }},
      {"data", [&] { (void)undefined.data<float>(); }},
      {"raw_data", [&] { (void)undefined.raw_data(); }},
      {"strided_view", [&] { (void)undefined.strided_view(); }},
      {"requires_grad", [&] { (void)undefined.requires_grad(); }},
      {"is_leaf", [&] { (void)undefined.is_leaf(); }},
      {"op", [&] { (void)undefined.op(); }},
      {"grad", [&] { (void)undefined.grad(); }},
      {"zero_grad", [&] { undefined.zero_grad(); }},
      {"backward", [&] { undefined.backward(); }},
      {"detach", [&] { (void)undefined.detach(); }},
      {"label", [&] { (void)undefined.label(); }},
      {"clone", [&] { (void)undefined.clone(); }},
      {"to", [&] { (void)undefined.to(DType::float64); }},
      {"to", [&] { (void)undefined.to(kCPU); }},
  };
  for (const auto& [name, call] : methods) {
    INFO(name);
    CHECK_THAT(error_of(call), Contains(name + ": the tensor is undefined"));
  }
  Tensor mutable_undefined;
  CHECK_THAT(error_of([&] { mutable_undefined.set_requires_grad(); }),
             Contains("set_requires_grad: the tensor is undefined"));
  CHECK_THAT(error_of([&] { mutable_undefined.set_label("x"); }),
             Contains("set_label: the tensor is undefined"));
  // The view methods reach the tensor through the checked accessors.
  CHECK_THAT(error_of([&] { (void)undefined.view({2}); }), Contains("the tensor is undefined"));
  CHECK_THAT(error_of([&] { (void)undefined.transpose(); }), Contains("the tensor is undefined"));
  CHECK_THAT(error_of([&] { (void)undefined.contiguous(); }), Contains("the tensor is undefined"));
  CHECK(to_string(undefined) == "tensor(undefined)");  // printing says so rather than throwing
}

TEST_CASE("edges: grad() before any backward is undefined, and using it throws",
          "[tensor][edges]") {
  const Tensor x = ones({1}).set_requires_grad();
  CHECK_FALSE(x.grad().defined());
  // x.grad().item() dereferenced null.
  CHECK_THAT(error_of([&] { (void)x.grad().item(); }), Contains("item: the tensor is undefined"));
  sum(x * 2.0).backward();
  CHECK(x.grad().item() == 2.0);
}

TEST_CASE("edges: ops given an undefined tensor throw kindling errors", "[tensor][edges]") {
  const Tensor u, x = ones({2, 2});
  CHECK_THAT(error_of([&] { u + x; }), Contains("add: the first operand is undefined"));
  CHECK_THAT(error_of([&] { x* u; }), Contains("mul: the second operand is undefined"));
  const std::vector<std::function<void()>> ops = {
      [&] { exp(u); },
      [&] { relu(u); },
      [&] { sum(u); },
      [&] { mean(u, {0}); },
      [&] { max(u); },
      [&] { argmax(u, 0); },
      [&] { matmul(u, x); },
      [&] { matmul(x, u); },
      [&] { where(u, x, x); },
      [&] { pow(u, 2.0); },
      [&] { reshape(u, {4}); },
      [&] {
        expand(u, {2, 2});
      },
      [&] {
        permute(u, {1, 0});
      },
      [&] { slice(u, 0, 0, 1); },
      [&] {
        concat({x, u});
      },
      [&] { stack({u}); },
      [&] { softmax(u); },
      [&] { cross_entropy(u, zeros({2}, DType::int64)); },
      [&] { cross_entropy(x, u); },
      [&] { one_hot(u, 3); },
      [&] { index_select(x, 0, u); },
      [&] {
        gather(u, 0, zeros({2, 2}, DType::int64));
      },
      [&] { cast(u, DType::float64); },
      [&] { zeros_like(u); },
  };
  for (std::size_t i = 0; i < ops.size(); ++i) {
    INFO("op " << i);
    CHECK_THAT(error_of(ops[i]), Contains("the tensor is undefined") || Contains("is undefined"));
  }
}

TEST_CASE("edges: argmax and argmin over a non-empty axis of an empty tensor give an empty result",
          "[tensor][edges]") {
  // torch.argmax(torch.empty(1, 1, 0), dim=-3) is an empty (1, 0) tensor; only an empty reduced
  // dimension has no answer (found by the differential test, seed 12, program 40345).
  const Tensor x = zeros({1, 1, 0});
  const Tensor i = argmax(x, -3);
  CHECK(i.dtype() == DType::int64);
  CHECK(i.shape() == Shape{1, 0});
  CHECK(argmin(x, 0, true).shape() == Shape{1, 1, 0});
  CHECK(argmax(zeros({3, 0}), 0).shape() == Shape{0});
  CHECK_THAT(error_of([&] { argmax(x, 2); }),
             Contains("argmax: reducing an empty dimension of shape (1,1,0)"));
  CHECK_THAT(error_of([&] { argmin(zeros({0})); }),
             Contains("argmin: reducing an empty dimension of shape (0)"));
}

}  // namespace
}  // namespace kindling
