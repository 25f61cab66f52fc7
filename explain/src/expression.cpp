// A recursive-descent parser for scalar expressions (expression.hpp). It recurses a fixed number
// of frames per nesting level (Note [expression nesting]), so kMaxExpressionDepth bounds its stack,
// and builds Values as it goes.
#include "kindling/explain/expression.hpp"

#include "kindling/explain/number_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace kindling {

namespace {

// 'c', built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
std::string quoted(char c) {
  std::string out(1, '\'');
  out += c;
  out += '\'';
  return out;
}

struct Operand {
  Value value;
  bool constant = true;  // no variable below it: usable as an exponent
};

// Whether a decimal literal (digits, an optional '.', an optional exponent) is at least 1 in
// magnitude, read from its digits alone: from_chars says only "out of range", and this tells an
// overflow (1e999) from an underflow (1e-400). The exponent saturates, so any length is fine.
bool magnitude_at_least_one(std::string_view literal) {
  const std::size_t e = literal.find_first_of("eE");
  const std::string_view mantissa = literal.substr(0, e);
  std::int64_t exponent = 0;
  if (e != std::string_view::npos) {
    std::size_t i = e + 1;
    const bool negative = i < literal.size() && literal[i] == '-';
    if (i < literal.size() && (literal[i] == '+' || literal[i] == '-')) ++i;
    for (; i < literal.size(); ++i)
      exponent = std::min<std::int64_t>(exponent * 10 + (literal[i] - '0'), 1'000'000'000);
    if (negative) exponent = -exponent;
  }
  // The power of ten of the first nonzero digit: 0 for "1.5", 2 for "123", -3 for "0.001".
  const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
  const std::size_t first = mantissa.find_first_of("123456789");
  if (first == std::string_view::npos) return false;  // all zeros: 0 is never out of range
  const std::int64_t lead = first < point ? static_cast<std::int64_t>(point - first) - 1
                                          : -static_cast<std::int64_t>(first - point);
  return lead + exponent >= 0;
}

// The functions an expression may call: the ops the table writes as calls (Note [scalar op table]),
// by name.
std::optional<ValueOp> function_named(std::string_view name) {
#define KINDLING_X(op, label, arity, form) \
  if (ValueForm::form == ValueForm::call && name == #op) return ValueOp::op;
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  return std::nullopt;
}

// "exp, log, tanh, relu, sigmoid", for the error message.
std::string function_names() {
  std::string names;
#define KINDLING_X(op, label, arity, form)               \
  if (ValueForm::form == ValueForm::call) {              \
    names.append(names.empty() ? "" : ", ").append(#op); \
  }
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  return names;
}

bool starts_name(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool continues_name(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

class Parser {
 public:
  Parser(std::string_view text, const ExpressionVariables& variables, std::string_view function)
      : text_(text), variables_(variables), function_(function) {}

  Value parse() {
    Operand result = expression();
    skip_space();
    if (pos_ < text_.size()) fail("unexpected " + quoted(text_[pos_]), pos_);
    return result.value;
  }

  // program := statement (';' statement)* ';'?   statement := (name '=')? expression
  Value parse_program() {
    std::optional<Value> result;
    for (;;) {
      skip_space();
      if (pos_ == text_.size()) {
        if (!result) fail("expected a statement but found end of input", pos_);
        return *result;
      }
      const std::string_view target = assignment_target();
      Operand value = expression();
      if (!target.empty()) {
        // The result of an op takes the name it is bound to, so step texts read "d = c * b";
        // a leaf keeps its own (y = x binds y to x's node, which stays "x").
        if (value.value.op() != ValueOp::leaf) value.value.set_label(std::string(target));
        bound_.insert_or_assign(std::string(target), value);
      }
      result = value.value;
      skip_space();
      if (pos_ < text_.size() && !accept(';'))
        fail("expected ';' or an operator but found " + describe_next(), pos_);
    }
  }

 private:
  // Throws at 0-based offset `at` ("<what> at column N<after>"), with the text and a caret line
  // under it.
  [[noreturn]] void fail(const std::string& what, std::size_t at,
                         const std::string& after = {}) const {
    std::string message = std::string(function_).append(": ").append(what).append(" at column ");
    message += std::to_string(at + 1);
    message.append(after).append("\n  ").append(text_).append("\n  ").append(at, ' ').append("^");
    throw expression_error(message, at + 1);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }
  // Skips blanks, then consumes `c` if it comes next.
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // A statement's "name =" (not "name ==", not "name(", not a name inside an expression): the
  // name, with the parser past the '='; otherwise empty, with the parser where it was.
  std::string_view assignment_target() {
    const std::size_t start = pos_;
    if (pos_ >= text_.size() || !starts_name(text_[pos_])) return {};
    std::size_t end = pos_;
    while (end < text_.size() && continues_name(text_[end]))
      ++end;
    std::size_t look = end;
    while (look < text_.size() && std::isspace(static_cast<unsigned char>(text_[look])))
      ++look;
    if (look >= text_.size() || text_[look] != '=') return {};
    const std::string_view name = text_.substr(start, end - start);
    if (function_named(name))
      fail("'" + std::string(name) + "' is a function and cannot be assigned", start);
    pos_ = look + 1;
    return name;
  }

  std::string describe_next() const {
    return pos_ < text_.size() ? quoted(text_[pos_]) : std::string("end of input");
  }

  // Note [expression nesting]
  // One level of nesting is one construct still open around the parser's position: a '(' (of a
  // group or of a function call), a unary sign, or the exponent after a '^'. kMaxExpressionDepth of
  // them may be open at once, as expression.hpp says; one more is an error at the column of the
  // construct that opened it. Each level costs a fixed number of stack frames (a group goes
  // primary -> expression -> term -> unary -> power -> primary), so the bound is a stack bound.
  // The guard gives its level back on every way out.
  struct Nest {
    Nest(Parser& parser, std::size_t at) : parser_(parser) {
      if (++parser_.depth_ > kMaxExpressionDepth)
        parser_.fail("nesting deeper than " + std::to_string(kMaxExpressionDepth) + " levels", at,
                     " (parentheses, unary signs and exponents count)");
    }
    ~Nest() { --parser_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    Parser& parser_;
  };

  Operand expression() {
    Operand left = term();
    for (;;) {
      if (accept('+')) {
        Operand right = term();
        left = {left.value + right.value, left.constant && right.constant};
      } else if (accept('-')) {
        Operand right = term();
        left = {left.value - right.value, left.constant && right.constant};
      } else {
        return left;
      }
    }
  }

  Operand term() {
    Operand left = unary();
    for (;;) {
      if (accept('*')) {
        Operand right = unary();
        left = {left.value * right.value, left.constant && right.constant};
      } else if (accept('/')) {
        Operand right = unary();
        left = {left.value / right.value, left.constant && right.constant};
      } else {
        return left;
      }
    }
  }

  Operand unary() {
    skip_space();
    const std::size_t sign_at = pos_;
    if (accept('-')) {
      const Nest nest(*this, sign_at);
      Operand operand = unary();
      return {-operand.value, operand.constant};
    }
    if (accept('+')) {
      const Nest nest(*this, sign_at);
      return unary();
    }
    return power();
  }

  Operand power() {
    Operand base = primary();
    if (!accept('^')) return base;
    skip_space();
    const std::size_t exponent_at = pos_;
    const Nest nest(*this, exponent_at);
    Operand exponent = unary();  // right-associative: a^b^c = a^(b^c)
    if (!exponent.constant) fail("the exponent of '^' must not depend on a variable", exponent_at);
    return {base.value.pow(exponent.value.data()), base.constant};
  }

  Operand primary() {
    skip_space();
    const std::size_t start = pos_;
    if (pos_ >= text_.size())
      fail("expected a number, a variable or '(' but found end of input", pos_);
    const char c = text_[pos_];
    if (c == '(') {
      const Nest nest(*this, pos_);
      ++pos_;
      Operand inner = expression();
      if (!accept(')')) fail("expected ')' but found " + describe_next(), pos_);
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number();
    if (starts_name(c)) {
      while (pos_ < text_.size() && continues_name(text_[pos_]))
        ++pos_;
      const std::string_view name = text_.substr(start, pos_ - start);
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == '(') return call(name, start);
      if (const auto bound = bound_.find(name); bound != bound_.end()) return bound->second;
      const auto found = variables_.find(name);
      if (found == variables_.end()) fail("unknown variable '" + std::string(name) + "'", start);
      return {found->second, false};
    }
    fail("expected a number, a variable or '(' but found " + quoted(c), pos_);
  }

  Operand number() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.'))
      ++pos_;
    // An exponent part only when digits follow, so "2e" reads as 2 then a stray 'e'.
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      std::size_t look = pos_ + 1;
      if (look < text_.size() && (text_[look] == '+' || text_[look] == '-')) ++look;
      if (look < text_.size() && std::isdigit(static_cast<unsigned char>(text_[look]))) {
        pos_ = look;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])))
          ++pos_;
      }
    }
    const std::string_view literal = text_.substr(start, pos_ - start);
    double value = 0.0;
    // Out of range: beyond the largest double, or not 0 but nearer 0 than the smallest subnormal
    // (so it would round to 0). Subnormal values in between are kept, as IEEE arithmetic keeps
    // them: 4.9e-324 is the double 2^-1074.
    const explain::NumberRead read = explain::read_decimal(literal, value);
    if (read == explain::NumberRead::out_of_range) {
      fail("number '" + std::string(literal) + "'", start,
           magnitude_at_least_one(literal)
               ? " is out of range (a double's largest finite value is about 1.8e308)"
               : " is out of range (not 0, but below the smallest double, about 4.9e-324)");
    }
    if (read != explain::NumberRead::ok)
      fail("malformed number '" + std::string(literal) + "'", start);
    return {Value(value, std::string(literal)), true};
  }

  Operand call(std::string_view name, std::size_t name_at) {
    // The op table's call-form rows; anything else called like one is a mistake.
    const std::optional<ValueOp> function = function_named(name);
    if (!function)
      fail("unknown function '" + std::string(name) + "' (known: " + function_names() + ")",
           name_at);
    skip_space();
    const Nest nest(*this, pos_);
    accept('(');
    Operand argument = expression();
    if (!accept(')')) fail("expected ')' but found " + describe_next(), pos_);
    return {apply_op(*function, std::span(&argument.value, 1)), argument.constant};
  }

  std::string_view text_;
  const ExpressionVariables& variables_;
  std::string_view function_;                          // the entry point, for messages
  std::map<std::string, Operand, std::less<>> bound_;  // a program's assignments, newest binding
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
};

}  // namespace

Value parse_expression(std::string_view text, const ExpressionVariables& variables) {
  return Parser(text, variables, "parse_expression").parse();
}

Value parse_program(std::string_view text, const ExpressionVariables& variables) {
  return Parser(text, variables, "parse_program").parse_program();
}

}  // namespace kindling
