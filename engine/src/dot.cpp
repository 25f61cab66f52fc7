// Escaping and the fixed parts of the DOT text; the graph walk itself is in dot.hpp.
#include "kindling/engine/dot.hpp"

#include <cstdio>
#include <fstream>

#include "kindling/engine/error.hpp"

namespace kindling::engine {

namespace {
// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4)
    length = 4;
  else
    return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Copies text into out, applying `escape_ascii` to each ASCII byte and replacing control
// characters and invalid UTF-8 with '?'.
template <class EscapeAscii>
std::string escape_text(std::string_view text, EscapeAscii escape_ascii) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += '?';
      ++i;
    } else if (length > 1) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      const char c = text[i++];
      if (c == '\n')
        out += "\\n";
      else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        out += '?';
      else
        escape_ascii(out, c);
    }
  }
  return out;
}
}  // namespace

std::string escape_dot_record(std::string_view text) {
  return escape_text(text, [](std::string& out, char c) {
    switch (c) {
      case '{':
      case '}':
      case '|':
      case '<':
      case '>':
      case '"':
      case '\\':
      case ' ':
        // A backslash before a space keeps runs of spaces, which records would otherwise collapse.
        out += '\\';
        [[fallthrough]];
      default:
        out += c;
    }
  });
}

std::string escape_dot_string(std::string_view text) {
  return escape_text(text, [](std::string& out, char c) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  });
}

namespace detail {

std::string dot_header(const DotOptions& options) {
  std::string out = "digraph \"";
  out.append(escape_dot_string(options.graph_name)).append("\" {\n");
  out += options.rankdir == RankDir::LR ? "  rankdir=LR;\n" : "  rankdir=TB;\n";
  out += "  node [fontname=\"Helvetica\" fontsize=11];\n";
  return out;
}

void dot_node(std::string& out, std::size_t id, const std::vector<std::string>& fields,
              const std::string& op, const std::string& attributes) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  const std::string name = std::string("n").append(std::to_string(id));
  out.append("  ").append(name).append(" [shape=record label=\"{ ");
  for (std::size_t f = 0; f < fields.size(); ++f) {
    if (f > 0) out += " | ";
    out += escape_dot_record(fields[f]);
  }
  out += " }\"";
  if (!attributes.empty()) out.append(" ").append(attributes);
  out += "];\n";
  if (!op.empty()) {
    out.append("  ").append(name).append("_op [shape=ellipse label=\"");
    out.append(escape_dot_string(op)).append("\"];\n");
    out.append("  ").append(name).append("_op -> ").append(name).append(";\n");
  }
}

void dot_edge(std::string& out, std::size_t parent_id, std::size_t child_id,
              const std::string& label) {
  out.append("  n").append(std::to_string(parent_id)).append(" -> n");
  out.append(std::to_string(child_id)).append("_op");
  if (!label.empty()) out.append(" [label=\"").append(escape_dot_string(label)).append("\"]");
  out += ";\n";
}

}  // namespace detail

void write_text_file(const std::string& path, std::string_view text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  KINDLING_CHECK(file.good(), "write_text_file: cannot open '", path, "' for writing");
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.close();
  KINDLING_CHECK(file.good(), "write_text_file: writing '", path, "' failed");
}

}  // namespace kindling::engine
