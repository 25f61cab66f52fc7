// Fashion-MNIST with an MLP 784-256-128-10 (ReLU), AdamW with a cosine learning-rate schedule
// (annealed per step over the whole run) and cross-entropy on kindling::Tensor, inputs
// standardised with the training set's pixel mean and standard deviation:
// a progress bar per epoch, test accuracy after each, the loss curve as CSV (and PNG when gnuplot
// or matplotlib is there), and the trained model saved as safetensors.
//
//   build/examples/fashion_mnist/fashion_mnist --epochs 5 --out-dir out
//   mpirun -np 2 build/examples/fashion_mnist/fashion_mnist --distributed --epochs 1
//
// --distributed (where kindling::dist is built) trains data-parallel under mpirun: every rank
// takes its DistributedSampler shard, --batch-size samples per rank and step, the gradients are
// averaged by DistributedDataParallel, and rank 0 alone prints, evaluates and writes the files.
// Two ranks with --batch-size 64 train as one process with --batch-size 128.
//
// Options are read strictly (tools/cli/include/kindling_cli/options.hpp): a malformed or
// out-of-range value is an error naming the option, with exit status 2; any other failure prints
// "fashion_mnist: <message>" with exit status 1. The plotters run without a shell (Note [no shell]
// in kindling_cli/spawn.hpp), so --out-dir may hold any characters.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "kindling/explain/dot.hpp"  // engine::write_text_file
#include "kindling/nn/conv.hpp"
#include "kindling/nn/data.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/metrics.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/progress.hpp"
#include "kindling/nn/readers.hpp"
#include "kindling/nn/safetensors.hpp"
#include "kindling/nn/scheduler.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"
#ifdef KINDLING_EXAMPLE_WITH_DIST
#include "kindling/dist.hpp"
#endif

namespace {

using namespace kindling;
using namespace kindling::nn;
namespace fs = std::filesystem;
using kindling_cli::parse_integer;
using kindling_cli::usage_error;

// libgomp crashes when asked for 100000 threads; a thousand is far beyond any useful count and
// still starts.
constexpr int kMaxThreads = 1024;

struct Options {
  int epochs = 5;
  std::int64_t batch_size = 64;
  double lr = 1e-3;
  int threads = 0;         // 0: OpenMP's default
  std::int64_t limit = 0;  // 0: every image; else at most this many training and test images
  std::string data;        // empty: $KINDLING_FASHION_MNIST or Debian's folder
  std::string out_dir = ".";
  std::string device = "cpu";
  std::uint64_t seed = 1;
  bool distributed = false;
  bool help = false;
  std::string model = "mlp";  // mlp or cnn
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: fashion_mnist [options]\n"
      "  --epochs N       passes over the training images, 0..10000 (default 5)\n"
      "  --batch-size N   samples per step, 1..1048576 (default 64)\n"
      "  --lr X           AdamW learning rate, > 0 (default 0.001)\n"
      "  --threads N      OpenMP threads, 1..1024 (default: all cores)\n"
      "  --limit N        use only the first N training and N test images (a quick run)\n"
      "  --data DIR       folder with the *-ubyte.gz files (default\n"
      "                   $KINDLING_FASHION_MNIST, else /usr/share/datasets/fashion-mnist)\n"
      "  --out-dir DIR    where the loss curve and the model go, created if missing (default .)\n"
      "  --device D       cpu or cuda (cuda needs the gpu module and a GPU)\n"
      "  --seed N         initialisation and shuffling seed, 0..2^64-1 (default 1)\n"
      "  --model M        mlp (784-256-128-10) or cnn (conv 32-64 with pooling, dropout,\n"
      "                   two linear layers) (default mlp)\n"
      "  --distributed    data-parallel over the ranks of mpirun (--batch-size per rank)\n"
      "  --help           this text\n");
}

