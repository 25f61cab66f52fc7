// moons: micrograd's demo on kindling. Trains MLP(2, {16, 16, 1}) on the two-moons data with the
// SVM max-margin loss, full batch, 100 SGD steps with a decaying learning rate; prints the loss and
// accuracy, draws the decision boundary in ASCII (and writes it as CSV), and writes the DOT graph
// of one neuron's output. Options are read strictly (kindling_cli/options.hpp): a bad value is an
// error naming the option, with exit status 2.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/nn/moons.hpp"
#include "kindling/nn/progress.hpp"
#include "kindling/nn/scalar.hpp"
#include "kindling_cli/options.hpp"

using kindling::Value;
namespace scalar = kindling::nn::scalar;

namespace {

using kindling_cli::parse_integer;

// Each sample's forward graph is about 600 scalar nodes of 64 bytes, all alive until backward:
// 100000 samples take about 4 GB per step, the most that makes sense here.
constexpr std::size_t kMaxSamples = 100000;

struct Options {
  int steps = 100;
  std::size_t samples = 100;
  double noise = 0.1;
  std::uint64_t seed = 1337;
  double alpha = 1e-4;
  std::string out_dir = ".";
  bool help = false;
};

void print_help() {
  std::puts(
      "usage: moons [--steps N] [--samples N] [--noise X] [--seed N] [--out-dir DIR]\n"
      "  --steps N     SGD steps, 1..1000000 (default 100)\n"
      "  --samples N   points, 2..100000 (default 100)\n"
      "  --noise X     standard deviation of the noise, 0..10 (default 0.1)\n"
      "  --seed N      data and initialisation seed, 0..2^64-1 (default 1337)\n"
      "  --out-dir DIR where the files go, created if missing (default .)\n"
      "Trains micrograd's MLP(2, {16, 16, 1}) on two moons and writes, in DIR:\n"
      "  moons_boundary.csv  the model's score on a grid (x, y, score) and the data points\n"
      "  moons_neuron.dot    the graph of one neuron's output (render: dot -Tsvg -O "
      "moons_neuron.dot)");
}

Options parse(int argc, char** argv) {
  Options options;
  kindling_cli::Arguments args(argc, argv);
  while (args.next()) {
    if (args.is("--help") || args.is("-h")) {
      options.help = true;
      return options;
    } else if (args.is("--steps")) {
      options.steps = parse_integer<int>("--steps", args.value(), 1, 1000000);
    } else if (args.is("--samples")) {
      options.samples = parse_integer<std::size_t>("--samples", args.value(), 2, kMaxSamples);
    } else if (args.is("--noise")) {
      options.noise = kindling_cli::parse_real("--noise", args.value(), 0.0, 10.0);
    } else if (args.is("--seed")) {
      options.seed = parse_integer<std::uint64_t>("--seed", args.value(), 0,
                                                  std::numeric_limits<std::uint64_t>::max());
    } else if (args.is("--out-dir")) {
      options.out_dir = args.value();
      if (options.out_dir.empty())
        throw kindling_cli::usage_error("--out-dir: the folder name is empty");
    } else {
      args.unknown();
    }
  }
  return options;
}

std::vector<double> signed_labels(const kindling::nn::MoonsData& data) {
  std::vector<double> y;
  for (int label : data.label)
    y.push_back(label == 1 ? 1.0 : -1.0);
  return y;
}

double score_at(const scalar::MLP& model, double x, double y) {
  kindling::no_grad guard;  // evaluation only: no graph
  const Value input[2] = {x, y};
  return model(input)[0].data();
}

void draw_boundary(const scalar::MLP& model, const kindling::nn::MoonsData& data,
                   const std::string& csv_path) {
  constexpr int kColumns = 64, kRows = 24;
  constexpr double kXMin = -1.5, kXMax = 2.5, kYMin = -1.0, kYMax = 1.5;
  std::vector<std::string> canvas(kRows, std::string(kColumns, ' '));
  std::ofstream csv(csv_path);
  KINDLING_CHECK(csv.good(), "cannot write '", csv_path, "'");
  csv << "kind,x,y,value\n";
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < kColumns; ++c) {
      const double x = kXMin + (kXMax - kXMin) * (c + 0.5) / kColumns;
      const double y = kYMax - (kYMax - kYMin) * (r + 0.5) / kRows;
      const double score = score_at(model, x, y);
      canvas[r][c] = score > 0 ? '.' : ' ';
      csv << "grid," << x << ',' << y << ',' << score << '\n';
    }
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double x = data.x[2 * i], y = data.x[2 * i + 1];
    csv << "point," << x << ',' << y << ',' << (data.label[i] == 1 ? 1 : -1) << '\n';
    const int c = static_cast<int>((x - kXMin) / (kXMax - kXMin) * kColumns);
    const int r = static_cast<int>((kYMax - y) / (kYMax - kYMin) * kRows);
    if (c >= 0 && c < kColumns && r >= 0 && r < kRows)
      canvas[r][c] = data.label[i] == 1 ? 'x' : 'o';
  }
  std::puts("decision boundary ('.' = class x region, o/x = training points):");
  std::printf("+%s+\n", std::string(kColumns, '-').c_str());
  for (const std::string& line : canvas)
    std::printf("|%s|\n", line.c_str());
  std::printf("+%s+\n", std::string(kColumns, '-').c_str());
}

