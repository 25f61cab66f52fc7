// step_backprop: walks the backward pass of a formula one node at a time.
//
//   step_backprop "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
//   step_backprop --out frames --no-svg "x*x + 3*x" x=2
//   step_backprop --order 2 "x^3 * y" x=0.5 y=2      (d2/dx2 by differentiating the gradient)
//
// Prints each step with the chain rule's numbers, writes one DOT frame per step (frame_000.dot is
// the state before the first step), renders the frames to SVG with Graphviz's `dot` program, and
// prints the link that opens the web playground (web/) on the same expression. Last, gradcheck.dot
// (and .svg) colours each node by how far its gradient is from a finite difference.
//
// With --order 2 (and --wrt NAME, the variable to differentiate by; default the first in name
// order) it steps through the create_graph backward first, each frame drawing the gradient graph
// it builds beside the forward graph, in blue (Note [gradient graph stepper] in
// explain/value_stepper.hpp); then through the backward pass of that gradient, d(out)/dx, which
// leaves d2(out)/dx2 in x's grad, checked against a central difference of d(out)/dx.
//
// Arguments are read strictly: an unknown option, a variable given twice, a name that is not an
// identifier or a value that is not a finite number is an error (exit status 2); `--` ends the
// options, for an expression that starts with "--". Graphviz runs without a shell (Note [no shell]
// in kindling_cli/spawn.hpp).
#include <algorithm>
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
#include "kindling/engine/value_grad.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/gradcheck.hpp"
#include "kindling/explain/value_stepper.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"