Options parse(int argc, char** argv) {
  Options o;
  kindling_cli::Arguments args(argc, argv);
  while (args.next()) {
    if (args.is("--help") || args.is("-h")) {
      o.help = true;
      return o;
    } else if (args.is("--epochs")) {
      o.epochs = parse_integer<int>("--epochs", args.value(), 0, 10000);
    } else if (args.is("--batch-size")) {
      o.batch_size = parse_integer<std::int64_t>("--batch-size", args.value(), 1, 1 << 20);
    } else if (args.is("--lr")) {
      o.lr = kindling_cli::parse_real("--lr", args.value(), 0.0,
                                      std::numeric_limits<double>::infinity(), true);
    } else if (args.is("--threads")) {
      o.threads = parse_integer<int>("--threads", args.value(), 1, kMaxThreads);
    } else if (args.is("--limit")) {
      o.limit = parse_integer<std::int64_t>("--limit", args.value(), 1,
                                            std::numeric_limits<std::int64_t>::max());
    } else if (args.is("--data")) {
      o.data = args.value();
    } else if (args.is("--out-dir")) {
      o.out_dir = args.value();
    } else if (args.is("--device")) {
      o.device = args.value();
      if (o.device != "cpu" && o.device != "cuda")
        throw usage_error("--device: '" + o.device + "' is not cpu or cuda");
    } else if (args.is("--model")) {
      o.model = args.value();
      if (o.model != "mlp" && o.model != "cnn")
        throw usage_error("--model: '" + o.model + "' is not mlp or cnn");
    } else if (args.is("--distributed")) {
      o.distributed = true;
    } else if (args.is("--seed")) {
      o.seed = parse_integer<std::uint64_t>("--seed", args.value(), 0,
                                            std::numeric_limits<std::uint64_t>::max());
    } else {
      args.unknown();
    }
  }
  KINDLING_CHECK(!o.out_dir.empty(), "--out-dir: the folder name is empty");
  return o;
}

// Says which of the four files is missing or not a file before the reader opens them, so that a
// wrong --data gives one plain sentence.
void check_data_folder(const std::string& folder) {
  const char* const hint =
      "\n  install the data with `apt-get install dataset-fashion-mnist`, or point --data / "
      "KINDLING_FASHION_MNIST at a folder holding the four *-ubyte.gz files";
  std::error_code ec;
  KINDLING_CHECK(fs::is_directory(folder, ec), "Fashion-MNIST: the data folder '", folder,
                 fs::exists(folder, ec) ? "' is not a folder" : "' does not exist", hint);
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    const fs::path file = fs::path(folder) / name;
    KINDLING_CHECK(fs::is_regular_file(file, ec), "Fashion-MNIST: '", file.string(),
                   fs::exists(file, ec) ? "' is not a regular file" : "' does not exist", hint);
  }
}

// The first `limit` samples (all of them when limit is 0 or beyond the size).
TensorDataset first_samples(const TensorDataset& data, std::int64_t limit) {
  const auto n = static_cast<std::int64_t>(data.size());
  if (limit == 0 || limit >= n) return data;
  return TensorDataset(data.inputs().slice(0, 0, limit), data.targets().slice(0, 0, limit));
}

// A copy of a host batch on `device` (the batch itself when that is the CPU).
Tensor on_device(const Tensor& t, Device device) {
  return t.to(device);
}

// --model cnn: two 3x3 convolutions (32 and 64 channels, padding 1), each with ReLU and 2x2 max
// pooling, then dropout and two linear layers: (N, 1, 28, 28) -> (N, 10).
constexpr const char* kCnnDescription =
    "conv3x3 1-32 relu maxpool2, conv3x3 32-64 relu maxpool2, dropout 0.25, linear 3136-128 relu, "
    "linear 128-10";
// One layer after the other: the arguments of one call may be evaluated in any order, so layers
// made as Sequential's arguments would draw their weights from `g` in an order that depends on the
// compiler. Made in order, they draw as Python's and the book's CNN do.
std::shared_ptr<Sequential> fashion_cnn(Generator& g) {
  auto model = std::make_shared<Sequential>();
  model->push_back(std::make_shared<Conv2d>(1, 32, 3, g, 1, 1));
  model->push_back(std::make_shared<ReLU>());
  model->push_back(std::make_shared<MaxPool2d>(2));
  model->push_back(std::make_shared<Conv2d>(32, 64, 3, g, 1, 1));
  model->push_back(std::make_shared<ReLU>());
  model->push_back(std::make_shared<MaxPool2d>(2));
  model->push_back(std::make_shared<Flatten>());
  model->push_back(std::make_shared<Dropout>(0.25, g));
  model->push_back(std::make_shared<Linear>(64 * 7 * 7, 128, g));
  model->push_back(std::make_shared<ReLU>());
  model->push_back(std::make_shared<Linear>(128, 10, g));
  return model;
}

double evaluate(Module& model, const TensorDataset& test, Device device) {
  const no_grad guard;
  model.eval();
  DataLoader loader(test, {.batch_size = 1000});
  std::int64_t right = 0;
  for (const Batch& b : loader) {
    const Tensor predicted = argmax(model(on_device(b.inputs, device)), 1);
    right += static_cast<std::int64_t>(sum(eq(predicted, on_device(b.targets, device))).item());
  }
  model.train();
  return static_cast<double>(right) / static_cast<double>(test.size());
}

