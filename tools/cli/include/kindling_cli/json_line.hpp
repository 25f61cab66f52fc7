// Reading the one flat JSON line a benchmark's peer script prints ({"key": value, ...}): only the
// two shapes the scripts write, a number and a string without escapes. Not a JSON parser.
#pragma once

#include <cstdlib>
#include <string>

namespace kindling_cli {

// The number after "key": in `json`, or 0 when the key is absent (the peer failed or is older).
inline double json_number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return 0.0;
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

// The string after "key": "...", or "?" when the key is absent.
inline std::string json_text(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\": \"");
  if (at == std::string::npos) return "?";
  const auto start = at + key.size() + 5;
  return json.substr(start, json.find('"', start) - start);
}

}  // namespace kindling_cli
