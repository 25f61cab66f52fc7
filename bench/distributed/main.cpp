// bench/distributed: the epoch throughput of data-parallel training over MPI, 1 and 2 ranks of
// 1 thread each, in kindling (DistributedDataParallel, this program re-run under mpirun as
// --worker) and in PyTorch (DistributedDataParallel on gloo, ddp_torch.py) in one run. The model
// is the 784-256-128-10 MLP with AdamW at batch 64 per rank, on Fashion-MNIST's training set,
// each rank its DistributedSampler shard (weak scaling: 2 ranks take half the steps each).
// Prints the median epoch time of each, the speed-up from 1 rank to 2, and RESULT lines.
//
//   build/bench/distributed/bench_distributed [--epochs N] [--limit N] [--no-torch] [--data DIR]
//                                             [--no-sync]
//
// --no-sync runs kindling's steps without the all-reduce (a diagnosis: what 2 ranks cost in
// compute alone on this machine; the models then drift apart).
//
// Targets (issue 18): at least 1.7x from 1 rank to 2 on a 2-core machine, and faster than
// PyTorch DDP at 2 ranks. PyTorch runs at its best: the fastest, on a short 1-rank epoch, of the
// OpenBLAS kernel sets and malloc tunings kindling_cli/peer_environment.hpp lists. The children
// start without a shell.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "kindling/dist.hpp"
#include "kindling/nn/data.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/readers.hpp"
#include "kindling/tensor.hpp"
#include "kindling_cli/json_line.hpp"
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/peer_environment.hpp"
#include "kindling_cli/spawn.hpp"
#include "kindling_cli/timing.hpp"

namespace {

using namespace kindling;
using namespace kindling::nn;
using kindling_cli::Clock;
using kindling_cli::median;

struct Options {
  int epochs = 3;          // timed epochs (the median is kept), after 20 warm-up steps
  std::int64_t limit = 0;  // 0: all 60000 training images
  std::int64_t batch = 64;
  bool torch = true;
  bool worker = false;
  bool no_sync = false;  // every step inside ddp.no_sync(): the ranks' compute alone
  std::string data;
};

// Under mpirun: one rank's part. Rank 0 prints the JSON line.
int worker(const Options& o) {
  const dist::Environment environment = dist::init();
  TensorDataset train = fashion_mnist(Split::train, fashion_mnist_dir(o.data));
  if (o.limit > 0 && o.limit < static_cast<std::int64_t>(train.size()))
    train =
        TensorDataset(train.inputs().slice(0, 0, o.limit), train.targets().slice(0, 0, o.limit));
  Generator generator(0);
  auto model = mlp<ReLU>({784, 256, 128, 10}, generator);
  dist::DistributedDataParallel ddp(model);
  AdamOptions adam = AdamW::with_default_decay();
  adam.lr = 1e-3;
  AdamW optimizer(model->parameters(), adam);
  const auto step = [&](const Tensor& x, const Tensor& y) {
    optimizer.zero_grad();
    std::optional<dist::DistributedDataParallel::NoSync> local;
    if (o.no_sync) local.emplace(ddp);
    nn::cross_entropy(ddp(x), y).backward();
    optimizer.step();
  };
  for (int i = 0; i < 20; ++i)
    step(train.inputs().slice(0, 0, o.batch), train.targets().slice(0, 0, o.batch));
  dist::DistributedSampler sampler(train.size(), {.seed = 1});
  std::vector<double> times;
  const std::int64_t started_before = ddp.all_reduces_started();
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    sampler.set_epoch(epoch);
    const Subset shard(train, sampler.indices());
    DataLoader loader(shard, {.batch_size = o.batch});
    dist::barrier();
    const auto start = Clock::now();
    for (const Batch& b : loader)
      step(b.inputs, b.targets);
    dist::barrier();
    times.push_back(kindling_cli::seconds_since(start));
  }
  if (dist::rank() == 0)
    std::printf(
        "{\"impl\": \"kindling\", \"ranks\": %d, \"epoch_s\": %.6f, \"samples\": %zu, "
        "\"buckets\": %zu, \"all_reduces_per_epoch\": %lld}\n",
        dist::world_size(), median(times), train.size(), ddp.bucket_count(),
        static_cast<long long>((ddp.all_reduces_started() - started_before) / o.epochs));
  return 0;
}

std::vector<std::string> common_arguments(const Options& o) {
  std::vector<std::string> argv = {"--epochs", std::to_string(o.epochs), "--limit",
                                   std::to_string(o.limit)};
  if (o.no_sync) argv.emplace_back("--no-sync");
  if (!o.data.empty()) {
    argv.emplace_back("--data");
    argv.push_back(o.data);
  }
  return argv;
}

// One kindling run: this program under mpirun with `ranks` ranks; its JSON line, or empty.
std::string run_kindling(const Options& o, int ranks) {
  kindling_cli::SpawnOptions options;
  options.capture_stdout = true;
  options.set_env = {{"OMP_NUM_THREADS", "1"},
                     {"OMPI_ALLOW_RUN_AS_ROOT", "1"},
                     {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}};
  // This program by its real path (under mpirun, /proc/self/exe would name mpirun's children).
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  KINDLING_CHECK(!ec, "bench_distributed: cannot find this program's path (", ec.message(), ")");
  std::vector<std::string> argv = {KINDLING_MPIEXEC,  "-n", std::to_string(ranks),
                                   "--oversubscribe", self, "--worker"};
  for (std::string& a : common_arguments(o))
    argv.push_back(std::move(a));
  const kindling_cli::SpawnResult result = kindling_cli::run_program(std::move(argv), options);
  return result.succeeded() ? result.output : std::string{};
}

