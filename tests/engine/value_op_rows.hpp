// What the op-table tests of the scalar engine share (test_value_grad.cpp, second derivatives;
// test_value_forward.cpp, forward mode): points inside each op's smooth domain, one row per op of
// KINDLING_VALUE_OPS, the check that every op has its row, and the ops by name.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <span>
#include <string>
#include <vector>

#include "kindling/engine/value.hpp"

namespace kindling::test {

// (a, b) the inputs (b read by binary ops), k pow's exponent.
struct Point {
  double a, b, k;
};

// Points inside each op's smooth domain: log and the fractional powers need a > 0, relu a != 0.
// pow's k = 1 makes the derivative 1 * a^0, whose own derivative is pow's mask; k = 0 is the mask.
inline std::map<std::string, std::vector<Point>> smooth_points() {
  const std::vector<Point> general = {{0.7, -1.3, 0}, {-2.1, 0.4, 0}, {1.5, 2.5, 0}};
  const std::vector<Point> positive = {{0.7, 1.3, 0}, {2.1, 0.4, 0}};
  std::map<std::string, std::vector<Point>> rows;
  rows["leaf"] = {};  // no inputs, nothing to differentiate
  rows["add"] = general;
  rows["sub"] = general;
  rows["mul"] = general;
  rows["div"] = general;
  rows["neg"] = general;
  rows["pow"] = {{0.7, 0, 3.5},  {1.9, 0, 0.5}, {1.3, 0, -0.5}, {-1.2, 0, 2.0},
                 {-0.8, 0, 3.0}, {0.6, 0, 1.0}, {0.6, 0, 0.0},  {1.7, 0, -2.0}};
  rows["exp"] = general;
  rows["log"] = positive;
  rows["tanh"] = general;
  rows["relu"] = general;
  rows["sigmoid"] = general;
  return rows;
}

// The count check: one row per op of the table, a non-empty one for every op with inputs.
inline void check_one_row_per_op(const std::map<std::string, std::vector<Point>>& rows) {
  std::size_t count = 0;
#define KINDLING_X(name, label, arity, form) \
  ++count;                                   \
  CHECK(rows.count(#name) == 1);             \
  if (arity > 0 && rows.count(#name) == 1) CHECK(!rows.at(#name).empty());
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  CHECK(count == kValueOpCount);
  CHECK(rows.size() == count);
}

inline std::map<std::string, ValueOp> ops_by_name() {
  std::map<std::string, ValueOp> ops;
#define KINDLING_X(name, label, arity, form) ops[#name] = ValueOp::name;
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  return ops;
}

// op applied to the first arity inputs.
inline Value apply(ValueOp op, const std::vector<Value>& inputs, double k) {
  return apply_op(op, std::span<const Value>(inputs.data(), op_arity(op)), k);
}

}  // namespace kindling::test
