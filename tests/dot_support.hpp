// Helpers shared by the tests that write files and draw graphs (engine, nn, stepper): output
// paths, reading a file back, and rendering DOT with Graphviz's `dot`.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "kindling/engine/dot.hpp"

namespace dot_test {

inline std::string output_path(const std::string& name) {
  return std::string(KINDLING_TEST_OUTPUT_DIR) + "/" + name;
}

inline std::string read_text(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path, std::ios::binary).rdbuf();
  return text.str();
}

inline bool have_dot() {
#ifdef KINDLING_DOT_PROGRAM
  return true;
#else
  return false;
#endif
}

// Renders `dot_text` with `dot -Tsvg` (REQUIREs that it succeeds) and returns the SVG; empty,
// with a warning, when Graphviz is not installed.
inline std::string render_svg(const std::string& dot_text, const std::string& name) {
#ifdef KINDLING_DOT_PROGRAM
  const std::string dot_file = output_path(name + ".dot");
  const std::string svg_file = output_path(name + ".svg");
  kindling::engine::write_text_file(dot_file, dot_text);
  const std::string command = std::string(KINDLING_DOT_PROGRAM) + " -Tsvg '" + dot_file + "' -o '" +
                              svg_file + "' 2>'" + svg_file + ".log'";
  const int status = std::system(command.c_str());
  INFO("dot said: " << read_text(svg_file + ".log"));
  REQUIRE(status == 0);
  return read_text(svg_file);
#else
  (void)dot_text;
  WARN("SKIPPED: Graphviz `dot` is not installed; " << name << " not rendered");
  return {};
#endif
}

}  // namespace dot_test
