// parse_expression: builds a Value graph from text such as "tanh(x1*w1 + x2*w2 + b)", so that an
// example or a notebook can take a formula from its user and step through its backward pass.
//
// Grammar (usual precedence; ^ binds tighter than unary minus and is right-associative, so
// -x^2 = -(x^2) and a^b^c = a^(b^c)):
//   expression := term (('+' | '-') term)*
//   term       := unary (('*' | '/') unary)*
//   unary      := ('-' | '+') unary | power
//   power      := primary ('^' unary)?
//   primary    := number | variable | function '(' expression ')' | '(' expression ')'
//   function   := exp | log | tanh | relu | sigmoid        (the op table's call-form rows)
// Numbers are decimal with an optional exponent (2, 0.5, .5, 1e-3), read as the nearest double;
// one beyond the largest double (1e999) or nonzero but below the smallest (1e-400) is an error,
// and subnormal ones (1e-310) are kept. The exponent of ^ must not depend on a variable (the
// engine's pow takes a constant): x^2 and x^(1/2) are fine, x^y is an error. Every mistake throws
// expression_error, a kindling::error whose message ends with the text and a caret under the
// column at fault.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "kindling/engine/error.hpp"
#include "kindling/engine/value.hpp"

namespace kindling {

/// The error parse_expression() and parse_program() throw: a kindling::error whose message names
/// the entry point and the column, and ends with the text and a caret under the column at fault:
/// @verbatim
/// parse_expression: unknown variable 'y' at column 5
///   x + y
///       ^
/// @endverbatim
class expression_error : public error {
 public:
  /// An error with the whole `message` (caret lines included) at 1-based `column`.
  expression_error(const std::string& message, std::size_t column)
      : error(message), column_(column) {}
  /// 1-based column of the character at fault (one past the end for an unexpected end).
  std::size_t column() const noexcept { return column_; }

 private:
  std::size_t column_;
};

/// Variables by name. A variable used twice is the same node (its gradient collects both uses).
/// Give each Value its name as label, so that step texts and DOT graphs show it.
using ExpressionVariables = std::map<std::string, Value, std::less<>>;

/// Parentheses (a function call's included), unary signs and exponents of '^' may nest this deep:
/// 256 of them open at once parse, one more is an error at its column. `((x))` nests 2, `--x` 2,
/// `exp(-x)` 2, `2^2^x` 2; `(x)+(y)` only 1. The parser recurses, and this bound keeps it far from
/// the stack's limit (Note [expression nesting] in expression.cpp).
inline constexpr std::size_t kMaxExpressionDepth = 256;

/// Builds the Value graph of `text` over `variables`, with the grammar in this file's banner:
/// `+ - * /`, `^` with a constant exponent, unary signs, and the functions exp, log, tanh, relu
/// and sigmoid. Number literals become leaves labelled with their text, so that step texts read
/// "x * 2" rather than "x * n0".
/// @param text the expression, e.g. `"tanh(x1*w1 + x2*w2 + b)"`.
/// @param variables the Values the names in `text` stand for.
/// @return the expression's value, the root of its graph (unlabeled unless it is a variable).
/// @throws expression_error (a kindling::error) for a syntax error, an unknown variable or
///   function, a number out of range, an exponent that depends on a variable, or nesting deeper
///   than kMaxExpressionDepth.
/// @code
/// kindling::Value x1(2.0, "x1"), w1(-3.0, "w1"), b(6.8813735870195432, "b");
/// const kindling::ExpressionVariables vars{{"x1", x1}, {"w1", w1}, {"b", b}};
/// kindling::Value out = kindling::parse_expression("tanh(x1*w1 + b)", vars);
/// out.backward();  // out.data() is about 0.7071; w1.grad() == x1 * (1 - out^2), about 1.0
/// @endcode
Value parse_expression(std::string_view text, const ExpressionVariables& variables);

/// A program of statements separated by ';', each an expression or `name = expression`, such as
/// micrograd's README example:
/// `"c = a + b; d = a * b + b^3; c = c + (c + 1); e = c - d; e^2"`.
/// A name bound by `=` stands for its node in later statements (shadowing a variable or an earlier
/// binding of the same name), and an op result takes the name as its label. The value of the
/// last statement is the result; a ';' after it is allowed.
/// @throws expression_error as parse_expression() does (columns counted from the start of the
///   whole text), also for an empty program or a function name on the left of `=`.
/// @code
/// kindling::Value a(-4.0, "a"), b(2.0, "b");
/// const kindling::ExpressionVariables vars{{"a", a}, {"b", b}};
/// kindling::Value out = kindling::parse_program(
///     "c = a + b; d = a * b + b^3; c = c + (c + 1); e = c - d; e^2", vars);
/// out.backward();  // out.data() == 9, a.grad() == 0, b.grad() == 36
/// @endcode
Value parse_program(std::string_view text, const ExpressionVariables& variables);

}  // namespace kindling