namespace {

namespace fs = std::filesystem;

void usage(std::ostream& out) {
  out << "usage: step_backprop [--out DIR] [--no-svg] [--quiet] [--order 1|2] [--wrt NAME] [--]\n"
         "                     EXPRESSION [name=value ...]\n"
         "  EXPRESSION  e.g. \"tanh(x1*w1 + x2*w2 + b)\": numbers, variables, + - * / ^, (),\n"
         "              exp log tanh relu sigmoid\n"
         "  name=value  a variable and its value\n"
         "  --out DIR   where the frames go (default: step_backprop_out)\n"
         "  --no-svg    write the DOT frames only (no Graphviz needed)\n"
         "  --order 2   step the create_graph backward (the gradient graph, drawn blue), then\n"
         "              the backward pass of d(out)/dx: d2(out)/dx2\n"
         "  --wrt NAME  the variable x of --order 2 (default: the first name in order)\n";
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

// The web playground (web/) steps through the same passes in a browser: the link that opens it
// on this expression, its values and the last step (the URL fragment, percent-encoded as
// encodeURIComponent does). Where the site was not built, the fragment alone.
void print_playground_link(const std::string& expression,
                           const kindling::ExpressionVariables& variables, int order,
                           const std::string& wrt) {
  auto encode = [](std::string_view text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
      if (std::isalnum(c) ||
          std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos)
        out += static_cast<char>(c);
      else
        out.append(1, '%').append(1, hex[c >> 4]).append(1, hex[c & 15]);
    }
    return out;
  };
  std::string fragment = "expr=" + encode(expression);
  for (const auto& [name, value] : variables) {
    char number[40];
    std::snprintf(number, sizeof number, "%.17g", value.data());
    fragment += "&" + name + "=" + encode(number);
  }
  if (order == 2) fragment += "&order=2&wrt=" + encode(wrt);
  fragment += "&step=end";
#ifdef KINDLING_WEB_SITE
  std::cout << "step through it in the browser: file://" KINDLING_WEB_SITE "/index.html#"
            << fragment << "\n";
#else
  std::cout << "step through it in the browser (build the web target): index.html#" << fragment
            << "\n";
#endif
}

// The frames of a run: each written as DOT at once, with its text for the player.
struct Frames {
  fs::path dir;
  bool quiet = false;
  std::vector<std::string> texts;
  std::vector<std::string> dot_files;
  void add(const std::string& text, const std::string& dot) {
    if (!quiet) std::cout << text << "\n";  // tagged "[i/n]", continuation lines indented
    texts.push_back(text);
    char name[32];
    std::snprintf(name, sizeof name, "frame_%03zu.dot", dot_files.size());
    dot_files.push_back((dir / name).string());
    kindling::engine::write_text_file(dot_files.back(), dot);
  }
};

// Every frame of a ValueStepper, frame 0 the seeded root; `style` draws each frame.
template <class Style>
void step_all(kindling::ValueStepper& stepper, Frames& frames, Style&& style) {
  for (std::size_t frame = 0;; ++frame) {
    if (frame > 0) stepper.step();
    frames.add(stepper.state_text(), style());
    if (stepper.done()) break;
  }
}

// --order 2: the create_graph backward of root by x, frame by frame, then the backward pass of
// the gradient it built. Returns d2(root)/dx2.
double second_order(const std::string& expression, kindling::Value root,
                    const kindling::ExpressionVariables& variables, const std::string& wrt,
                    Frames& frames, const kindling::engine::DotOptions& options) {
  const kindling::Value x = variables.find(wrt)->second;
  const std::string gradient_name = "d" + root.label() + "/d" + wrt;
  kindling::GradGraphStepper builder(root, {x});
  std::cout << "-- the create_graph backward: building " << gradient_name << " as a graph --\n";
  for (std::size_t frame = 0;; ++frame) {
    if (frame > 0) builder.step();
    frames.add(builder.state_text(), builder.frame_dot(options));
    if (builder.done()) break;
  }
  kindling::Value gradient = builder.gradients()[0];
  if (gradient.label().empty()) gradient.set_label(gradient_name);
  std::cout << gradient_name << " = " << gradient.data() << "\n";

  // Its backward pass: x's grad becomes d2(root)/dx2 (from 0: a fresh start for every leaf).
  kindling::zero_grads(gradient);
  kindling::ValueStepper stepper(gradient);
  std::cout << "-- the backward pass of " << gradient_name << ": d2" << root.label() << "/d" << wrt
            << "2 --\n";
  const kindling::engine::DotStyle<kindling::ValueNode> style =
      kindling::second_order_frame_style(stepper, root);
  step_all(stepper, frames,
           [&] { return kindling::engine::to_dot(stepper.root().node(), options, style); });
  const double d2 = x.grad();

  // A central difference of d(root)/dx, the expression parsed again at x +- h.
  const double h = 1e-5 * std::max(1.0, std::abs(x.data()));
  auto first_at = [&](double at) {
    kindling::ExpressionVariables moved;
    for (const auto& [name, value] : variables)
      moved.emplace(name, kindling::Value(name == wrt ? at : value.data(), name));
    const kindling::Value f = kindling::parse_expression(expression, moved);
    return kindling::grad(f, {moved.find(wrt)->second}, false, true)[0].data();
  };
  const double numeric = (first_at(x.data() + h) - first_at(x.data() - h)) / (2 * h);
  std::cout << "d2" << root.label() << "/d" << wrt << "2 = " << d2 << " (central difference of "
            << gradient_name << ": " << numeric << ")\n";
  return d2;
}

int run(int argc, char** argv) {
  fs::path out_dir = "step_backprop_out";
  bool svg = true;
  bool quiet = false;
  int order = 1;
  std::string wrt;
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
    } else if (!options_done && arg == "--order") {
      order = kindling_cli::parse_integer<int>("--order", args.value(), 1, 2);
    } else if (!options_done && arg == "--wrt") {
      wrt = std::string(args.value());
      if (!is_identifier(wrt)) throw usage_error("--wrt: '" + wrt + "' is not a variable name");
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
  if (order == 2) {
    if (wrt.empty() && !variables.empty()) wrt = variables.begin()->first;
    if (wrt.empty()) throw usage_error("--order 2: the expression needs a variable (name=value)");
    if (variables.count(wrt) == 0)
      throw usage_error("--wrt: '" + wrt + "' is not one of the variables given");
  } else if (!wrt.empty()) {
    throw usage_error("--wrt goes with --order 2");
  }

  kindling::Value root = kindling::parse_expression(expression, variables);
  root.set_label(root.label().empty() ? "out" : root.label());
  std::cout << expression << " = " << root.data() << "\n";

  fs::create_directories(out_dir);
  Frames frames{out_dir, quiet, {}, {}};
  kindling::engine::DotOptions options;
  options.graph_name = expression;
  if (order == 2) {
    second_order(expression, root, variables, wrt, frames, options);
    std::cout << "wrote " << frames.dot_files.size() << " DOT frames to " << out_dir.string()
              << "\n";
    if (!svg) return 0;
    if (!render_svg(frames.dot_files)) return 1;
    std::cout << "wrote " << frames.dot_files.size() << " SVG frames to " << out_dir.string()
              << "\n";
    print_playground_link(expression, variables, order, wrt);
    return 0;
  }
  kindling::ValueStepper stepper(root);
  // Frame i shows the state after i steps; frame 0 is the seeded root before any step.
  step_all(stepper, frames, [&] { return stepper.frame_dot(options); });
  const std::vector<std::string>& dot_files = frames.dot_files;

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
  std::cout << "wrote " << dot_files.size() << " SVG frames to " << out_dir.string() << "\n";
  print_playground_link(expression, variables, order, wrt);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("step_backprop", [&] { return run(argc, argv); });
}
