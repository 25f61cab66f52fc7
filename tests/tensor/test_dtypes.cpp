// Dtypes at the edges: PyTorch's promotion rules (Note [type promotion]) through the C++ scalar
// overloads, true division, wrapping int64 arithmetic, the defined float-to-int64 conversion
// (Note [float to int64]) and the bool dtype through creation, casts, masks and reductions.
// Expected values are PyTorch 1.13's, each with the torch expression that gives it; the Python
// test tests/python/test_dtypes.py runs the full operand grid against torch itself.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kindling/tensor.hpp"
#include "kindling/tensor/element.hpp"

namespace kindling {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

Tensor ints(std::vector<std::int64_t> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n});
}
Tensor bools(std::vector<bool> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n});
}
std::vector<double> values(const Tensor& t) {
  return t.to_vector<double>();
}

// ---- result_type --------------------------------------------------------------------------------

constexpr TypedOperand dim(DType d) {
  return {d, OperandKind::dimensioned};
}
constexpr TypedOperand zero(DType d) {
  return {d, OperandKind::zero_dim};
}
constexpr TypedOperand number(DType d) {
  return {d, OperandKind::wrapped_number};
}
// torch.result_type of the same operands (tensors made with torch.tensor, numbers as Python ones).
static_assert(result_type({dim(DType::int64), number(DType::float64)}) == DType::float32);
static_assert(result_type({dim(DType::float32), zero(DType::float64)}) == DType::float32);
static_assert(result_type({dim(DType::int64), zero(DType::float64)}) == DType::float64);
static_assert(result_type({dim(DType::float32), dim(DType::float64)}) == DType::float64);
static_assert(result_type({zero(DType::float32), zero(DType::float64)}) == DType::float64);
static_assert(result_type({dim(DType::bool_), number(DType::int64)}) == DType::int64);
static_assert(result_type({dim(DType::bool_), number(DType::bool_)}) == DType::bool_);
static_assert(result_type({dim(DType::int64), number(DType::bool_)}) == DType::int64);
static_assert(result_type({dim(DType::float64), number(DType::float64)}) == DType::float64);
static_assert(result_type({zero(DType::int64), number(DType::float64)}) == DType::float32);
static_assert(result_type({zero(DType::float64), number(DType::float64)}) == DType::float64);
static_assert(result_type({zero(DType::bool_), dim(DType::float32)}) == DType::float32);
static_assert(result_type({zero(DType::int64), dim(DType::bool_)}) == DType::int64);
static_assert(result_type({number(DType::int64), number(DType::float64)}) == DType::float32);

TEST_CASE("result_type: tensors, 0-d tensors and numbers", "[tensor][dtype]") {
  const Tensor i = ints({1, 2}), f = tensor({1, 2}), d = tensor({1, 2}, DType::float64);
  CHECK(result_type(i, 0.5) == DType::float32);
  CHECK(result_type(0.5, i) == DType::float32);
  CHECK(result_type(i, 2) == DType::int64);
  CHECK(result_type(f, scalar_tensor(1, DType::float64)) == DType::float32);
  CHECK(result_type(scalar_tensor(1, DType::float64), f) == DType::float32);
  CHECK(result_type(i, scalar_tensor(1, DType::float64)) == DType::float64);
  CHECK(result_type(d, 0.5f) == DType::float64);
  CHECK(result_type(bools({true}), true) == DType::bool_);
  CHECK(result_type(bools({true}), 3) == DType::int64);
  CHECK(result_type(Scalar(1), Scalar(2.0)) == DType::float32);
}

// ---- the C++ scalar overloads are wrapped numbers -----------------------------------------------

