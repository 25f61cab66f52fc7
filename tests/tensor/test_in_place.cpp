// The public in-place writes, Tensor::copy_, fill_ and zero_ (Note [in-place writes]): what they
// write (PyTorch's values: broadcasting, dtype conversion, overlapping copies), that they bump the
// version a backward checks, and the writes they refuse because kindling does not record them.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <vector>

#include "kindling/tensor.hpp"

namespace kindling {
namespace {

using Catch::Matchers::Contains;

std::vector<double> values(const Tensor& t) {
  return t.to_vector<double>();
}

TEST_CASE("copy_ writes through to views, broadcasts, converts and bumps the version",
          "[tensor][in_place]") {
  const Tensor dst = zeros({2, 3});
  const Tensor view = slice(dst, 1, 1, 3);  // columns 1 and 2 of both rows
  const Tensor returned = view.copy_(tensor({7.5, -1.0}, {2}, DType::float64));  // (2,) -> (2,2)
  CHECK(values(dst) == std::vector<double>{0, 7.5, -1, 0, 7.5, -1});
  CHECK(returned.same_node(view));
  CHECK(dst.version() == 1);  // views share the storage's counter
  CHECK(dst.dtype() == DType::float32);

  // float -> int64 converts as cast() does (truncation toward zero), as torch's copy_.
  const Tensor counts = zeros({3}, DType::int64);
  counts.copy_(tensor({2.9, -2.9, 0.5}));
  CHECK(counts.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, -2, 0});
}

TEST_CASE("copy_ from an overlapping view reads every value before it is overwritten",
          "[tensor][in_place]") {
  // x[1:].copy_(x[:-1]) on [1,2,3,4]: NumPy's y[1:] = y[:-1] gives [1,1,2,3]; torch 1.13 refuses
  // it ("some elements of the input tensor and the written-to tensor refer to a single memory
  // location"). A plain front-to-back copy would smear the first value along: [1,1,1,1].
  const Tensor x = tensor({1, 2, 3, 4});
  slice(x, 0, 1, 4).copy_(slice(x, 0, 0, 3));
  CHECK(values(x) == std::vector<double>{1, 1, 2, 3});
  // Strided, so no memmove saves it. NumPy gives y[2::2] = 1 3 5 from y[0:6:2] (it copies an
  // overlapping source first); torch 1.13 gives 1 1 1, its loop order reading values it has
  // already overwritten, which no user means. kindling follows NumPy.
  const Tensor y = arange(1.0, 9.0);
  slice(y, 0, 2, 8, 2).copy_(slice(y, 0, 0, 6, 2));
  CHECK(values(y) == std::vector<double>{1, 2, 1, 4, 3, 6, 5, 8});
}

TEST_CASE("fill_ and zero_ write every element, exactly for large int64 values",
          "[tensor][in_place]") {
  const Tensor t = ones({2, 2});
  CHECK(values(t.fill_(-0.25)) == std::vector<double>{-0.25, -0.25, -0.25, -0.25});
  CHECK(values(t.zero_()) == std::vector<double>{0, 0, 0, 0});
  CHECK(t.version() == 2);

  // 2^53 + 1 is not a double: through a double it would become 2^53.
  const Tensor big = zeros({2}, DType::int64);
  const std::int64_t value = (std::int64_t{1} << 53) + 1;
  big.fill_(value);
  CHECK(big.to_vector<std::int64_t>() == std::vector<std::int64_t>{value, value});
  big.fill_(INT64_MIN);
  CHECK(big.to_vector<std::int64_t>() == std::vector<std::int64_t>{INT64_MIN, INT64_MIN});
}

TEST_CASE("an in-place write after the op saved the tensor makes backward refuse",
          "[tensor][in_place][version]") {
  const Tensor w = tensor({1, 2}).set_requires_grad();
  const Tensor x = tensor({3, 4});
  const Tensor loss = sum(w * x);  // mul saves x for w's gradient
  x.fill_(0);
  CHECK_THROWS_WITH(loss.backward(),
                    Contains("mul saved a tensor that was modified in place after it was saved") &&
                        Contains("version 1, expected 0"));
}

TEST_CASE("in-place writes that autograd would have to record are errors in grad mode",
          "[tensor][in_place][errors]") {
  const Tensor leaf = tensor({1, 2}).set_requires_grad();
  CHECK_THROWS_WITH(leaf.fill_(0), Contains("fill_: a leaf tensor that requires grad (shape (2)) "
                                            "is being used in an in-place operation"));
  CHECK_THROWS_WITH(leaf.copy_(zeros({2})), Contains("copy_: a leaf tensor that requires grad"));
  CHECK_THROWS_WITH((leaf * 2.0).zero_(),
                    Contains("fill_: the tensor of shape (2) came from mul and requires grad"));
  CHECK_THROWS_WITH(zeros({2}).copy_(leaf),
                    Contains("copy_: src (shape (2)) requires grad, and in-place copies are not "
                             "recorded"));
  CHECK(leaf.version() == 0);  // nothing was written
  {
    const no_grad guard;  // as optimizers and initialisers write parameters
    leaf.fill_(5);
    zeros({2}).copy_(leaf);
  }
  CHECK(values(leaf) == std::vector<double>{5, 5});
}

TEST_CASE("bad in-place writes name the function and the shapes", "[tensor][in_place][errors]") {
  const Tensor dst = zeros({2, 3});
  CHECK_THROWS_WITH(dst.copy_(zeros({4})),
                    Contains("copy_") && Contains("(2,3)") && Contains("(4)"));
  // A larger source broadcasts against dst but cannot fit into it.
  CHECK_THROWS_WITH(zeros({3}).copy_(zeros({2, 3})),
                    Contains("copy_: src of shape (2,3) cannot be broadcast to the destination's "
                             "shape (3)"));
  CHECK_THROWS_WITH(dst.copy_(Tensor{}), Contains("copy_: src is an undefined tensor"));
  CHECK_THROWS_WITH(Tensor{}.fill_(1), Contains("fill_"));
  CHECK_THROWS_WITH(zeros({2}, DType::int64).fill_(std::numeric_limits<double>::quiet_NaN()),
                    Contains("fill_: value nan cannot be converted to int64 without overflow"));
  // Writing into an expanded view would write one storage element once per alias.
  const Tensor expanded = zeros({1, 3}).expand({4, 3});
  CHECK_THROWS_WITH(expanded.fill_(1),
                    Contains("fill_: the tensor of shape (4,3) is an expanded view (dimension 0 "
                             "has stride 0)"));
  CHECK(values(dst) == std::vector<double>(6, 0.0));
}

}  // namespace
}  // namespace kindling
