// A small, independent reader of the DOT text kindling writes, for the fuzz targets: it checks
// that the text is well formed (strings closed, braces and brackets balanced, no raw control
// characters) and reads every label back the way Graphviz would, so that a target can compare
// what a label says with the text that went in. It knows only the subset of DOT that
// explain/src/dot.cpp writes: one statement per line, ids, quoted strings, `[ ... ]` attribute
// lists, `->`, `{`, `}` and `;`.
//
// Graphviz reads a label in three steps, and the reader follows them:
//   the DOT scanner   in a quoted string, \" is a quote, \\ stays \\, backslash-newline is
//                     dropped, every other character is kept (the DOT language's definition);
//   the record parser in a record label, \{ \} \| \< \> give the character, "\ " a space that
//                     stays, unescaped { } | < > are structure (our records: "{ a | b | c }");
//   the label text    \\ is a backslash and \n a line break; any other backslash sequence (\N,
//                     \G, \l, ...) would be substituted or change the layout, so the writer must
//                     never leave one, and the reader reports it.
// Text that is not valid UTF-8, or is a control character other than a line break, must come out
// as '?' byte for byte (dot.hpp); reference_label() says what a label must read as, from a strict
// RFC 3629 decoder written here, not the writer's.
#pragma once

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz_dot {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629, table 3-7 of Unicode), or 0.
inline std::size_t strict_utf8_length(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) -> unsigned {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0x100u;
  };
  const auto in = [](unsigned byte, unsigned low, unsigned high) {
    return byte >= low && byte <= high;
  };
  const unsigned b0 = at(0);
  if (b0 < 0x80) return 1;
  if (in(b0, 0xC2, 0xDF)) return in(at(1), 0x80, 0xBF) ? 2 : 0;
  unsigned low = 0x80, high = 0xBF;  // the allowed range of the second byte
  std::size_t length = 0;
  if (b0 == 0xE0) {
    low = 0xA0, length = 3;  // no overlong forms
  } else if (b0 == 0xED) {
    high = 0x9F, length = 3;  // no surrogates
  } else if (in(b0, 0xE1, 0xEF)) {
    length = 3;
  } else if (b0 == 0xF0) {
    low = 0x90, length = 4;
  } else if (b0 == 0xF4) {
    high = 0x8F, length = 4;  // nothing above U+10FFFF
  } else if (in(b0, 0xF1, 0xF3)) {
    length = 4;
  } else {
    return 0;
  }
  if (!in(at(1), low, high)) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (!in(at(k), 0x80, 0xBF)) return 0;
  return length;
}

// What a label must read as: each byte of an ill-formed sequence and each control character
// except '\n' replaced by '?'.
inline std::string reference_label(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = strict_utf8_length(text, i);
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (length == 0 || (length == 1 && ((c < 0x20 && c != '\n') || c == 0x7F))) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

// The label text step: \\ -> \, \n -> line break; nullopt for any other backslash sequence.
inline std::optional<std::string> decode_label_text(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out += value[i];
      continue;
    }
    if (i + 1 >= value.size()) return std::nullopt;
    const char next = value[++i];
    if (next == '\\')
      out += '\\';
    else if (next == 'n')
      out += '\n';
    else
      return std::nullopt;
  }
  return out;
}