int run(const Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  KINDLING_CHECK(std::filesystem::is_directory(options.out_dir, ec),
                 "--out-dir: cannot create the folder '", options.out_dir, "'");
  const kindling::nn::MoonsData data =
      kindling::nn::make_moons(options.samples, options.noise, options.seed);
  const std::vector<double> labels = signed_labels(data);
  kindling::Generator generator(options.seed);
  scalar::MLP model(2, {16, 16, 1}, generator);
  const std::vector<Value> parameters = model.parameters();
  std::printf("%s\nnumber of parameters %zu\n", model.describe().c_str(), parameters.size());

  double loss = 0.0, accuracy = 0.0;
  kindling::nn::ProgressBar progress(options.steps, "training");
  for (int step = 0; step < options.steps; ++step) {
    std::vector<Value> scores;
    scores.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
      const Value input[2] = {data.x[2 * i], data.x[2 * i + 1]};
      scores.push_back(model(input)[0]);
    }
    Value total_loss = scalar::svm_loss(scores, labels, parameters, options.alpha);
    accuracy = scalar::sign_accuracy(scores, labels);
    model.zero_grad();
    total_loss.backward();
    const double learning_rate = 1.0 - 0.9 * step / options.steps;
    scalar::sgd_step(parameters, learning_rate);
    loss = total_loss.data();
    char status[64];
    std::snprintf(status, sizeof status, "loss %.4f accuracy %.0f%%", loss, 100 * accuracy);
    progress.update(step + 1, status);
  }
  progress.finish();
  std::printf("final loss %.6f, training accuracy %.0f%%\n", loss, 100 * accuracy);

  const std::string csv_path = options.out_dir + "/moons_boundary.csv";
  draw_boundary(model, data, csv_path);
  std::printf("wrote %s\n", csv_path.c_str());

  // The graph of one neuron's output on the first point, with its gradients, for Graphviz.
  // A neuron of the first layer that is active on the first point, so the gradients are not all 0.
  const auto& first_layer = model.layers()[0].neurons();
  std::size_t chosen = 0;
  {
    kindling::no_grad guard;
    const Value probe[2] = {data.x[0], data.x[1]};
    while (chosen + 1 < first_layer.size() && first_layer[chosen](probe).data() <= 0)
      ++chosen;
  }
  const scalar::Neuron& neuron = first_layer[chosen];
  std::vector<Value> neuron_parameters = neuron.parameters();
  for (std::size_t i = 0; i + 1 < neuron_parameters.size(); ++i) {
    neuron_parameters[i].set_label(std::string("w").append(std::to_string(i + 1)));
  }
  neuron_parameters.back().set_label("b");
  const Value input[2] = {Value(data.x[0], "x1"), Value(data.x[1], "x2")};
  Value output = neuron(input);
  output.set_label("out");
  neuron.zero_grad();
  output.backward();
  const std::string dot_path = options.out_dir + "/moons_neuron.dot";
  kindling::write_dot(output, dot_path);
  std::printf("wrote %s (render with: dot -Tsvg -O %s)\n", dot_path.c_str(), dot_path.c_str());
  return accuracy == 1.0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("moons", [&] {
    const Options options = parse(argc, argv);
    if (options.help) {
      print_help();
      return 0;
    }
    return run(options);
  });
}