// The gnuplot script: the paths arrive as ARG1 (CSV) and ARG2 (PNG) through `gnuplot -c`, so they
// are never parsed as gnuplot syntax or by a shell, whatever characters they hold.
constexpr const char* kGnuplotScript =
    "set terminal pngcairo size 800,500\n"
    "set output ARG2\n"
    "set datafile separator ','\n"
    "set key autotitle columnhead\n"
    "set xlabel 'step'\n"
    "set ylabel 'training loss'\n"
    "plot ARG1 using 1:3 with lines\n";

// matplotlib's version, the paths in sys.argv.
constexpr const char* kMatplotlibScript =
    "import sys, csv, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
    "rows = list(csv.DictReader(open(sys.argv[1]))); "
    "plt.plot([int(r['step']) for r in rows], [float(r['loss']) for r in rows]); "
    "plt.xlabel('step'); plt.ylabel('training loss'); plt.title('Fashion-MNIST MLP'); "
    "plt.savefig(sys.argv[2], dpi=100)";

// Draws the loss curve with gnuplot, else matplotlib; neither is required. Returns the plotter
// that wrote `png`, or an empty string.
std::string plot(const std::string& csv, const std::string& png, const std::string& script_path) {
  kindling_cli::SpawnOptions quiet;
  quiet.discard_stdout = quiet.discard_stderr = true;
  engine::write_text_file(script_path, kGnuplotScript);
  if (kindling_cli::run_program({"gnuplot", "-c", script_path, csv, png}, quiet).succeeded())
    return "gnuplot";
  if (kindling_cli::run_program({"/usr/bin/python3", "-c", kMatplotlibScript, csv, png}, quiet)
          .succeeded())
    return "matplotlib";
  return {};
}

int run(const Options& o) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
#ifdef KINDLING_EXAMPLE_WITH_DIST
  std::optional<dist::Environment> environment;
  if (o.distributed) environment.emplace(dist::init());
  const int rank = o.distributed ? dist::rank() : 0;
  const int world = o.distributed ? dist::world_size() : 1;
#else
  KINDLING_CHECK(!o.distributed,
                 "--distributed: this build has no kindling::dist (CMake found no "
                 "MPI when it was configured)");
  const int rank = 0, world = 1;
#endif
  const bool lead = rank == 0;  // prints, evaluates and writes the files
  const Device device = o.device == "cuda" ? Device{DeviceType::cuda, 0} : kCPU;
  KINDLING_CHECK(device == kCPU || kernels::has_kernels(DeviceType::cuda),
                 "--device cuda, but no CUDA kernels are registered in this build");
  const std::string folder = fashion_mnist_dir(o.data);
  check_data_folder(folder);
  std::error_code ec;
  if (lead) fs::create_directories(o.out_dir, ec);
  KINDLING_CHECK(!lead || fs::is_directory(o.out_dir, ec), "--out-dir: cannot create the folder '",
                 o.out_dir, "'", ec ? " (" + ec.message() + ")" : std::string{});
  if (lead) std::printf("Fashion-MNIST from %s\n", folder.c_str());
  TensorDataset train = first_samples(fashion_mnist(Split::train, folder), o.limit);
  TensorDataset test = first_samples(fashion_mnist(Split::test, folder), o.limit);
  {
    // Standardise with the training pixels' statistics (the test set uses the same numbers).
    const no_grad guard;
    const double mu = mean(train.inputs()).item();
    double sigma = stddev(train.inputs()).item();
    if (!(sigma > 0)) sigma = 1.0;  // a (tiny) set of identical pixels: only centre it
    train = TensorDataset((train.inputs() - mu) / sigma, train.targets());
    test = TensorDataset((test.inputs() - mu) / sigma, test.targets());
  }

  Generator generator(o.seed);
  const bool cnn = o.model == "cnn";
  if (cnn) {  // the images as (N, 1, 28, 28)
    train = TensorDataset(train.inputs().reshape({-1, 1, 28, 28}), train.targets());
    test = TensorDataset(test.inputs().reshape({-1, 1, 28, 28}), test.targets());
  }
  std::shared_ptr<Sequential> model =
      cnn ? fashion_cnn(generator) : mlp<ReLU>({784, 256, 128, 10}, generator);
  model->to(device);
  AdamOptions adam = AdamW::with_default_decay();
  adam.lr = o.lr;
  // What trains: the model, or (--distributed) the wrapper that averages its gradients over the
  // ranks, made after the move to the device (it broadcasts rank 0's parameters).
  std::shared_ptr<Module> trained = model;
#ifdef KINDLING_EXAMPLE_WITH_DIST
  if (o.distributed) trained = std::make_shared<dist::DistributedDataParallel>(model);
