// Fashion-MNIST with an MLP 784-256-128-10 (ReLU), AdamW with a cosine learning-rate schedule
// (annealed per step over the whole run) and cross-entropy on kindling::Tensor, inputs
// standardised with the training set's pixel mean and standard deviation:
// a progress bar per epoch, test accuracy after each, the loss curve as CSV (and PNG when gnuplot
// or matplotlib is there), and the trained model saved as safetensors.
//
//   build/examples/fashion_mnist/fashion_mnist --epochs 5 --out-dir out
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

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

namespace {

using namespace kindling;
using namespace kindling::nn;

struct Options {
  int epochs = 5;
  std::int64_t batch_size = 64;
  double lr = 1e-3;
  int threads = 0;   // 0: OpenMP's default
  std::string data;  // empty: $KINDLING_FASHION_MNIST or Debian's folder
  std::string out_dir = ".";
  std::string device = "cpu";
  std::uint64_t seed = 1;
};

void usage(std::FILE* to) {
  std::fprintf(
      to,
      "usage: fashion_mnist [options]\n"
      "  --epochs N       passes over the 60000 training images (default 5)\n"
      "  --batch-size N   samples per step (default 64)\n"
      "  --lr X           AdamW learning rate (default 0.001)\n"
      "  --threads N      OpenMP threads (default: all cores)\n"
      "  --data DIR       folder with the *-ubyte.gz files (default\n"
      "                   $KINDLING_FASHION_MNIST, else /usr/share/datasets/fashion-mnist)\n"
      "  --out-dir DIR    where the loss curve and the model go (default .)\n"
      "  --device D       cpu or cuda (cuda needs the gpu module and a GPU)\n"
      "  --seed N         initialisation and shuffling seed (default 1)\n"
      "  --help           this text\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) throw error("fashion_mnist: " + flag + " needs a value (see --help)");
    const std::string value = argv[++i];
    try {
      if (flag == "--epochs")
        o.epochs = std::stoi(value);
      else if (flag == "--batch-size")
        o.batch_size = std::stoll(value);
      else if (flag == "--lr")
        o.lr = std::stod(value);
      else if (flag == "--threads")
        o.threads = std::stoi(value);
      else if (flag == "--data")
        o.data = value;
      else if (flag == "--out-dir")
        o.out_dir = value;
      else if (flag == "--device")
        o.device = value;
      else if (flag == "--seed")
        o.seed = std::stoull(value);
      else
        throw error("fashion_mnist: unknown option " + flag + " (see --help)");
    } catch (const std::logic_error&) {
      throw error("fashion_mnist: bad value '" + value + "' for " + flag);
    }
  }
  KINDLING_CHECK(o.epochs >= 0 && o.batch_size > 0 && o.lr > 0,
                 "fashion_mnist: need epochs >= 0, "
                 "batch size > 0 and lr > 0");
  KINDLING_CHECK(o.device == "cpu" || o.device == "cuda",
                 "fashion_mnist: --device is cpu or cuda, "
                 "got ",
                 o.device);
  return o;
}

// A copy of a host batch on `device` (the batch itself when that is the CPU).
Tensor on_device(const Tensor& t, Device device) {
  if (device == kCPU) return t;
  Tensor moved = zeros(t.shape(), t.dtype(), device);
  copy_into(moved, t);
  return moved;
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

void plot(const std::string& csv, const std::string& png) {
  // gnuplot first, matplotlib second; neither is required.
  if (std::system("command -v gnuplot > /dev/null 2>&1") == 0) {
    const std::string script = "set terminal pngcairo size 800,500; set output '" + png +
                               "'; set datafile separator ','; set key autotitle columnhead; "
                               "set xlabel 'step'; set ylabel 'training loss'; "
                               "plot '" +
                               csv + "' using 1:3 with lines";
    if (std::system(("gnuplot -e \"" + script + "\" 2> /dev/null").c_str()) == 0) return;
  }
  const std::string py =
      "import sys, csv, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
      "rows = list(csv.DictReader(open(sys.argv[1]))); "
      "plt.plot([int(r['step']) for r in rows], [float(r['loss']) for r in rows]); "
      "plt.xlabel('step'); plt.ylabel('training loss'); plt.title('Fashion-MNIST MLP'); "
      "plt.savefig(sys.argv[2], dpi=100)";
  if (std::system(
          ("/usr/bin/python3 -c \"" + py + "\" '" + csv + "' '" + png + "' > /dev/null 2>&1")
              .c_str()) == 0)
    return;
  std::printf("(no gnuplot or matplotlib: the loss curve is only in %s)\n", csv.c_str());
}

int run(const Options& o) {
  if (o.threads > 0) omp_set_num_threads(o.threads);
  const Device device = o.device == "cuda" ? Device{DeviceType::cuda, 0} : kCPU;
  KINDLING_CHECK(device == kCPU || kernels::has_kernels(DeviceType::cuda),
                 "fashion_mnist: --device cuda, but no CUDA kernels are registered in this build");
  std::printf("Fashion-MNIST from %s\n", fashion_mnist_dir(o.data).c_str());
  TensorDataset train = fashion_mnist(Split::train, o.data);
  TensorDataset test = fashion_mnist(Split::test, o.data);
  {
    // Standardise with the training pixels' statistics (the test set uses the same numbers).
    const no_grad guard;
    const double mu = mean(train.inputs()).item();
    const double sigma = stddev(train.inputs()).item();
    train = TensorDataset((train.inputs() - mu) / sigma, train.targets());
    test = TensorDataset((test.inputs() - mu) / sigma, test.targets());
  }

  Generator generator(o.seed);
  auto model = mlp<ReLU>({784, 256, 128, 10}, generator);
  model->to(device);
  AdamOptions adam = AdamW::with_default_decay();
  adam.lr = o.lr;
  AdamW optimizer(model->parameters(), adam);
  std::cout << *model << "\n"
            << model->parameter_count() << " parameters, " << train.size() << " training / "
            << test.size() << " test images, batch " << o.batch_size << ", "
            << omp_get_max_threads() << " thread(s), " << to_string(device) << ", SIMD "
            << kernels::cpu_simd_arch() << "\n";

  DataLoader loader(train, {.batch_size = o.batch_size, .shuffle = true, .seed = o.seed});
  CosineAnnealingLR schedule(
      optimizer, std::max<std::int64_t>(1, o.epochs * static_cast<std::int64_t>(loader.size())));
  const std::string curve_path = o.out_dir + "/fashion_mnist_loss.csv";
  std::ofstream curve(curve_path);
  KINDLING_CHECK(curve.good(), "fashion_mnist: cannot write ", curve_path,
                 " (does --out-dir exist?)");
  curve << "step,epoch,loss\n";
  constexpr std::int64_t kCurveEvery = 50;  // steps per point of the curve
  std::int64_t step = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    ProgressBar bar(loader.size(),
                    "epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs), stdout);
    RunningMean epoch_loss, curve_loss;
    const auto start = std::chrono::steady_clock::now();
    std::size_t done = 0, samples = 0;
    for (const Batch& b : loader) {
      const Tensor loss =
          nn::cross_entropy((*model)(on_device(b.inputs, device)), on_device(b.targets, device));
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
      if (step % kCurveEvery == 0) {
        curve << step << "," << epoch << "," << curve_loss.mean() << "\n";
        curve_loss.reset();
      }
      if (done % 20 == 0 || done == loader.size()) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        char status[96];
        std::snprintf(status, sizeof status, "loss %.4f  %.0f samples/s", epoch_loss.mean(),
                      static_cast<double>(samples) / seconds);
        bar.update(done, status);
      }
    }
    bar.finish();
    std::printf("epoch %d: train loss %.4f, test accuracy %.2f%%\n", epoch, epoch_loss.mean(),
                100.0 * evaluate(*model, test, device));
  }
  curve.close();
  const std::string model_path = o.out_dir + "/fashion_mnist_mlp.safetensors";
  save_safetensors(*model, model_path,
                   {{"model", "mlp 784-256-128-10 relu"}, {"epochs", std::to_string(o.epochs)}});
  plot(curve_path, o.out_dir + "/fashion_mnist_loss.png");
  std::printf("wrote %s, %s and the loss curve PNG if a plotter was found\n", curve_path.c_str(),
              model_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const kindling::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
