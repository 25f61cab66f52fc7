// Safe at the edges (issue 11) in the layers: a layer whose parameters would need more than 2^63
// bytes is a kindling::error naming the shape, not a write past a small block. The shape checks
// themselves are tested in tests/tensor/test_edge_shapes.cpp.
#include <catch2/catch.hpp>
#include <cstdint>

#include "kindling/engine/error.hpp"
#include "kindling/nn/init.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"

using namespace kindling;

TEST_CASE("Linear with 2^31 x 2^31 weights is an error naming the shape", "[nn][edges]") {
  Generator g(1);
  constexpr std::int64_t kTwo31 = std::int64_t{1} << 31;
  // The weight's 2^62 float32 elements are 2^64 bytes: the size wrapped to 0 and cpu::fill wrote
  // past a 512-byte block (a heap-buffer-overflow under ASan, a segfault in Release).
  CHECK_THROWS_AS(nn::Linear(kTwo31, kTwo31, g), kindling::error);
  CHECK_THROWS_WITH(
      nn::Linear(kTwo31, kTwo31, g),
      Catch::Contains("shape (2147483648,2147483648) of float32 needs more than 2^63 bytes"));
  // 2^32 x 2^32 elements do not even fit in int64.
  CHECK_THROWS_WITH(nn::Linear(std::int64_t{1} << 32, std::int64_t{1} << 32, g),
                    Catch::Contains("shape (4294967296,4294967296) has more than 2^63 elements"));
}

TEST_CASE("init draws into a huge view are kindling errors, not bad_alloc", "[nn][edges]") {
  Generator g(1);
  // A stride-0 view of one element claims 2^58 of them: the draws used to go into a
  // std::vector<double> of 2^58 first, which threw std::length_error or std::bad_alloc.
  const Tensor huge = expand(zeros({1}), {std::int64_t{1} << 58});
  CHECK_THROWS_AS(nn::init::uniform_(huge, -1.0, 1.0, g), kindling::error);
  CHECK_THROWS_AS(nn::init::normal_(huge, 0.0, 1.0, g), kindling::error);
  // An ordinary tensor still gets the Generator's draws, in order.
  const Tensor w = zeros({2, 3});
  Generator a(7), b(7);
  nn::init::uniform_(w, -2.0, 3.0, a);
  const std::vector<double> got = w.to_vector<double>();
  for (double v : got)
    CHECK(v == static_cast<double>(static_cast<float>(b.uniform(-2.0, 3.0))));
}
