// libFuzzer target: parse_expression (explain/expression.hpp) on arbitrary bytes. A text either
// parses or throws kindling::error (anything else escaping, a crash or a sanitizer report is a
// finding). What parses is differentiated, its DOT text checked (dot_check.hpp: well formed, every
// record readable; with KINDLING_FUZZ_WITH_CGRAPH also parsed by Graphviz), and printed back as an
// expression by a printer written here: reparsed, the printed text must give the very same value
// and gradients, bit for bit (the same operations in the same order), or both NaN.
//
// Variables: x = 0.5, y = -1.25, z = 0, big = 1e300, tiny = 5e-324 (a subnormal).
//
// Build: clang++ -fsanitize=fuzzer,address,undefined, linked with kindling::engine only, with
// tests/fuzz on the include path (dot_check.hpp); optionally -DKINDLING_FUZZ_WITH_CGRAPH and
// libcgraph (pkg-config libcgraph). Seeds: tests/fuzz/corpus/expression/; dictionary:
// tests/fuzz/expression.dict.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dot_check.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/explain/expression.hpp"

#ifdef KINDLING_FUZZ_WITH_CGRAPH
#include <graphviz/cgraph.h>
#endif

namespace {

using kindling::Value;
using kindling::ValueNode;
using kindling::ValueOp;

[[noreturn]] void fail(const std::string& what, std::string_view input, std::string_view extra) {
  std::fprintf(stderr, "fuzz_expression: %s\n--- input ---\n%.*s\n--- detail ---\n%.*s\n",
               what.c_str(), static_cast<int>(input.size()), input.data(),
               static_cast<int>(extra.size()), extra.data());
  std::abort();
}

kindling::ExpressionVariables make_variables() {
  kindling::ExpressionVariables variables;
  const std::pair<const char*, double> values[] = {
      {"x", 0.5}, {"y", -1.25}, {"z", 0.0}, {"big", 1e300}, {"tiny", 5e-324}};
  for (const auto& [name, value] : values)
    variables.emplace(name, Value(value, name));
  return variables;
}

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

// Precedence of what a node prints as: 1 + -, 2 * /, 3 unary minus, 4 ^, 5 a call or a leaf.
int precedence(ValueOp op) {
  switch (op) {
    case ValueOp::add:
    case ValueOp::sub:
      return 1;
    case ValueOp::mul:
    case ValueOp::div:
      return 2;
    case ValueOp::neg:
      return 3;
    case ValueOp::pow:
      return 4;
    default:
      return 5;
  }
}

std::string number_text(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);  // 17 digits read back as the same double
  return buffer;
}

// The graph below `root` as expression text with as few parentheses as the grammar needs, so the
// reprint nests no deeper than the text it came from. Iterative: a left-deep chain of ten
// thousand additions is a tree ten thousand deep. Returns false when a number cannot be written
// as a literal (a non-finite exponent, say).
bool print_expression(const ValueNode* root, const kindling::ExpressionVariables& variables,
                      std::string& out) {
  struct Task {
    const ValueNode* node;  // null: emit `text`
    std::string text;
    bool parenthesize;
  };
  std::vector<Task> tasks{{root, {}, false}};
  while (!tasks.empty()) {
    Task task = std::move(tasks.back());
    tasks.pop_back();
    if (task.node == nullptr) {
      out += task.text;
      continue;
    }
    const ValueNode& n = *task.node;
    if (task.parenthesize) {
      out += '(';
      tasks.push_back({nullptr, ")", false});
    }
    const int mine = precedence(n.op);
    switch (n.op) {
      case ValueOp::leaf: {
        std::string name;
        for (const auto& [variable, value] : variables)
          if (value.node() == &n) name = variable;
        if (name.empty()) {
          if (!std::isfinite(n.data) || n.data < 0) return false;  // literals are never negative
          name = number_text(n.data);
        }
        out += name;
        break;
      }
      case ValueOp::add:
      case ValueOp::sub:
      case ValueOp::mul:
      case ValueOp::div: {
        const char* symbol = n.op == ValueOp::add   ? " + "
                             : n.op == ValueOp::sub ? " - "
                             : n.op == ValueOp::mul ? " * "
                                                    : " / ";
        // Left-associative: the left operand needs parentheses below this precedence, the right
        // one at it too.
        tasks.push_back({n.inputs[1], {}, precedence(n.inputs[1]->op) <= mine});
        tasks.push_back({nullptr, symbol, false});
        tasks.push_back({n.inputs[0], {}, precedence(n.inputs[0]->op) < mine});
        break;
      }
      case ValueOp::neg:
        out += '-';
        tasks.push_back({n.inputs[0], {}, precedence(n.inputs[0]->op) < mine});
        break;
      case ValueOp::pow: {
        // power := primary '^' unary: the base must be a primary; the exponent is a number, and
        // a negative one reads as a unary minus, which the grammar allows there.
        if (!std::isfinite(n.exponent)) return false;
        tasks.push_back({nullptr, "^" + number_text(n.exponent), false});
        tasks.push_back({n.inputs[0], {}, precedence(n.inputs[0]->op) < 5});
        break;
      }
      default: {
        out += kindling::op_name(n.op);  // a call-form row: the parser knows it by its name
        out += '(';
        tasks.push_back({nullptr, ")", false});
        tasks.push_back({n.inputs[0], {}, false});
        break;
      }
    }
  }
  return true;
}

void check_dot(const Value& root, std::string_view input) {
  const std::string dot = kindling::to_dot(root);
  const fuzz_dot::Reading reading = fuzz_dot::read_dot(dot);
  if (!reading.problem.empty()) fail("malformed DOT: " + reading.problem, input, dot);
  for (const fuzz_dot::Statement& s : reading.statements) {
    const auto label = s.attributes.find("label");
    if (label == s.attributes.end() || s.ids.size() != 1 || s.head == "node") continue;
    const bool op_node = s.head.find("_op") != std::string::npos;
    const bool readable = op_node ? fuzz_dot::decode_label_text(label->second).has_value()
                                  : fuzz_dot::decode_record_label(label->second).has_value();
    if (!readable) fail("a label does not read back: " + label->second, input, dot);
  }
#ifdef KINDLING_FUZZ_WITH_CGRAPH
  Agraph_t* graph = agmemread(dot.c_str());
  if (graph == nullptr) fail("agmemread refused the DOT text", input, dot);
  agclose(graph);
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  kindling::ExpressionVariables variables = make_variables();
  Value root;
  try {
    root = kindling::parse_expression(text, variables);
  } catch (const kindling::expression_error& e) {
    if (e.column() < 1 || e.column() > text.size() + 1)
      fail("a column outside the text", text, e.what());
    return 0;
  } catch (const kindling::error&) {
    return 0;
  }
  root.backward();
  check_dot(root, text);

  std::string printed;
  if (!print_expression(root.node(), variables, printed)) return 0;
  kindling::ExpressionVariables again = make_variables();
  Value reparsed;
  try {
    reparsed = kindling::parse_expression(printed, again);
  } catch (const kindling::error& e) {
    fail("the printed expression does not parse", text, printed + "\n" + e.what());
  }
  reparsed.backward();
  if (!same(root.data(), reparsed.data()))
    fail("the printed expression has another value", text, printed);
  for (const auto& [name, value] : variables) {
    if (!same(value.grad(), again.at(name).grad()))
      fail("the printed expression has another gradient for " + name, text, printed);
  }
  return 0;
}