TEST_CASE("scalar overloads: numbers promote as PyTorch's wrapped numbers", "[tensor][dtype]") {
  // torch.tensor([1, 2]) + 0.5 -> tensor([1.5, 2.5]) (float32); * 1.5 -> [1.5, 3.0]
  const Tensor i = ints({1, 2});
  const Tensor plus = i + 0.5;
  CHECK(plus.dtype() == DType::float32);
  CHECK(values(plus) == std::vector<double>{1.5, 2.5});
  const Tensor times = i * 1.5;
  CHECK(times.dtype() == DType::float32);
  CHECK(values(times) == std::vector<double>{1.5, 3.0});
  CHECK(values(0.5 * i) == std::vector<double>{0.5, 1.0});
  CHECK(values(1 - i) == std::vector<double>{0, -1});
  CHECK((1 - i).dtype() == DType::int64);
  CHECK((2 * i).dtype() == DType::int64);
  CHECK(values(3.0 / i) == std::vector<double>{3.0, 1.5});
  // float32 * a float64 0-d tensor stays float32; int64 * a float64 0-d tensor is float64.
  const Tensor f = tensor({1, 2});
  CHECK((f * scalar_tensor(2, DType::float64)).dtype() == DType::float32);
  CHECK((i * scalar_tensor(2.5, DType::float64)).dtype() == DType::float64);
  CHECK(values(i * scalar_tensor(2.5, DType::float64)) == std::vector<double>{2.5, 5.0});
  // A float64 tensor keeps a number at double precision: float64 [1] + 0.1 is 1.1 exactly as in
  // double arithmetic, not 1 + float(0.1).
  CHECK(values(tensor({1}, DType::float64) + 0.1)[0] == 1.0 + 0.1);
  // and a float32 tensor takes the number in float32.
  CHECK(values(tensor({1}) + 0.1)[0] == static_cast<double>(1.0f + 0.1f));
  // bool [True, False] + 1 -> int64 [2, 1]; * 1.5 -> float32 [1.5, 0]
  const Tensor b = bools({true, false});
  CHECK((b + 1).dtype() == DType::int64);
  CHECK(values(b + 1) == std::vector<double>{2, 1});
  CHECK((b * 1.5).dtype() == DType::float32);
  CHECK(values(b * 1.5) == std::vector<double>{1.5, 0});
  CHECK((b + true).dtype() == DType::bool_);
  // Integers stay exact: torch.tensor([2**62]) + (2**62 - 1) == 2**63 - 1.
  const std::int64_t big = std::int64_t{1} << 62;
  CHECK((ints({big}) + (big - 1)).to_vector<std::int64_t>() == std::vector<std::int64_t>{kMax});
  CHECK(full({2}, kMax, DType::int64).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{kMax, kMax});
  // Comparisons with numbers on either side, computed in the promoted type:
  // torch.tensor([1, 2]) < 1.5 -> [True, False]; 1.5 < torch.tensor([1, 2]) -> [False, True]
  CHECK((i < 1.5).dtype() == DType::bool_);
  CHECK((i < 1.5).to_vector<bool>() == std::vector<bool>{true, false});
  CHECK((1.5 < i).to_vector<bool>() == std::vector<bool>{false, true});
  CHECK((1.5 >= i).to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(eq(i, 2.5).to_vector<bool>() == std::vector<bool>{false, false});
  CHECK(eq(i, 2).to_vector<bool>() == std::vector<bool>{false, true});
}

TEST_CASE("bool operands: subtraction and negation are errors, as in PyTorch", "[tensor][dtype]") {
  const Tensor b = bools({true, false});
  CHECK_THROWS_WITH(
      b - b, Catch::Contains("sub: not supported for bool") && Catch::Contains("logical_xor"));
  CHECK_THROWS_WITH(ints({1}) - true, Catch::Contains("sub: not supported for bool"));
  CHECK_THROWS_WITH(1.5 - b, Catch::Contains("sub: not supported for bool"));
  CHECK_THROWS_WITH(-b, Catch::Contains("neg: not supported for bool"));
  CHECK_THROWS_WITH(pow(b, b), Catch::Contains("pow: not supported for a bool result"));
  // b ** 2.0 and b ** 2 are fine: float32 [1, 0] and int64 [1, 0].
  CHECK(pow(b, 2.0).dtype() == DType::float32);
  CHECK(pow(b, 2).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
  // b + b is or, b * b is and (torch: tensor([True, False]) for both with b = [True, False]).
  const Tensor c = bools({true, true});
  CHECK((b + c).to_vector<bool>() == std::vector<bool>{true, true});
  CHECK((b * c).to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(maximum(b, ints({0, 2})).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2});
}

// ---- division and integer arithmetic ------------------------------------------------------------

TEST_CASE("division is true division, no integer is divided by zero", "[tensor][dtype]") {
  // torch.tensor([7, -7, 1, 0]) / torch.tensor([2, 2, 0, 0]) -> float32 [3.5, -3.5, inf, nan]
  const Tensor q = ints({7, -7, 1, 0}) / ints({2, 2, 0, 0});
  CHECK(q.dtype() == DType::float32);
  const std::vector<double> v = values(q);
  CHECK(v[0] == 3.5);
  CHECK(v[1] == -3.5);
  CHECK(v[2] == kInf);
  CHECK(std::isnan(v[3]));
  // torch.tensor([-2**63]) / torch.tensor([-1]) -> tensor([9.2234e+18]); this used to kill the
  // process with SIGFPE.
  const Tensor edge = ints({kMin}) / ints({-1});
  CHECK(edge.dtype() == DType::float32);
  CHECK(values(edge)[0] == 9223372036854775808.0);
  CHECK((ints({3}) / 2).dtype() == DType::float32);
  CHECK(values(ints({3}) / 2)[0] == 1.5);
  CHECK((bools({true}) / bools({true})).dtype() == DType::float32);
  CHECK((ints({3}) / scalar_tensor(2, DType::float64)).dtype() == DType::float64);
  // The int64 kernel itself is defined for every divisor (a direct kernel call cannot trap).
  const Tensor a = ints({kMin, 5, 7}), b = ints({-1, 0, -2});
  Tensor out = zeros({3}, DType::int64);
  kernels::kernels_for(kCPU).binary(kernels::BinaryKernel::div, a.strided_view(), b.strided_view(),
                                    out.strided_view());
  CHECK(out.to_vector<std::int64_t>() == std::vector<std::int64_t>{kMin, 0, -3});
}

TEST_CASE("int64 add, sub, mul, neg and abs wrap around as in PyTorch", "[tensor][dtype]") {
  // torch.tensor(2**62) * 4 -> 0; torch.tensor(-2**63) - 1 -> 2**63 - 1;
  // torch.tensor([-2**63]).abs() and -torch.tensor([-2**63]) -> [-2**63]
  const std::int64_t big = std::int64_t{1} << 62;
  CHECK((ints({big}) * 4).to_vector<std::int64_t>()[0] == 0);
  CHECK((ints({kMin}) - 1).to_vector<std::int64_t>()[0] == kMax);
  CHECK((ints({kMax}) + ints({1})).to_vector<std::int64_t>()[0] == kMin);
  CHECK(abs(ints({kMin})).to_vector<std::int64_t>()[0] == kMin);
  CHECK(neg(ints({kMin})).to_vector<std::int64_t>()[0] == kMin);
  CHECK(sum(ints({kMax, 1})).to_vector<std::int64_t>()[0] == kMin);
  CHECK(sum(from_vector<std::int64_t>({kMax, 0, kMax, 2}, {2, 2}), {0}).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{-2, 2});
}

TEST_CASE("int64 pow: negative exponents and large ones", "[tensor][dtype]") {
  // torch.tensor([2]) ** -1 -> "Integers to negative integer powers are not allowed."
  CHECK_THROWS_WITH(pow(ints({2}), -1),
                    Catch::Contains("pow: integers to negative integer powers are not allowed"));
  CHECK_THROWS_WITH(pow(bools({true}), -1), Catch::Contains("negative integer powers"));
  // A floating exponent promotes: torch.tensor([1, 2]) ** -0.5 -> [1.0, 0.7071] (float32).
  CHECK(pow(ints({1, 2}), -0.5).dtype() == DType::float32);
  CHECK(values(pow(ints({4}), -0.5))[0] == 0.5);
  // Tensor exponents take PyTorch's definition:
  // torch.tensor([2, -1, -1, 0, 1]) ** torch.tensor([-1, -1, -2, -1, -5]) -> [0, -1, 1, 0, 1]
  CHECK(pow(ints({2, -1, -1, 0, 1}), ints({-1, -1, -2, -1, -5})).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{0, -1, 1, 0, 1});
  // torch.tensor([3]) ** torch.tensor([2**62]) -> [1] (and returns at once: by squaring);
  // torch.tensor([-1]) ** torch.tensor([-2**63]) -> [1]; (-2) ** torch.tensor([1, 2]) -> [-2, 4]
  CHECK(pow(ints({3}), ints({std::int64_t{1} << 62})).to_vector<std::int64_t>()[0] == 1);
  CHECK(pow(ints({-1}), ints({kMin})).to_vector<std::int64_t>()[0] == 1);
  CHECK(pow(-2, ints({1, 2})).to_vector<std::int64_t>() == std::vector<std::int64_t>{-2, 4});
  CHECK(pow(2.0, ints({1, 2})).dtype() == DType::float32);
  CHECK(pow(ints({3}), 40).to_vector<std::int64_t>()[0] ==
        element::wrapping_mul(element::int_pow(3, 20), element::int_pow(3, 20)));
  CHECK(element::int_pow(3, 4) == 81);
}

// ---- float -> int64 -----------------------------------------------------------------------------

TEST_CASE("float to int64 conversion is defined and matches PyTorch bit for bit",
          "[tensor][dtype]") {
  // torch.tensor([nan, inf, -inf, 1e30, -1e30, 2.7, -2.7, 2**63, -2**63, 2**63 - 1024]).long()
  //   -> [INT64_MIN x5, 2, -2, INT64_MIN, INT64_MIN, 9223372036854774784]
  const std::vector<double> in = {kNaN,
                                  kInf,
                                  -kInf,
                                  1e30,
                                  -1e30,
                                  2.7,
                                  -2.7,
                                  9223372036854775808.0,
                                  -9223372036854775808.0,
                                  9223372036854774784.0};
  const std::vector<std::int64_t> expected = {kMin, kMin, kMin, kMin, kMin,
                                              2,    -2,   kMin, kMin, 9223372036854774784};
  for (DType from : {DType::float64, DType::float32}) {
    INFO(dtype_name(from));
    const Tensor x = from_vector(in, {static_cast<std::int64_t>(in.size())}, from);
    std::vector<std::int64_t> want = expected;
    if (from == DType::float32) want.back() = kMin;  // 2^63 - 1024 rounds to 2^63 in float32
    CHECK(cast(x, DType::int64).to_vector<std::int64_t>() == want);
    CHECK(x.to_vector<std::int64_t>() == want);
    // A strided source goes through the same conversion.
    const Tensor strided = concat({x.reshape({-1, 1}), x.reshape({-1, 1})}, 1).slice(1, 0, 1);
    CHECK(cast(strided, DType::int64).reshape({-1}).to_vector<std::int64_t>() == want);
  }
  // Host data converted at creation too.
  CHECK(from_vector<double>({kNaN, 1e19, 3.9}, {3}, DType::int64).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{kMin, kMin, 3});
  for (std::size_t k = 0; k < in.size(); ++k)
    CHECK(element::float_to_int64(in[k]) == expected[k]);
}

TEST_CASE("fills into int64 reject NaN and out-of-range values, as torch.full does",
          "[tensor][dtype]") {
  // torch.full((2,), nan, dtype=torch.long) -> "value cannot be converted to type int64_t
  // without overflow"; so are inf and -9.3e18. 2**63 passes and gives INT64_MIN; 2.7 gives 2.
  CHECK_THROWS_WITH(
      full({2}, kNaN, DType::int64),
      Catch::Contains("full: value nan cannot be converted to int64 without overflow"));
  CHECK_THROWS_WITH(full({2}, 1e30, DType::int64), Catch::Contains("without overflow"));
  CHECK_THROWS_WITH(full({2}, kInf, DType::int64), Catch::Contains("without overflow"));
  CHECK_THROWS_WITH(full({2}, -9.3e18, DType::int64), Catch::Contains("without overflow"));
  CHECK_THROWS_WITH(full_like(ints({1}), kNaN), Catch::Contains("without overflow"));
  CHECK_THROWS_WITH(scalar_tensor(-kInf, DType::int64), Catch::Contains("without overflow"));
  CHECK(full({1}, 9223372036854775808.0, DType::int64).to_vector<std::int64_t>()[0] == kMin);
  CHECK(full({2}, 2.7, DType::int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 2});
  CHECK(full({1}, -2.7, DType::int64).to_vector<std::int64_t>()[0] == -2);
  // Other dtypes take anything: torch.full((1,), nan, dtype=torch.bool) -> [True]
  CHECK(full({1}, kNaN, DType::bool_).to_vector<bool>()[0]);
  CHECK(std::isnan(full({1}, kNaN).item()));
  CHECK(fits_dtype(kNaN, DType::float32));
  CHECK_FALSE(fits_dtype(kNaN, DType::int64));
  CHECK(fits_dtype(kMin, DType::int64));
}

// ---- the bool dtype -----------------------------------------------------------------------------

TEST_CASE("bool: the dtype, creation and host data", "[tensor][dtype][bool]") {
  CHECK(dtype_name(DType::bool_) == "bool");
  CHECK(dtype_size(DType::bool_) == 1);
  CHECK_FALSE(is_floating(DType::bool_));
  CHECK(dtype_of<bool>() == DType::bool_);
  CHECK(zeros({3}, DType::bool_).to_vector<bool>() == std::vector<bool>{false, false, false});
  CHECK(ones({2}, DType::bool_).to_vector<bool>() == std::vector<bool>{true, true});
  CHECK(full({2}, 0.25, DType::bool_).to_vector<bool>() == std::vector<bool>{true, true});
  CHECK(tensor({0, 2, -1, 0.5}, DType::bool_).to_vector<bool>() ==
        std::vector<bool>{false, true, true, true});
  const Tensor b = from_vector(std::vector<bool>{true, false, true, true, false, false}, {2, 3});
  CHECK(b.dtype() == DType::bool_);
  CHECK(b.to_vector<bool>() == std::vector<bool>{true, false, true, true, false, false});
  CHECK(b.to_vector<double>() == std::vector<double>{1, 0, 1, 1, 0, 0});
  CHECK(b.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0, 1, 1, 0, 0});
  CHECK(*b.data<bool>());
  CHECK(from_vector(std::vector<bool>{true, false}, {2}, DType::float64).to_vector<double>() ==
        std::vector<double>{1, 0});
  CHECK(scalar_tensor(true, DType::bool_).item() == 1.0);
  CHECK_THROWS_WITH(zeros({2}, DType::bool_).set_requires_grad(),
                    Catch::Contains("only floating-point tensors can require grad, not bool"));
  Generator gen(1);
  CHECK_THROWS_WITH(rand({2}, gen, DType::bool_),
                    Catch::Contains("rand: needs a floating dtype, got bool"));
}

TEST_CASE("bool: casts to and from every dtype, copies and fills", "[tensor][dtype][bool]") {
  // torch.tensor([0.5, nan, 0., -0., -2.]).bool() -> [True, True, False, False, True]
  const Tensor f = tensor({0.5, NAN, 0.0, -0.0, -2.0});
  CHECK(cast(f, DType::bool_).to_vector<bool>() ==
        std::vector<bool>{true, true, false, false, true});
  CHECK(cast(cast(f, DType::float64), DType::bool_).to_vector<bool>() ==
        std::vector<bool>{true, true, false, false, true});
  CHECK(cast(ints({0, 3, kMin}), DType::bool_).to_vector<bool>() ==
        std::vector<bool>{false, true, true});
  const Tensor b = bools({true, false, true});
  for (DType to : {DType::float32, DType::float64, DType::int64, DType::bool_}) {
    INFO(dtype_name(to));
    const Tensor c = cast(b, to);
    CHECK(c.dtype() == to);
    CHECK(values(c) == std::vector<double>{1, 0, 1});
  }
  // A cast to bool carries no gradient, and a cast from bool feeds a graph like any constant.
  const Tensor x = tensor({1, -2}).set_requires_grad();
  CHECK_FALSE(cast(x, DType::bool_).requires_grad());
  const Tensor y = sum(x * cast(gt(x, 0), DType::float32));
  y.backward();
  CHECK(values(x.grad()) == std::vector<double>{1, 0});
  // Copies of strided bool views, and fills into them.
  const Tensor m = from_vector(std::vector<bool>{true, false, false, true, true, false}, {2, 3});
  CHECK(m.transpose(0, 1).contiguous().to_vector<bool>() ==
        std::vector<bool>{true, true, false, true, false, false});
  CHECK(m.transpose(0, 1).clone().to_vector<bool>() ==
        std::vector<bool>{true, true, false, true, false, false});
  const Tensor filled = zeros({2, 3}, DType::bool_);
  kernels::kernels_for(kCPU).fill(filled.slice(1, 1, 2).strided_view(), 3.0);
  CHECK(filled.to_vector<bool>() == std::vector<bool>{false, true, false, false, true, false});
  CHECK(concat({m, bools({true, true, true}).reshape({1, 3})}, 0).dtype() == DType::bool_);
  CHECK(stack({bools({true}), bools({false})}).to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(index_select(m, 1, ints({2, 0})).to_vector<bool>() ==
        std::vector<bool>{false, true, false, true});
  CHECK(gather(m, 1, from_vector<std::int64_t>({1, 0}, {2, 1})).to_vector<bool>() ==
        std::vector<bool>{false, true});
  // concat of bool and int64 promotes as torch.cat does.
  CHECK(concat({bools({true}), ints({5})}).dtype() == DType::int64);
}

TEST_CASE("bool: comparisons return masks, where and masked_fill take them",
          "[tensor][dtype][bool]") {
  const Tensor x = tensor({1, 2, 3});
  for (const Tensor& mask : {eq(x, 2), ne(x, 2), lt(x, tensor({2})), le(x, 2), gt(x, 2), ge(x, 2),
                             x < x, x >= 2.5, logical_not(x)}) {
    CHECK(mask.dtype() == DType::bool_);
    CHECK_FALSE(mask.requires_grad());
  }
  // nan != x is true (torch.tensor([nan]) != torch.tensor([nan]) -> [True]), on every SIMD path:
  // 40 elements run through the vector body and the tail.
  const Tensor nans = full({40}, NAN);
  CHECK(all(ne(nans, nans)).item() == 1.0);
  CHECK(any(eq(nans, nans)).item() == 0.0);
  CHECK(all(ne(nans, 0)).item() == 1.0);
  CHECK(ne(tensor({NAN, 1, 2}), tensor({NAN, 1, 3})).to_vector<bool>() ==
        std::vector<bool>{true, false, true});
  // torch.where requires a bool condition ("where expected condition to be a boolean tensor").
  CHECK_THROWS_WITH(where(tensor({1, 0}), x.slice(0, 0, 2), 0.0),
                    Catch::Contains("where: the condition must be bool, got float32"));
  // torch.where(torch.tensor([True, False]), torch.tensor([1, 2]), 0.5) -> float32 [1.0, 0.5]
  const Tensor w = where(bools({true, false}), ints({1, 2}), 0.5);
  CHECK(w.dtype() == DType::float32);
  CHECK(values(w) == std::vector<double>{1.0, 0.5});
  // torch.where(c, torch.tensor(1.0, dtype=torch.float64), torch.tensor([1, 2])) -> float64
  CHECK(where(bools({true, false}), scalar_tensor(1.0, DType::float64), ints({1, 2})).dtype() ==
        DType::float64);
  CHECK(where(bools({true, false}), 1, 0).dtype() == DType::int64);
  CHECK(where(bools({true, false}), 1.0, 0).dtype() == DType::float32);
  // No gradient to the condition; the operands get theirs.
  const Tensor a = tensor({1, 2}).set_requires_grad();
  sum(where(gt(a, 1.5), a * 3.0, a)).backward();
  CHECK(values(a.grad()) == std::vector<double>{1, 3});

  // masked_fill keeps x's dtype: torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]),
  // 1.5) -> [1, 2]; with nan -> "value cannot be converted to type int64_t without overflow".
  const Tensor i = ints({1, 2});
  const Tensor filled = masked_fill(i, bools({true, false}), 1.5);
  CHECK(filled.dtype() == DType::int64);
  CHECK(filled.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2});
  CHECK(masked_fill(i, bools({false, true}), 7).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{1, 7});
  CHECK_THROWS_WITH(masked_fill(i, bools({true, false}), kNaN),
                    Catch::Contains("masked_fill: value nan cannot be converted to int64"));
  CHECK_THROWS_WITH(masked_fill(i, ints({1, 0}), 0), Catch::Contains("the mask must be bool"));
  CHECK_THROWS_WITH(masked_fill(i, bools({true, false, true}), 0),
                    Catch::Contains("masked_fill: (2) and (3): shapes do not broadcast"));
  // A (2, 1) mask broadcasts the result: [[5, 5], [1, 2]], as torch 1.13's masked_fill does.
  CHECK(masked_fill(i, from_vector(std::vector<bool>{true, false}, {2, 1}), 5)
            .to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 5, 1, 2});
  const Tensor v = scalar_tensor(2.0).set_requires_grad();
  const Tensor g = tensor({1, 2, 3}).set_requires_grad();
  sum(masked_fill(g, bools({true, false, true}), v) * tensor({10, 20, 30})).backward();
  CHECK(v.grad().item() == 40.0);
  CHECK(values(g.grad()) == std::vector<double>{0, 20, 0});
}

