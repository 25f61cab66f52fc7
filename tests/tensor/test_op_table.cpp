// The table-driven op tests (Note [tensor op table]): for every row and case, the forward pass
// against the row's reference on contiguous and on transposed (non-contiguous) inputs, in
// float32 and float64, and the backward pass against central differences in float64.
#include <catch2/catch.hpp>
#include <set>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmanipulation.hpp>

#include "op_table.hpp"
#include "reference.hpp"

namespace kindling::test {
namespace {

Array to_array(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Array a = Array::from_shape(Index(t.shape().begin(), t.shape().end()));
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

std::string describe(const Row& row, const Case& c, Layout layout, DType dtype) {
  // Built with += only: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string s(op_name(row.op));
  s += " inputs";
  for (const Input& in : c.inputs) {
    s += ' ';
    s += shape_string(in.shape);
  }
  if (!c.axes.empty()) {
    s += " axes ";
    s += shape_string(c.axes);
  }
  if (c.keepdim) s += " keepdim";
  if (!c.note.empty()) {
    s += " [";
    s += c.note;
    s += ']';
  }
  s += layout == Layout::contiguous ? " contiguous " : " transposed ";
  s += dtype_name(dtype);
  return s;
}

}  // namespace

TEST_CASE("op table: every op in the op list has a row", "[tensor][table]") {
  std::set<TensorOp> covered;
  for (const Row& row : all_rows())
    covered.insert(row.op);
  std::size_t missing = 0;
  for (std::size_t i = 1; i < kTensorOpCount; ++i) {
    const auto op = static_cast<TensorOp>(i);
    if (!covered.count(op)) {
      ++missing;
      UNSCOPED_INFO("no test row for op " << op_name(op));
    }
  }
  CHECK(missing == 0);
  CHECK(covered.size() == kTensorOpCount - 1);
}

TEST_CASE("op table: forward matches the reference", "[tensor][table]") {
  const std::vector<Row> rows = all_rows();
  const auto r = GENERATE_COPY(range(std::size_t{0}, rows.size()));
  const Row& row = rows[r];
  for (std::size_t ci = 0; ci < row.cases.size(); ++ci) {
    const Case& c = row.cases[ci];
    Generator gen(1000 * r + ci);
    std::vector<Array> values;
    for (const Input& in : c.inputs)
      values.push_back(draw(in, gen));
    const Array expected = row.reference(values, c);
    for (DType dtype : {DType::float32, DType::float64}) {
      for (Layout layout : {Layout::contiguous, Layout::transposed}) {
        INFO(describe(row, c, layout, dtype));
        std::vector<Tensor> inputs;
        for (std::size_t i = 0; i < values.size(); ++i)
          inputs.push_back(make_input(values[i], c.inputs[i], dtype, layout));
        const Tensor out = row.fn(inputs, c);
        REQUIRE(out.shape() == Shape(expected.shape().begin(), expected.shape().end()));
        const Array got = to_array(out);
        const double tol = dtype == DType::float32 ? 2e-5 : row.float64_tolerance;
        for (std::size_t i = 0; i < got.size(); ++i) {
          INFO("element " << i << ": got " << got.data()[i] << ", expected " << expected.data()[i]);
          REQUIRE(std::abs(got.data()[i] - expected.data()[i]) <=
                  tol + 10 * tol * std::abs(expected.data()[i]));
        }
      }
    }
  }
}

TEST_CASE("op table: backward matches central differences (float64)", "[tensor][table]") {
  const std::vector<Row> rows = all_rows();
  const auto r = GENERATE_COPY(range(std::size_t{0}, rows.size()));
  const Row& row = rows[r];
  if (!row.differentiable) {
    // A no-grad op's result never requires grad, whatever its inputs do.
    const Case& c = row.cases[0];
    Generator gen(7);
    std::vector<Tensor> inputs;
    for (const Input& in : c.inputs) {
      Tensor t = make_input(draw(in, gen), in, DType::float64, Layout::contiguous);
      if (in.domain != Domain::index) t.set_requires_grad();
      inputs.push_back(t);
    }
    CHECK_FALSE(row.fn(inputs, c).requires_grad());
    return;
  }
  for (std::size_t ci = 0; ci < row.cases.size(); ++ci) {
    const Case& c = row.cases[ci];
    Generator gen(1000 * r + ci + 17);
    for (Layout layout : {Layout::contiguous, Layout::transposed}) {
      INFO(describe(row, c, layout, DType::float64));
      std::vector<Tensor> inputs;
      for (const Input& in : c.inputs) {
        Tensor t = make_input(draw(in, gen), in, DType::float64, layout);
        if (in.domain == Domain::normal || in.domain == Domain::positive) t.set_requires_grad();
        inputs.push_back(t);
      }
      const GradcheckResult result = gradcheck(
          [&](const std::vector<Tensor>& x) { return row.fn(x, c); }, inputs, row.gradcheck);
      INFO(result.message);
      CHECK(result.ok);
    }
  }
}

TEST_CASE("op table: every primitive has its name, label, arity and stepper text",
          "[tensor][table]") {
  std::size_t primitives = 0;
#define KINDLING_X(name, ...)                                    \
  {                                                              \
    INFO(#name);                                                 \
    ++primitives;                                                \
    CHECK(op_name(TensorOp::name) == #name);                     \
    CHECK_FALSE(op_label(TensorOp::name).empty());               \
    CHECK_FALSE(op_backward_formula(TensorOp::name, 0).empty()); \
  }
  KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X
  CHECK(primitives > 30);
  // Ops that are never graph nodes have no backward text.
  CHECK(op_backward_formula(TensorOp::leaf, 0).empty());
  CHECK(op_backward_formula(TensorOp::mean, 0).empty());
  CHECK(op_backward_formula(TensorOp::argmax, 0).empty());
  // One text per input, or one for all of them.
  CHECK(op_backward_formula(TensorOp::sub, 0) == "g");
  CHECK(op_backward_formula(TensorOp::sub, 1) == "-g");
  CHECK(op_backward_formula(TensorOp::matmul, 1) == "a^T @ g");
  CHECK(op_backward_formula(TensorOp::concat, 7) == op_backward_formula(TensorOp::concat, 0));
  CHECK(op_backward_formula(TensorOp::silu, 0) == "g * s * (1 + a * (1 - s)), s = sigmoid(a)");
  CHECK(op_arity(TensorOp::tanh) == 1);
  CHECK(op_arity(TensorOp::add) == 2);
  CHECK(op_arity(TensorOp::where) == 2);  // cond is saved, not an input
  CHECK(op_arity(TensorOp::concat) == 0);
  CHECK(op_arity(TensorOp::mean) == 0);
}

TEST_CASE("op table: the method forms are the free functions", "[tensor][table]") {
  const Tensor x = from_vector(std::vector<double>{-2.5, -0.0, 0.3, 1.0, 4.0, 0.7}, {2, 3});
  const auto same = [](const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && a.to_vector<double>() == b.to_vector<double>();
  };
#define KINDLING_X(name, ...)                             \
  {                                                       \
    INFO(#name);                                          \
    CHECK(same(x.abs().name(), kindling::name(x.abs()))); \
  }
  KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
  CHECK(same(x.leaky_relu(), leaky_relu(x, 0.01)));
  CHECK(same(x.leaky_relu(-0.5), leaky_relu(x, -0.5)));
  CHECK(same(x.elu(), elu(x, 1.0)));
  CHECK(same(x.elu(0.5), elu(x, 0.5)));
  CHECK(same(x.softplus(), softplus(x, 1.0, 20.0)));
  CHECK(same(x.softplus(2.0, 1.0), softplus(x, 2.0, 1.0)));
  CHECK(same(x.sum(), sum(x)));
  CHECK(same(x.sum({1}, true), sum(x, {1}, true)));
  CHECK(x.sum({1}, true).shape() == Shape{2, 1});
  CHECK(same(x.max({0}), max(x, {0})));
  CHECK(same(x.min({-1}), min(x, {-1})));
  // The hand-written method forms Python's Tensor also has.
  CHECK(same(x.mean({1}, true), mean(x, {1}, true)));
  CHECK(x.mean().item() == Approx((-2.5 + 0.3 + 1.0 + 4.0 + 0.7) / 6));
  const Tensor positive = gt(x, 0.0);
  CHECK(same(positive.any({0}), any(positive, {0})));
  CHECK(same(positive.all({1}), all(positive, {1})));
  CHECK(same(positive.logical_not(), logical_not(positive)));
  CHECK(same(x.masked_fill(positive, 9.0), masked_fill(x, positive, 9.0)));
  CHECK(same(x.matmul(x.transpose()), matmul(x, transpose(x, 0, 1))));
}

}  // namespace kindling::test
