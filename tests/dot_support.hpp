// Helpers shared by the tests that write files and draw graphs (engine, nn, stepper): output
// paths, reading a file back, and rendering DOT with Graphviz's `dot` (started from an argument
// vector, no shell: Note [no shell] in tools/cli/include/kindling_cli/spawn.hpp).
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "kindling/explain/dot.hpp"
#include "kindling_cli/spawn.hpp"

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
  kindling_cli::SpawnOptions options;
  options.capture_stdout = options.merge_stderr = true;
  const kindling_cli::SpawnResult result =
      kindling_cli::run_program({KINDLING_DOT_PROGRAM, "-Tsvg", dot_file, "-o", svg_file}, options);
  INFO("dot said: " << result.output);
  REQUIRE(result.succeeded());
  return read_text(svg_file);
#else
  (void)dot_text;
  WARN("SKIPPED: Graphviz `dot` is not installed; " << name << " not rendered");
  return {};
#endif
}

}  // namespace dot_test