// The record parser and the label text step for "{ a | b | c }": the fields, or nullopt when an
// escape or an unescaped structure character is out of place.
inline std::optional<std::vector<std::string>> decode_record_label(std::string_view value) {
  if (value.size() < 4 || value.substr(0, 2) != "{ " || value.substr(value.size() - 2) != " }")
    return std::nullopt;
  const std::string_view body = value.substr(2, value.size() - 4);
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\\') {
      if (i + 1 >= body.size()) return std::nullopt;
      const char next = body[++i];
      if (next == '{' || next == '}' || next == '|' || next == '<' || next == '>' || next == ' ' ||
          next == '\\')
        fields.back() += next;
      else if (next == 'n')
        fields.back() += '\n';
      else
        return std::nullopt;
    } else if (c == '|') {
      // Fields are separated by " | "; the spaces are the separator's, not the fields'.
      if (fields.back().empty() || fields.back().back() != ' ') return std::nullopt;
      if (i + 1 >= body.size() || body[i + 1] != ' ') return std::nullopt;
      fields.back().pop_back();
      fields.emplace_back();
      ++i;
    } else if (c == '{' || c == '}' || c == '<' || c == '>') {
      return std::nullopt;
    } else if (c == ' ') {
      // An unescaped space only next to a separator (the writer escapes every space of a field).
      if (!(i + 1 < body.size() && body[i + 1] == '|')) return std::nullopt;
      fields.back() += ' ';
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

// One statement of the DOT text, as the reader sees it.
struct Statement {
  std::string head;              // "n3", "n3_op", "subgraph", "label", "}", "digraph"
  std::string head_value;        // the quoted string after "digraph"/"subgraph"
  std::vector<std::string> ids;  // "a -> b": {"a", "b"}
  std::map<std::string, std::string> attributes;  // key -> value, strings as the scanner reads them
};

struct Reading {
  std::string problem;  // empty when the text is well formed
  std::vector<Statement> statements;
};

// Reads the text line by line (the writer puts one statement on a line and never a raw newline
// inside a string).
inline Reading read_dot(std::string_view dot) {
  Reading reading;
  int braces = 0;
  auto fail = [&](std::string what, std::size_t line) {
    if (reading.problem.empty()) reading.problem = what + " on line " + std::to_string(line);
  };
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < dot.size() && reading.problem.empty()) {
    ++line_number;
    const std::size_t end = dot.find('\n', start);
    if (end == std::string_view::npos) {
      fail("the text does not end with a line break", line_number);
      break;
    }
    const std::string_view line = dot.substr(start, end - start);
    start = end + 1;
    // Tokens: ids (letters, digits, _), quoted strings, and single punctuation ("->" as one).
    std::vector<std::pair<char, std::string>> tokens;  // kind: 'i' id, 's' string, or the char
    for (std::size_t i = 0; i < line.size() && reading.problem.empty();) {
      const char c = line[i];
      const auto byte = static_cast<unsigned char>(c);
      if (c == ' ') {
        ++i;
      } else if (byte < 0x20 || byte == 0x7F) {
        fail("a raw control character outside a string", line_number);
      } else if (c == '"') {
        std::string value;
        bool closed = false;
        for (++i; i < line.size(); ++i) {
          const auto b = static_cast<unsigned char>(line[i]);
          if (b < 0x20 || b == 0x7F) {
            fail("a raw control character inside a string", line_number);
            break;
          }
          if (line[i] == '"') {
            closed = true;
            ++i;
            break;
          }
          if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '"') {
            value += '"';
            ++i;
          } else if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '\\') {
            value += "\\\\";
            ++i;
          } else {
            value += line[i];
          }
        }
        if (!closed) fail("a string that does not close", line_number);
        tokens.emplace_back('s', std::move(value));
      } else if (std::isalnum(byte) || c == '_' || c == '#' || c == '.') {
        std::size_t j = i;
        while (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) ||
                                   line[j] == '_' || line[j] == '#' || line[j] == '.'))
          ++j;
        tokens.emplace_back('i', std::string(line.substr(i, j - i)));
        i = j;
      } else if (c == '-' && i + 1 < line.size() && line[i + 1] == '>') {
        tokens.emplace_back('>', "->");
        i += 2;
      } else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ';' || c == '=') {
        tokens.emplace_back(c, std::string(1, c));
        ++i;
      } else {
        fail(std::string("an unexpected character '") + c + "'", line_number);
      }
    }
    if (!reading.problem.empty() || tokens.empty()) continue;
    Statement statement;
    std::size_t t = 0;
    auto is = [&](std::size_t k, char kind) {
      return k < tokens.size() && tokens[k].first == kind;
    };
    if (is(0, '}')) {
      statement.head = "}";
      if (--braces < 0) fail("a '}' without its '{'", line_number);
      if (tokens.size() != 1) fail("text after '}'", line_number);
      reading.statements.push_back(std::move(statement));
      continue;
    }
    if (!is(0, 'i')) {
      fail("a statement that does not start with an id", line_number);
      continue;
    }
    statement.head = tokens[0].second;
    t = 1;
    if (statement.head == "digraph" || statement.head == "subgraph") {
      if (!is(1, 's') || !is(2, '{') || tokens.size() != 3) {
        fail("a malformed graph or subgraph header", line_number);
        continue;
      }
      statement.head_value = tokens[1].second;
      ++braces;
      reading.statements.push_back(std::move(statement));
      continue;
    }
    // Attribute statements: "label=\"x\"; style=rounded; color=\"#888\";" in a subgraph, or
    // "rankdir=LR;", "node [ ... ];".
    statement.ids.push_back(statement.head);
    while (is(t, '>')) {
      if (!is(t + 1, 'i')) {
        fail("'->' without an id after it", line_number);
        break;
      }
      statement.ids.push_back(tokens[t + 1].second);
      t += 2;
    }
    auto read_pairs = [&](char stop) {
      while (t < tokens.size() && !is(t, stop)) {
        if (!is(t, 'i') || !is(t + 1, '=') || !(is(t + 2, 's') || is(t + 2, 'i'))) {
          fail("a malformed attribute", line_number);
          return;
        }
        statement.attributes[tokens[t].second] = tokens[t + 2].second;
        t += 3;
        if (is(t, ';') && stop != ';') ++t;  // "a=1; b=2" inside a subgraph's attribute line
      }
    };
    if (is(t, '=')) {  // "label=..." / "rankdir=LR": key=value pairs separated by ';'
      t = 0;
      statement.ids.clear();
      while (t < tokens.size()) {
        if (!is(t, 'i') || !is(t + 1, '=') || !(is(t + 2, 's') || is(t + 2, 'i'))) {
          fail("a malformed attribute line", line_number);
          break;
        }
        statement.attributes[tokens[t].second] = tokens[t + 2].second;
        t += 3;
        if (!is(t, ';')) {
          fail("an attribute without its ';'", line_number);
          break;
        }
        ++t;
      }
      statement.head = "attributes";
    } else {
      if (is(t, '[')) {
        ++t;
        read_pairs(']');
        if (!is(t, ']')) fail("an attribute list that does not close", line_number);
        ++t;
      }
      if (!is(t, ';') || t + 1 != tokens.size()) fail("a statement without its ';'", line_number);
    }
    reading.statements.push_back(std::move(statement));
  }
  if (reading.problem.empty() && braces != 0) reading.problem = "unbalanced braces at the end";
  if (reading.problem.empty() &&
      (reading.statements.empty() || reading.statements.front().head != "digraph"))
    reading.problem = "no digraph header";
  return reading;
}

}  // namespace fuzz_dot
