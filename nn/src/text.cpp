// UTF-8 validation, message quoting and JSON string literals for the readers and writers.
#include "text.hpp"

#include <cstdio>

namespace kindling::nn::text {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
std::size_t sequence_length(std::span<const std::uint8_t> s, std::size_t i) noexcept {
  const std::uint8_t c = s[i];
  if (c < 0x80) return 1;
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > s.size() - i) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((s[i + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i + k] & 0x3F);
  }
  const bool overlong =
      (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

void append_hex_escape(std::string& out, const char* form, unsigned value) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, form, value);
  out += buffer;
}

}  // namespace

std::size_t invalid_utf8_at(std::span<const std::uint8_t> bytes) noexcept {
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t len = sequence_length(bytes, i);
    if (len == 0) return i;
    i += len;
  }
  return npos;
}

std::size_t invalid_utf8_at(std::string_view text) noexcept {
  return invalid_utf8_at(as_bytes(text));
}

std::string quote_for_message(std::string_view text, std::size_t max_bytes) {
  const auto bytes = as_bytes(text);
  std::string out = "\"";
  std::size_t i = 0;
  while (i < bytes.size() && i < max_bytes) {
    const std::uint8_t c = bytes[i];
    const std::size_t len = sequence_length(bytes, i);
    if (len == 0) {
      append_hex_escape(out, "\\x%02X", c);
      ++i;
    } else if (len > 1) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\n') {
        out += "\\n";
      } else if (c < 0x20 || c == 0x7F) {
        append_hex_escape(out, "\\x%02X", c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
    }
  }
  out += i < bytes.size() ? "\"..." : "\"";
  return out;
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (const char* short_form = c == '\n'   ? "\\n"
                                        : c == '\r' ? "\\r"
                                        : c == '\t' ? "\\t"
                                        : c == '\b' ? "\\b"
                                        : c == '\f' ? "\\f"
                                                    : nullptr) {
      // JSON's short forms: a rewritten header is never longer than its source's escapes.
      out += short_form;
    } else if (c < 0x20) {
      append_hex_escape(out, "\\u%04X", c);
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace kindling::nn::text