TEST_CASE("bool: logical ops and the mask operators", "[tensor][dtype][bool]") {
  const Tensor p = bools({true, true, false, false}), q = bools({true, false, true, false});
  CHECK((p & q).to_vector<bool>() == std::vector<bool>{true, false, false, false});
  CHECK((p | q).to_vector<bool>() == std::vector<bool>{true, true, true, false});
  CHECK((p ^ q).to_vector<bool>() == std::vector<bool>{false, true, true, false});
  CHECK((~p).to_vector<bool>() == std::vector<bool>{false, false, true, true});
  CHECK_THROWS_WITH(ints({1}) & ints({1}), Catch::Contains("operator&: needs bool tensors"));
  CHECK_THROWS_WITH(~tensor({1}), Catch::Contains("operator~: needs bool tensors"));
  // torch.logical_and(torch.tensor([1., 2.]), torch.tensor([1, 2])) -> [True, True];
  // torch.logical_not(torch.tensor([nan, 0.])) -> [False, True]
  CHECK(logical_and(tensor({1, 0}), ints({1, 2})).to_vector<bool>() ==
        std::vector<bool>{true, false});
  CHECK(logical_not(tensor({NAN, 0})).to_vector<bool>() == std::vector<bool>{false, true});
  CHECK(logical_or(tensor({0, 0}), scalar_tensor(0.5)).to_vector<bool>() ==
        std::vector<bool>{true, true});
  CHECK(logical_xor(p, 1 - ints({1, 1, 1, 0})).to_vector<bool>() ==
        std::vector<bool>{true, true, false, true});
}

