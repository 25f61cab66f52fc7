// Safe at the edges (issue 11) in the layers: a layer whose parameters would need more than 2^63
// bytes is a kindling::error naming the shape, not a write past a small block. The shape checks
// themselves are tested in tests/tensor/test_edge_shapes.cpp.
#include <catch2/catch.hpp>
#include <cstdint>

#include "kindling/engine/error.hpp"
#include "kindling/nn/layers.hpp"

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