// One PyTorch run in `environment` (its OpenBLAS kernel set and malloc tuning).
std::string run_torch(const Options& o, int ranks,
                      const kindling_cli::PeerEnvironment& environment) {
  kindling_cli::SpawnOptions options;
  options.capture_stdout = options.discard_stderr = true;
  environment.apply(options);
  options.set_env.emplace_back("OMP_NUM_THREADS", "1");
  std::vector<std::string> argv = {
      "/usr/bin/python3", KINDLING_DDP_TORCH_PY,   "--world",  std::to_string(ranks),
      "--batch",          std::to_string(o.batch), "--epochs", std::to_string(o.epochs),
      "--limit",          std::to_string(o.limit), "--data",   fashion_mnist_dir(o.data)};
  const kindling_cli::SpawnResult result = kindling_cli::run_program(std::move(argv), options);
  return result.succeeded() ? result.output : std::string{};
}

int driver(const Options& o) {
  std::printf(
      "bench/distributed: MLP 784-256-128-10, AdamW, batch %lld per rank, 1 thread per "
      "rank, median of %d epoch(s)\ncpu: %s, %u hardware threads\n",
      static_cast<long long>(o.batch), o.epochs, kindling_cli::cpu_model().c_str(),
      std::thread::hardware_concurrency());
  // PyTorch at its best: OpenBLAS does not know every CPU of this machine kind and may fall back
  // to SSE3 kernels (PLATFORM.md), so a short 1-rank epoch picks the fastest kernel set and
  // malloc tuning first.
  kindling_cli::PeerEnvironment environment;
  if (o.torch) {
    Options probe = o;
    probe.epochs = 1;
    probe.limit = 3000;
    environment = kindling_cli::fastest_environment([&](const kindling_cli::PeerEnvironment& e) {
                    return kindling_cli::json_number(run_torch(probe, 1, e), "epoch_s");
                  }).first;
    std::printf("torch peer: %s (the fastest of %zu environments on a short epoch)\n",
                environment.name().c_str(), kindling_cli::peer_environments().size());
  }
  double kindling_s[3] = {0, 0, 0}, torch_s[3] = {0, 0, 0};
  double samples = 0;
  for (int ranks : {1, 2}) {
    const std::string k = run_kindling(o, ranks);
    KINDLING_CHECK(!k.empty(), "bench_distributed: the kindling run with ", ranks,
                   " rank(s) failed");
    kindling_s[ranks] = kindling_cli::json_number(k, "epoch_s");
    samples = kindling_cli::json_number(k, "samples");
    std::printf(
        "kindling %d rank(s): epoch %.3f s, %.0f samples/s, %.0f bucket(s), %.0f "
        "all-reduces per epoch\n",
        ranks, kindling_s[ranks], samples / kindling_s[ranks],
        kindling_cli::json_number(k, "buckets"),
        kindling_cli::json_number(k, "all_reduces_per_epoch"));
    if (o.torch) {
      const std::string t = run_torch(o, ranks, environment);
      torch_s[ranks] = kindling_cli::json_number(t, "epoch_s");
      if (torch_s[ranks] > 0)
        std::printf("torch %s DDP gloo %d rank(s): epoch %.3f s, %.0f samples/s\n",
                    kindling_cli::json_text(t, "torch").c_str(), ranks, torch_s[ranks],
                    samples / torch_s[ranks]);
      else
        std::printf("torch %d rank(s): the peer failed (is python3-torch installed?)\n", ranks);
    }
  }
  const double speedup = kindling_s[1] / kindling_s[2];
  const double torch_speedup = torch_s[2] > 0 ? torch_s[1] / torch_s[2] : 0.0;
  std::printf("speed-up 1 -> 2 ranks: kindling %.2fx (target 1.7x), torch %.2fx\n", speedup,
              torch_speedup);
  for (int ranks : {1, 2}) {
    const double k = samples / kindling_s[ranks];
    const double t = torch_s[ranks] > 0 ? samples / torch_s[ranks] : 0.0;
    std::printf(
        "RESULT bench=distributed case=epoch_samples_per_s_%drank kindling=%.0f peer=torch "
        "peer_value=%.0f ratio=%.3f\n",
        ranks, k, t, t > 0 ? k / t : 0.0);
  }
  std::printf(
      "RESULT bench=distributed case=speedup_1_to_2_ranks kindling=%.3f peer=torch "
      "peer_value=%.3f ratio=%.3f\n",
      speedup, torch_speedup, torch_speedup > 0 ? speedup / torch_speedup : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_distributed", [&] {
    Options o;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--epochs")) {
        o.epochs = kindling_cli::parse_integer<int>("--epochs", args.value(), 1, 100);
      } else if (args.is("--limit")) {
        o.limit = kindling_cli::parse_integer<std::int64_t>("--limit", args.value(), 0, 60000);
      } else if (args.is("--no-torch")) {
        o.torch = false;
      } else if (args.is("--no-sync")) {
        o.no_sync = true;
      } else if (args.is("--worker")) {
        o.worker = true;
      } else if (args.is("--data")) {
        o.data = args.value();
      } else {
        args.unknown();
      }
    }
    return o.worker ? worker(o) : driver(o);
  });
}