#endif
  AdamW optimizer(model->parameters(), adam);
  if (lead)
    std::cout << *model << "\n"
              << model->parameter_count() << " parameters, " << train.size() << " training / "
              << test.size() << " test images, batch " << o.batch_size << " x " << world
              << " rank(s), " << omp_get_max_threads() << " thread(s), " << to_string(device)
              << ", SIMD " << kernels::cpu_simd_arch() << "\n";

  // One process shuffles the whole set; the ranks each take their DistributedSampler shard of a
  // permutation drawn from the shared seed and the epoch.
  const auto shard_of_epoch = [&](int epoch) {
#ifdef KINDLING_EXAMPLE_WITH_DIST
    dist::DistributedSampler sampler(train.size(), {.shuffle = true, .seed = o.seed});
    sampler.set_epoch(epoch);
    return sampler.indices();
#else
    (void)epoch;
    return std::vector<std::int64_t>{};
#endif
  };
  std::optional<Subset> shard;
  std::optional<DataLoader> loader;
  const auto start_epoch = [&](int epoch) {
    if (!o.distributed) {
      if (!loader)
        loader.emplace(train,
                       LoaderOptions{.batch_size = o.batch_size, .shuffle = true, .seed = o.seed});
      return;
    }
    loader.reset();
    shard.emplace(train, shard_of_epoch(epoch));
    loader.emplace(*shard, LoaderOptions{.batch_size = o.batch_size});
  };
  start_epoch(1);
  CosineAnnealingLR schedule(
      optimizer, std::max<std::int64_t>(1, o.epochs * static_cast<std::int64_t>(loader->size())));
  const std::string curve_path = o.out_dir + "/fashion_mnist_loss.csv";
  std::ofstream curve;
  if (lead) {
    curve.open(curve_path);
    KINDLING_CHECK(curve.good(), "cannot write '", curve_path, "'");
    curve << "step,epoch,loss\n";
  }
  constexpr std::int64_t kCurveEvery = 50;  // steps per point of the curve
  std::int64_t step = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    if (epoch > 1) start_epoch(epoch);
    std::optional<ProgressBar> bar;
    if (lead)
      bar.emplace(loader->size(), "epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs),
                  stdout);
    RunningMean epoch_loss, curve_loss;
    const auto start = std::chrono::steady_clock::now();
    std::size_t done = 0, samples = 0;
    for (const Batch& b : *loader) {
      const Tensor loss =
          nn::cross_entropy((*trained)(on_device(b.inputs, device)), on_device(b.targets, device));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      schedule.step();
      const double value = loss.item();
      const auto n = static_cast<double>(b.targets.numel());
      epoch_loss.add(value, n);
      curve_loss.add(value, n);
      samples += b.targets.numel();
      ++done, ++step;
      if (lead && step % kCurveEvery == 0) {
        curve << step << "," << epoch << "," << curve_loss.mean() << "\n";
        curve_loss.reset();
      }
      if (bar && (done % 20 == 0 || done == loader->size())) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char status[96];
        std::snprintf(status, sizeof status, "loss %.4f  %.0f samples/s", epoch_loss.mean(),
                      static_cast<double>(samples) * world / seconds);
        bar->update(done, status);
      }
    }
    if (!lead) continue;  // the other ranks train on; rank 0 reports and writes
    bar->finish();
    if (epoch == o.epochs && curve_loss.weight() > 0) {
      // The steps since the last point, so that a short run still has a curve.
      curve << step << "," << epoch << "," << curve_loss.mean() << "\n";
    }
    std::printf("epoch %d: train loss %.4f, test accuracy %.2f%%\n", epoch, epoch_loss.mean(),
                100.0 * evaluate(*model, test, device));
  }
  if (!lead) return 0;
  curve.close();
  KINDLING_CHECK(curve.good(), "writing '", curve_path, "' failed");
  const std::string model_path = o.out_dir + "/fashion_mnist_" + o.model + ".safetensors";
  save_safetensors(*model, model_path,
                   {{"model", cnn ? kCnnDescription : "mlp 784-256-128-10 relu"},
                    {"epochs", std::to_string(o.epochs)}});
  std::printf("wrote %s and %s\n", curve_path.c_str(), model_path.c_str());
  const std::string png_path = o.out_dir + "/fashion_mnist_loss.png";
  const std::string plotter = plot(curve_path, png_path, o.out_dir + "/fashion_mnist_loss.gp");
  if (plotter.empty())
    std::printf("(no gnuplot or matplotlib: the loss curve is only in %s)\n", curve_path.c_str());
  else
    std::printf("plotted %s with %s\n", png_path.c_str(), plotter.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("fashion_mnist", [&] {
    const Options options = parse(argc, argv);
    if (options.help) {
      usage(stdout);
      return 0;
    }
    return run(options);
  });
}
