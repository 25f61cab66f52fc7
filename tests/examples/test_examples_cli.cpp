// The example and benchmark programs at their edges, run as a user runs them: through
// kindling_cli::run_program (no shell), with the exit status and the messages checked. A user's
// text is never run by a shell (an --out-dir of `x$(touch PWNED)` is a folder of that name), bad
// numbers are refused with the option and the text named, and no mistake ends in a crash.
// The helpers themselves (run_program, the strict number parsers) are tested first.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"

namespace fs = std::filesystem;
using kindling_cli::run_program;
using kindling_cli::SpawnOptions;
using kindling_cli::SpawnResult;

namespace {

// A fresh empty folder for one test, under the build tree.
fs::path fresh_folder(const std::string& name) {
  const fs::path folder = fs::path(KINDLING_TEST_OUTPUT_DIR) / "examples_cli" / name;
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {  // IDX sizes are big-endian
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// A tiny stand-in for Fashion-MNIST in `folder`: `n` images of 28x28 and their labels, as
// uncompressed IDX files under the .gz names (the reader accepts plain IDX), so that the tests
// need neither the real data nor much time.
void write_tiny_fashion_mnist(const fs::path& folder, std::uint32_t n) {
  fs::create_directories(folder);
  for (const char* stem : {"train", "t10k"}) {
    std::vector<std::uint8_t> images = {0, 0, 0x08, 3};
    put_u32(images, n);
    put_u32(images, 28);
    put_u32(images, 28);
    for (std::uint32_t i = 0; i < n * 28 * 28; ++i)
      images.push_back(static_cast<std::uint8_t>((i * 37u + 11u) % 256u));
    std::vector<std::uint8_t> labels = {0, 0, 0x08, 1};
    put_u32(labels, n);
    for (std::uint32_t i = 0; i < n; ++i)
      labels.push_back(static_cast<std::uint8_t>(i % 10u));
    write_bytes(folder / (std::string(stem) + "-images-idx3-ubyte.gz"), images);
    write_bytes(folder / (std::string(stem) + "-labels-idx1-ubyte.gz"), labels);
  }
}

// Runs a program with stdout and stderr captured together.
SpawnResult run_captured(std::vector<std::string> argv, const fs::path& cwd = {}) {
  SpawnOptions options;
  options.capture_stdout = options.merge_stderr = true;
  options.working_directory = cwd.string();
  return run_program(std::move(argv), options);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("run_program passes each argument as it is, without a shell", "[cli][spawn]") {
  const fs::path folder = fresh_folder("spawn_literal");
  // printf prints its format argument; a shell would have run the $(...) and the backquotes.
  const SpawnResult r =
      run_captured({"printf", "%s|", "$(touch PWNED)", "`touch PWNED2`", "a b", "'\"", ""}, folder);
  REQUIRE(r.started());
  CHECK(r.exit_code == 0);
  CHECK(r.output == "$(touch PWNED)|`touch PWNED2`|a b|'\"||");
  CHECK_FALSE(fs::exists(folder / "PWNED"));
  CHECK_FALSE(fs::exists(folder / "PWNED2"));
}

TEST_CASE("run_program reports a missing program, exit codes and signals", "[cli][spawn]") {
  const SpawnResult missing = run_program({"kindling-no-such-program-anywhere"});
  CHECK_FALSE(missing.started());
  CHECK(missing.spawn_error == ENOENT);
  CHECK_FALSE(missing.succeeded());
  CHECK(run_program({}).spawn_error == EINVAL);

  const SpawnResult failed = run_program({"false"});
  REQUIRE(failed.started());
  CHECK(failed.exit_code == 1);
  CHECK_FALSE(failed.succeeded());
  CHECK(run_program({"true"}).succeeded());

  // A child that kills itself: no exit code, the signal instead.
  const SpawnResult killed = run_program({"sh", "-c", "kill -TERM $$"});
  REQUIRE(killed.started());
  CHECK(killed.exit_code == -1);
  CHECK(killed.signal == SIGTERM);
}

TEST_CASE("run_program: environment, standard input, stderr and the working folder",
          "[cli][spawn]") {
  const fs::path folder = fresh_folder("spawn_options");
  ::setenv("KINDLING_CLI_TEST_DROP", "1", 1);
  ::setenv("KINDLING_CLI_TEST_KEEP", "kept", 1);
  SpawnOptions env;
  env.capture_stdout = true;
  env.unset_env = {"KINDLING_CLI_TEST_DROP"};
  env.set_env = {{"KINDLING_CLI_TEST_SET", "a b$(c)"}, {"KINDLING_CLI_TEST_KEEP", "replaced"}};
  const SpawnResult printed = run_program({"env"}, env);
  REQUIRE(printed.succeeded());
  CHECK_FALSE(contains(printed.output, "KINDLING_CLI_TEST_DROP"));
  CHECK(contains(printed.output, "KINDLING_CLI_TEST_SET=a b$(c)\n"));
  CHECK(contains(printed.output, "KINDLING_CLI_TEST_KEEP=replaced\n"));
  CHECK_FALSE(contains(printed.output, "KINDLING_CLI_TEST_KEEP=kept"));

  { std::ofstream(folder / "input.txt") << "from a file\n"; }
  SpawnOptions input;
  input.capture_stdout = true;
  input.stdin_path = (folder / "input.txt").string();
  CHECK(run_program({"cat"}, input).output == "from a file\n");

  SpawnOptions merged;
  merged.capture_stdout = merged.merge_stderr = true;
  CHECK(run_program({"sh", "-c", "echo out; echo err >&2"}, merged).output == "out\nerr\n");
  SpawnOptions stdout_only;
  stdout_only.capture_stdout = stdout_only.discard_stderr = true;
  CHECK(run_program({"sh", "-c", "echo out; echo err >&2"}, stdout_only).output == "out\n");

  SpawnOptions to_files;
  to_files.stdout_path = (folder / "out.txt").string();
  to_files.stderr_path = (folder / "err.txt").string();
  REQUIRE(run_program({"sh", "-c", "echo out; echo err >&2"}, to_files).succeeded());
  CHECK(read_file(folder / "out.txt") == "out\n");
  CHECK(read_file(folder / "err.txt") == "err\n");

  SpawnOptions elsewhere;
  elsewhere.capture_stdout = true;
  elsewhere.working_directory = folder.string();
  CHECK(run_program({"pwd", "-P"}, elsewhere).output == fs::canonical(folder).string() + "\n");

  // Big output through the pipe (more than a pipe buffer holds) arrives whole.
  SpawnOptions big;
  big.capture_stdout = true;
  CHECK(run_program({"head", "-c", "300000", "/dev/zero"}, big).output.size() == 300000);
}

TEST_CASE("strict numbers: the whole text, in range, or an error naming the option",
          "[cli][options]") {
  using kindling_cli::parse_integer;
  using kindling_cli::parse_real;
  using kindling_cli::usage_error;
  CHECK(parse_integer<int>("--epochs", "12", 0, 100) == 12);
  CHECK(parse_integer<std::uint64_t>("--seed", "18446744073709551615", 0, UINT64_MAX) ==
        UINT64_MAX);
  CHECK(parse_integer<int>("--n", "-5", -10, 10) == -5);
  CHECK_THROWS_WITH(parse_integer<int>("--epochs", "0x", 0, 100),
                    "--epochs: '0x' is not a non-negative integer");
  CHECK_THROWS_WITH(parse_integer<std::int64_t>("--batch-size", "6.4e1", 1, 100),
                    "--batch-size: '6.4e1' is not a positive integer");
  CHECK_THROWS_WITH(parse_integer<std::uint64_t>("--seed", "-1", 0, UINT64_MAX),
                    "--seed: '-1' is not a non-negative integer");
  CHECK_THROWS_WITH(parse_integer<int>("--threads", "100000", 1, 1024),
                    "--threads: '100000' is out of range (1..1024)");
  CHECK_THROWS_WITH(parse_integer<int>("--steps", "99999999999", 1, 1000),
                    "--steps: '99999999999' is out of range (1..1000)");
  CHECK_THROWS_WITH(parse_integer<int>("--steps", "", 1, 10),
                    "--steps: '' is not a positive integer");
  CHECK_THROWS_WITH(parse_integer<int>("--steps", " 5", 1, 10),
                    "--steps: ' 5' is not a positive integer");
  CHECK_THROWS_WITH(parse_integer<int>("--steps", "+5", 1, 10),
                    "--steps: '+5' is not a positive integer");
  CHECK_THROWS_AS(parse_integer<int>("--steps", "0", 1, 10), usage_error);

  CHECK(parse_real("--lr", "1e-3", 0, 1, true) == 1e-3);
  CHECK(parse_real("--noise", "0", 0, 10) == 0.0);
  CHECK_THROWS_WITH(parse_real("--lr", "0", 0, HUGE_VAL, true), "--lr: '0' is out of range (> 0)");
  CHECK_THROWS_WITH(parse_real("--noise", "11", 0, 10),
                    "--noise: '11' is out of range (>= 0 and <= 10)");
  CHECK_THROWS_WITH(parse_real("--lr", "abc", 0, 1), "--lr: 'abc' is not a number");
  CHECK_THROWS_WITH(parse_real("--lr", "1.5x", 0, 1), "--lr: '1.5x' is not a number");
  CHECK_THROWS_WITH(parse_real("--lr", "0x10", 0, 100), "--lr: '0x10' is not a number");
  CHECK_THROWS_WITH(parse_real("--lr", "nan", 0, 1), "--lr: 'nan' is not a finite number");
  CHECK_THROWS_WITH(parse_real("--lr", "-inf", -HUGE_VAL, 1),
                    "--lr: '-inf' is not a finite number");
  CHECK_THROWS_WITH(parse_real("--lr", "1e999", 0, HUGE_VAL),
                    "--lr: '1e999' is out of the range of a double");
  CHECK_THROWS_WITH(parse_real("x", "1e-400", -HUGE_VAL, HUGE_VAL),
                    "x: '1e-400' is out of the range of a double");
}

TEST_CASE("fashion_mnist: an --out-dir full of shell syntax is only a folder name",
          "[cli][examples][fashion_mnist]") {
  // The name, and one with what gnuplot's own command line substitutes (backquotes, @
  // macros) and quotes of both kinds.
  const std::string names[] = {"x$(touch PWNED)", "a'b\"c`touch PWNED`;d @ARG1 $HOME"};
  for (const std::string& out_dir : names) {
    const fs::path folder = fresh_folder("fashion_mnist_injection");
    write_tiny_fashion_mnist(folder / "data", 40);
    // The loss curve is plotted after training: a tiny run reaches the plotters (gnuplot, else
    // matplotlib, else neither) with this folder in their arguments.
    const SpawnResult r =
        run_captured({KINDLING_FASHION_MNIST, "--data", (folder / "data").string(), "--epochs", "1",
                      "--batch-size", "16", "--threads", "1", "--out-dir", out_dir},
                     folder);
    INFO(out_dir << ": " << r.output);
    REQUIRE(r.exit_code == 0);
    CHECK_FALSE(fs::exists(folder / "PWNED"));
    REQUIRE(fs::is_directory(folder / out_dir));  // made, with that literal name
    CHECK(fs::is_regular_file(folder / out_dir / "fashion_mnist_loss.csv"));
    CHECK(fs::is_regular_file(folder / out_dir / "fashion_mnist_mlp.safetensors"));
    CHECK(contains(r.output, "40 training / 40 test images"));
    if (contains(r.output, "plotted ")) {
      CHECK(fs::is_regular_file(folder / out_dir / "fashion_mnist_loss.png"));
    } else {
      CHECK(contains(r.output, "no gnuplot or matplotlib"));
    }
    // Nothing but the run's own files appeared next to the folder.
    std::vector<std::string> entries;
    for (const auto& entry : fs::directory_iterator(folder))
      entries.push_back(entry.path().filename().string());
    std::vector<std::string> expected = {out_dir, "data"};
    std::sort(entries.begin(), entries.end());
    std::sort(expected.begin(), expected.end());
    CHECK(entries == expected);
  }
}

TEST_CASE("fashion_mnist: --limit trains on the first images only",
          "[cli][examples][fashion_mnist]") {
  const fs::path folder = fresh_folder("fashion_mnist_limit");
  write_tiny_fashion_mnist(folder / "data", 30);
  const SpawnResult r =
      run_captured({KINDLING_FASHION_MNIST, "--data", (folder / "data").string(), "--epochs", "1",
                    "--limit", "8", "--batch-size", "4", "--out-dir", (folder / "out").string()});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "8 training / 8 test images"));
  CHECK(contains(r.output, "2/2"));  // two batches of 4
}

TEST_CASE("fashion_mnist: --model cnn trains the CNN and saves it under its name",
          "[cli][examples][fashion_mnist]") {
  const fs::path folder = fresh_folder("fashion_mnist_cnn");
  write_tiny_fashion_mnist(folder / "data", 30);
  const SpawnResult r =
      run_captured({KINDLING_FASHION_MNIST, "--data", (folder / "data").string(), "--model", "cnn",
                    "--epochs", "1", "--batch-size", "8", "--out-dir", (folder / "out").string()});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"));
  CHECK(contains(r.output, "MaxPool2d"));
  CHECK(contains(r.output, "epoch 1: train loss"));
  CHECK(fs::is_regular_file(folder / "out" / "fashion_mnist_cnn.safetensors"));
  const SpawnResult bad = run_captured({KINDLING_FASHION_MNIST, "--model", "resnet"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.output, "--model: 'resnet' is not mlp or cnn"));
}

TEST_CASE("fashion_mnist: bad options and bad data folders are errors, never crashes",
          "[cli][examples][fashion_mnist]") {
  const fs::path folder = fresh_folder("fashion_mnist_errors");
  // Every file name a folder: the reader must not be reached with them.
  const fs::path folders = folder / "folders";
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    fs::create_directories(folders / name);
  struct Row {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Row> rows = {
      {{"--epochs", "0x"}, 2, "fashion_mnist: --epochs: '0x' is not a non-negative integer"},
      {{"--batch-size", "6.4e1"},
       2,
       "fashion_mnist: --batch-size: '6.4e1' is not a positive integer"},
      {{"--batch-size", "0"}, 2, "fashion_mnist: --batch-size: '0' is out of range (1..1048576)"},
      {{"--seed", "-1"}, 2, "fashion_mnist: --seed: '-1' is not a non-negative integer"},
      {{"--threads", "100000"}, 2, "fashion_mnist: --threads: '100000' is out of range (1..1024)"},
      {{"--threads", "0"}, 2, "fashion_mnist: --threads: '0' is out of range (1..1024)"},
      {{"--lr", "nan"}, 2, "fashion_mnist: --lr: 'nan' is not a finite number"},
      {{"--lr", "0"}, 2, "fashion_mnist: --lr: '0' is out of range (> 0)"},
      {{"--limit", "-3"}, 2, "fashion_mnist: --limit: '-3' is not a positive integer"},
      {{"--epochs"}, 2, "fashion_mnist: --epochs needs a value"},
      {{"--frobnicate"}, 2, "fashion_mnist: unknown argument '--frobnicate' (see --help)"},
      {{"--device", "tpu"}, 2, "fashion_mnist: --device: 'tpu' is not cpu or cuda"},
      {{"--data", (folder / "missing").string()}, 1, "' does not exist"},
      {{"--data", folders.string()}, 1, "train-images-idx3-ubyte.gz' is not a regular file"},
  };
  for (const Row& row : rows) {
    std::vector<std::string> argv = {KINDLING_FASHION_MNIST};
    argv.insert(argv.end(), row.args.begin(), row.args.end());
    const SpawnResult r = run_captured(argv, folder);
    INFO(row.args.front() << " ... -> " << r.output);
    CHECK(r.exit_code == row.exit_code);
    CHECK(r.signal == 0);
    CHECK(contains(r.output, row.message));
    CHECK(contains(r.output, "fashion_mnist: "));
    CHECK_FALSE(contains(r.output, "terminate"));
  }
  const SpawnResult help = run_captured({KINDLING_FASHION_MNIST, "--help"});
  CHECK(help.exit_code == 0);
  CHECK(contains(help.output, "usage: fashion_mnist"));
}

TEST_CASE("moons: every bad value is a named error", "[cli][examples][moons]") {
  const fs::path folder = fresh_folder("moons_errors");
  struct Row {
    std::vector<std::string> args;
    std::string message;
  };
  // Before: "moons: stoi" (--steps abc) and "moons: vector::reserve" (--samples -1, which stoul
  // read as 2^64 - 1).
  const std::vector<Row> rows = {
      {{"--steps", "abc"}, "moons: --steps: 'abc' is not a positive integer"},
      {{"--steps", "0"}, "moons: --steps: '0' is out of range (1..1000000)"},
      {{"--samples", "-1"}, "moons: --samples: '-1' is not a positive integer"},
      {{"--samples", "99999999999999999999"},
       "moons: --samples: '99999999999999999999' is out of range (2..100000)"},
      {{"--samples", "1"}, "moons: --samples: '1' is out of range (2..100000)"},
      {{"--noise", "1e999"}, "moons: --noise: '1e999' is out of the range of a double"},
      {{"--noise", "-0.5"}, "moons: --noise: '-0.5' is out of range (>= 0 and <= 10)"},
      {{"--seed", "1.5"}, "moons: --seed: '1.5' is not a non-negative integer"},
      {{"--out-dir"}, "moons: --out-dir needs a value"},
      {{"extra"}, "moons: unknown argument 'extra' (see --help)"},
  };
  for (const Row& row : rows) {
    std::vector<std::string> argv = {KINDLING_MOONS};
    argv.insert(argv.end(), row.args.begin(), row.args.end());
    const SpawnResult r = run_captured(argv, folder);
    INFO(row.args.front() << " ... -> " << r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, row.message));
  }
  // A small valid run still works, and its --out-dir is made.
  const SpawnResult ok = run_captured(
      {KINDLING_MOONS, "--steps", "2", "--samples", "10", "--out-dir", "x$(touch PWNED)"}, folder);
  INFO(ok.output);
  CHECK((ok.exit_code == 0 || ok.exit_code == 1));  // 1: not every point classified after 2 steps
  CHECK(fs::is_regular_file(folder / "x$(touch PWNED)" / "moons_neuron.dot"));
  CHECK_FALSE(fs::exists(folder / "PWNED"));
}

TEST_CASE("step_backprop and tensor_basics: strict arguments", "[cli][examples]") {
  const fs::path folder = fresh_folder("step_backprop_errors");
  struct Row {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Row> rows = {
      {{"--no-svg", "x*2", "x=abc"}, 2, "step_backprop: x: 'abc' is not a number"},
      {{"--no-svg", "x*2", "x=1e999"},
       2,
       "step_backprop: x: '1e999' is out of the range of a double"},
      {{"--no-svg", "x*2", "x=nan"}, 2, "step_backprop: x: 'nan' is not a finite number"},
      {{"--no-svg", "x*2", "x=1", "x=2"}, 2, "step_backprop: the variable 'x' is given twice"},
      {{"--no-svg", "x*2", "2x=1"}, 2, "'2x' (in '2x=1') is not a variable name"},
      {{"--no-svg", "x*2", "x"}, 2, "step_backprop: expected name=value, got 'x'"},
      {{"--no-svg", "--out"}, 2, "step_backprop: --out needs a value"},
      {{"--outdir", "o", "x"}, 2, "step_backprop: unknown argument '--outdir' (see --help)"},
      {{"--no-svg"}, 2, "step_backprop: no EXPRESSION given"},
      {{"--no-svg", "1e999"}, 1, "number '1e999' at column 1 is out of range"},
  };
  for (const Row& row : rows) {
    std::vector<std::string> argv = {KINDLING_STEP_BACKPROP};
    argv.insert(argv.end(), row.args.begin(), row.args.end());
    const SpawnResult r = run_captured(argv, folder);
    INFO(row.args.back() << " -> " << r.output);
    CHECK(r.exit_code == row.exit_code);
    CHECK(contains(r.output, row.message));
  }
  // `--` ends the options: an expression may start with "--".
  const SpawnResult negated = run_captured(
      {KINDLING_STEP_BACKPROP, "--no-svg", "--quiet", "--out", "o", "--", "--x", "x=3"}, folder);
  INFO(negated.output);
  CHECK(negated.exit_code == 0);
  CHECK(contains(negated.output, "--x = 3"));

  const SpawnResult extra = run_captured({KINDLING_TENSOR_BASICS, "--bogus"});
  CHECK(extra.exit_code == 2);
  CHECK(contains(extra.output, "tensor_basics: unknown argument '--bogus' (see --help)"));
}

#ifdef KINDLING_BENCH_SCALAR_MOONS
TEST_CASE("benchmarks: strict arguments", "[cli][bench]") {
  const SpawnResult steps = run_captured({KINDLING_BENCH_SCALAR_MOONS, "--steps", "10x"});
  CHECK(steps.exit_code == 2);
  CHECK(contains(steps.output, "bench_scalar_moons: --steps: '10x' is not a positive integer"));
  const SpawnResult unknown = run_captured({KINDLING_BENCH_SCALAR_MOONS, "--fast"});
  CHECK(unknown.exit_code == 2);
  CHECK(contains(unknown.output, "bench_scalar_moons: unknown argument '--fast'"));
#ifdef KINDLING_BENCH_OPS
  const SpawnResult elements = run_captured({KINDLING_BENCH_OPS, "1e6"});
  CHECK(elements.exit_code == 2);
  CHECK(contains(elements.output, "bench_ops: elements: '1e6' is not a positive integer"));
#endif
#ifdef KINDLING_BENCH_TRAIN_STEP
  const SpawnResult train = run_captured({KINDLING_BENCH_TRAIN_STEP, "--data"});
  CHECK(train.exit_code == 2);
  CHECK(contains(train.output, "bench_train_step: --data needs a value"));
#endif
#ifdef KINDLING_BENCH_GEMM
  const SpawnResult ghz = run_captured({KINDLING_BENCH_GEMM, "--ghz", "fast"});
  CHECK(ghz.exit_code == 2);
  CHECK(contains(ghz.output, "bench_gemm: --ghz: 'fast' is not a number"));
#endif
}
#endif
