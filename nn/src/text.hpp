// Text checks the readers share (internal, not installed): UTF-8 validation, and quoting of
// untrusted text (names, fields, parser messages) for error messages.
//
// Note [untrusted text in messages]
// A message may quote what a file holds, but only through quote_for_message: it is cut to a few
// dozen bytes (a 100 MB key must not become a 100 MB message) and is always valid UTF-8 with
// control characters escaped, so it prints safely and crosses into Python (which rejects
// invalid UTF-8 in exception text) intact. Untrusted JSON is never dump()ed into a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kindling::nn::text {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

// Index of the first byte that does not start a valid UTF-8 sequence (overlong forms, surrogates
// and code points past U+10FFFF are invalid), or npos.
std::size_t invalid_utf8_at(std::span<const std::uint8_t> bytes) noexcept;
std::size_t invalid_utf8_at(std::string_view text) noexcept;

// `text` in double quotes for a message: valid UTF-8 kept, quotes, backslashes, control
// characters and invalid bytes escaped (\", \\, \n, \xNN), cut after `max_bytes` bytes of input
// with "..." (Note [untrusted text in messages]).
std::string quote_for_message(std::string_view text, std::size_t max_bytes = 64);

// Appends `text` (valid UTF-8, checked by the caller) as a JSON string literal.
void append_json_string(std::string& out, std::string_view text);

}  // namespace kindling::nn::text