TEST_CASE("bool: any, all, sum, max and argmax", "[tensor][dtype][bool]") {
  const Tensor m = from_vector(std::vector<bool>{true, false, false, false}, {2, 2});
  // torch.any(m), torch.all(m), m.any(1), m.all(0, keepdim=True)
  CHECK(any(m).dtype() == DType::bool_);
  CHECK(any(m).item() == 1.0);
  CHECK(all(m).item() == 0.0);
  CHECK(any(m, {1}).to_vector<bool>() == std::vector<bool>{true, false});
  CHECK(all(m, {0}, true).shape() == Shape{1, 2});
  CHECK(all(m, {0}, true).to_vector<bool>() == std::vector<bool>{false, false});
  CHECK(all(ones({2, 3}, DType::bool_), {-1}).to_vector<bool>() == std::vector<bool>{true, true});
  // Empty: any() of nothing is False, all() True; torch.tensor([0., nan]).all() -> False.
  CHECK(any(zeros({0}, DType::bool_)).item() == 0.0);
  CHECK(all(zeros({0}, DType::bool_)).item() == 1.0);
  CHECK(all(zeros({3, 0}), {1}).to_vector<bool>() == std::vector<bool>{true, true, true});
  CHECK(all(tensor({0, NAN})).item() == 0.0);
  CHECK(any(tensor({0, NAN})).item() == 1.0);
  CHECK(any(ints({0, 0, 3})).item() == 1.0);
  // sum of bool is an int64 count: torch.tensor([True, True, False]).sum() -> tensor(2)
  const Tensor count = sum(bools({true, true, false}));
  CHECK(count.dtype() == DType::int64);
  CHECK(count.item() == 2.0);
  CHECK(sum(m, {0}).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
  CHECK(max(m).dtype() == DType::bool_);
  CHECK(max(m).item() == 1.0);
  CHECK(min(m).item() == 0.0);
  CHECK(argmax(bools({false, true, true})).item() == 1.0);
  CHECK_THROWS_WITH(mean(m), Catch::Contains("mean: needs a floating-point tensor, got bool"));
  // one_hot stays int64.
  CHECK(one_hot(ints({1, 0}), 2).dtype() == DType::int64);
  CHECK(one_hot(ints({1, 0}), 2).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{0, 1, 1, 0});
}

TEST_CASE("bool: printing and foreign memory", "[tensor][dtype][bool]") {
  CHECK(to_string(bools({true, false})) == "tensor([ True, False], dtype=bool)");
  CHECK(to_string(scalar_tensor(true, DType::bool_)) == "tensor(True, dtype=bool)");
  CHECK(to_string(from_vector(std::vector<bool>{true, false, false, true}, {2, 2})) ==
        "tensor([[ True, False],\n        [False,  True]], dtype=bool)");
  // int64 prints exactly, even where a double could not hold the value.
  CHECK(to_string(ints({kMax, kMin})) ==
        "tensor([ 9223372036854775807, -9223372036854775808], dtype=int64)");
  // from_blob adopts bool bytes only when every one is 0 or 1 (Note [bool storage]).
  unsigned char good[3] = {1, 0, 1};
  const Tensor shared = from_blob(good, {3}, DType::bool_, [] {});
  CHECK(shared.to_vector<bool>() == std::vector<bool>{true, false, true});
  unsigned char bad[3] = {1, 2, 0};
  CHECK_THROWS_WITH(from_blob(bad, {3}, DType::bool_, [] {}),
                    Catch::Contains("from_blob: bool data holds byte 2 at offset 1"));
}

}  // namespace
}  // namespace kindling
