// step_backprop: walks the backward pass of a formula one node at a time.
//
//   step_backprop "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
//   step_backprop --out frames --no-svg "x*x + 3*x" x=2
//
// Prints each step with the chain rule's numbers, writes one DOT frame per step (frame_000.dot is
// the state before the first step), renders the frames to SVG with Graphviz's `dot` program, and
// writes player.html: every frame inlined, with next / previous / play. Last, gradcheck.dot (and
// .svg) colours each node by how far its gradient is from a finite difference.
//
// Arguments are read strictly: an unknown option, a variable given twice, a name that is not an
// identifier or a value that is not a finite number is an error (exit status 2); `--` ends the
// options, for an expression that starts with "--". Graphviz runs without a shell (Note [no shell]
// in kindling_cli/spawn.hpp).
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/gradcheck.hpp"
#include "kindling/explain/html_player.hpp"
#include "kindling/explain/value_stepper.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"

namespace {

namespace fs = std::filesystem;

void usage(std::ostream& out) {
  out << "usage: step_backprop [--out DIR] [--no-svg] [--quiet] [--] EXPRESSION [name=value ...]\n"
         "  EXPRESSION  e.g. \"tanh(x1*w1 + x2*w2 + b)\": numbers, variables, + - * / ^, (),\n"
         "              exp log tanh relu sigmoid\n"
         "  name=value  a variable and its value\n"
         "  --out DIR   where frames and player.html go (default: step_backprop_out)\n"
         "  --no-svg    write the DOT frames only (no Graphviz needed, no player)\n";
}

// Runs `dot -Tsvg -O` on all frames in one process, without a shell (paths need no quoting).
// Returns false, after saying why, when Graphviz is missing or fails.
bool render_svg(const std::vector<std::string>& dot_files) {
  std::vector<std::string> args = {"dot", "-Tsvg", "-O"};
  args.insert(args.end(), dot_files.begin(), dot_files.end());
  const kindling_cli::SpawnResult result = kindling_cli::run_program(std::move(args));
  if (!result.started()) {
    std::cerr << "step_backprop: cannot run Graphviz's `dot` (" << std::strerror(result.spawn_error)
              << "); install graphviz, or pass --no-svg\n";
    return false;
  }
  if (!result.succeeded()) {
    std::cerr << "step_backprop: `dot -Tsvg` failed on the frames\n";
    return false;
  }
  return true;
}

bool is_identifier(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (const char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  KINDLING_CHECK(in.good(), "step_backprop: cannot read '", path.string(), "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int run(int argc, char** argv) {
  fs::path out_dir = "step_backprop_out";
  bool svg = true;
  bool quiet = false;
  std::string expression;
  bool have_expression = false;
  kindling::ExpressionVariables variables;
  using kindling_cli::usage_error;
  kindling_cli::Arguments args(argc, argv);
  bool options_done = false;
  while (args.next()) {
    const std::string arg(args.current());
    if (!options_done && (arg == "--help" || arg == "-h")) {
      usage(std::cout);
      return 0;
    } else if (!options_done && arg == "--out") {
      out_dir = std::string(args.value());
      if (out_dir.empty()) throw usage_error("--out: the folder name is empty");
    } else if (!options_done && arg == "--no-svg") {
      svg = false;
    } else if (!options_done && arg == "--quiet") {
      quiet = true;
    } else if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && arg.size() > 2 && arg.compare(0, 2, "--") == 0 &&
               std::isalpha(static_cast<unsigned char>(arg[2]))) {
      args.unknown();  // "--outdir" is a misspelt option, not an expression
    } else if (!have_expression) {
      expression = arg;
      have_expression = true;
    } else {
      const std::size_t eq = arg.find('=');
      if (eq == std::string::npos) throw usage_error("expected name=value, got '" + arg + "'");
      const std::string name = arg.substr(0, eq);
      if (!is_identifier(name))
        throw usage_error("'" + name + "' (in '" + arg +
                          "') is not a variable name: letters, digits and _, not first a digit");
      const double value =
          kindling_cli::parse_real(name, std::string_view(arg).substr(eq + 1), -HUGE_VAL, HUGE_VAL);
      if (!variables.try_emplace(name, kindling::Value(value, name)).second)
        throw usage_error("the variable '" + name + "' is given twice");
    }
  }
  if (!have_expression) throw usage_error("no EXPRESSION given (see --help)");

  kindling::Value root = kindling::parse_expression(expression, variables);
  root.set_label(root.label().empty() ? "out" : root.label());
  std::cout << expression << " = " << root.data() << "\n";

  fs::create_directories(out_dir);
  kindling::ValueStepper stepper(root);
  std::vector<std::string> texts;
  std::vector<std::string> dot_files;
  kindling::engine::DotOptions options;
  options.graph_name = expression;
  // Frame i shows the state after i steps; frame 0 is the seeded root before any step.
  for (std::size_t frame = 0;; ++frame) {
    if (frame > 0) stepper.step();
    const std::string text = stepper.state_text();
    if (!quiet) std::cout << text << "\n";  // tagged "[i/n]", continuation lines indented
    texts.push_back(text);
    char name[32];
    std::snprintf(name, sizeof name, "frame_%03zu.dot", frame);
    dot_files.push_back((out_dir / name).string());
    kindling::engine::write_text_file(dot_files.back(), stepper.frame_dot(options));
    if (stepper.done()) break;
  }

  std::cout << "gradients:";
  for (const auto& [name, value] : variables)
    std::cout << " d" << root.label() << "/d" << name << " = " << value.grad();
  std::cout << "\nwrote " << dot_files.size() << " DOT frames to " << out_dir.string() << "\n";

  // The finished gradients checked against finite differences, as a coloured graph.
  const kindling::GradcheckReport check = kindling::gradcheck(root);
  const std::string check_file = (out_dir / "gradcheck.dot").string();
  kindling::engine::write_text_file(check_file, kindling::gradcheck_dot(root, check, options));
  std::cout << "gradcheck: largest relative error " << check.max_relative_error << " ("
            << check_file << ")\n";
  if (!svg) return 0;

  std::vector<std::string> to_render = dot_files;
  to_render.push_back(check_file);
  if (!render_svg(to_render)) return 1;
  std::vector<kindling::engine::PlayerFrame> frames;
  for (std::size_t i = 0; i < dot_files.size(); ++i)
    frames.push_back({read_file(dot_files[i] + ".svg"), texts[i]});
  const fs::path player = out_dir / "player.html";
  kindling::engine::write_text_file(
      player.string(),
      kindling::engine::html_player(frames, expression, kindling::engine::kFrameLegend));
  std::cout << "wrote " << frames.size() << " SVG frames and " << player.string() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("step_backprop", [&] { return run(argc, argv); });
}
