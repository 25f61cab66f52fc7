// The device plumbing of tensor/ and nn/ without a GPU: this program registers, for
// DeviceType::cuda, a kernel table that forwards every entry to the CPU table and counts the
// calls (the fused optimizer steps too: they are entries of the same table). Tensors "on cuda:0"
// then live in host memory but go through every device path a real GPU takes: to(device),
// Module::to, optimizer state created on the parameter's device, gradients accumulated there,
// checkpoints written from it.
// Since the kernels are the CPU's own, a model trained here must match the CPU bit for bit; any
// difference is a plumbing bug (a tensor left on the wrong device, a copy missed).
//
// The counts are the kernel launches a training step makes on a real GPU (one launch per table
// call; a reduction of a long axis adds a second), so the last test keeps the launch budget of
// the Fashion-MNIST MLP step from creeping up. It must stay its own program: it replaces the
// process-wide CUDA table.
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "kindling/nn.hpp"
#include "kindling/tensor/testing.hpp"

namespace kindling {
namespace {

using kernels::KernelTable;
const Device kFake = Device::cuda(0);

// Calls per table entry, by name.
std::map<std::string, long>& calls() {
  static std::map<std::string, long> counts;
  return counts;
}
long total_calls() {
  long n = 0;
  for (const auto& [name, count] : calls())
    n += count;
  return n;
}

// Forward<&KernelTable::entry, "name", kind>::call has the entry's signature and calls the CPU's,
// counting the call when the entry is a launch (memory entries are not launches).
template <std::size_t N>
struct Name {
  constexpr Name(const char (&s)[N]) { std::copy(s, s + N, text.begin()); }
  std::array<char, N> text{};
};
template <auto Member, Name name, kernels::KernelKind kind>
struct Forward;
template <class R, class... A, R (*KernelTable::*Member)(A...), Name name, kernels::KernelKind kind>
struct Forward<Member, name, kind> {
  static R call(A... args) {
    if constexpr (kind == kernels::KernelKind::launch) ++calls()[name.text.data()];
    return (kernels::kernels_for(kCPU).*Member)(args...);
  }
};

// Every entry of the table's list (Note [kernel table]), so a new entry is counted here too.
const KernelTable& fake_table() {
  static const KernelTable table = [] {
    KernelTable t;
#define KINDLING_X(name, kind, ret, params) \
  t.name = &Forward<&KernelTable::name, #name, kernels::KernelKind::kind>::call;
    KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
    return t;
  }();
  return table;
}

// Registered once, before any test runs.
const bool g_registered = [] {
  kernels::register_kernels(DeviceType::cuda, &fake_table());
  return true;
}();

struct Run {
  std::vector<double> losses;
  nn::StateDict state;
};

// A few steps of the Fashion-MNIST recipe (MLP, cross-entropy, AdamW, a schedule) on `device`.
Run train(Device device, int steps) {
  Generator gen(42);
  auto model = nn::mlp<nn::ReLU>({20, 16, 12, 5}, gen);
  model->to(device);
  nn::AdamW optimizer(model->parameters(), nn::AdamW::with_default_decay());
  nn::StepLR schedule(optimizer, 3, 0.5);
  Generator data(7);
  const Tensor x = randn({32, 20}, data).to(device);
  const Tensor y = randint(0, 5, {32}, data).to(device);
  Run run;
  for (int i = 0; i < steps; ++i) {
    optimizer.zero_grad();
    const Tensor loss = nn::cross_entropy((*model)(x), y);
    loss.backward();
    optimizer.step();
    schedule.step();
    run.losses.push_back(loss.item());
  }
  for (const auto& [name, t] : model->state_dict())
    run.state.insert(name, t.to(kCPU));
  return run;
}

TEST_CASE("a model trained on another device matches the CPU bit for bit", "[nn][device]") {
  REQUIRE(g_registered);
  const Run cpu = train(kCPU, 8);
  calls().clear();
  const Run fake = train(kFake, 8);
  CHECK(calls()["matmul"] > 0);            // the work did go through the device's table
  CHECK(calls()["adam_multi_step"] == 8);  // and its fused optimizer, one call per step
  REQUIRE(cpu.losses == fake.losses);
  for (const auto& [name, t] : cpu.state) {
    INFO(name);
    CHECK(t.to_vector<double>() == fake.state.at(name).to_vector<double>());
  }
}

TEST_CASE("Module::to moves parameters, gradients stay on the device", "[nn][device]") {
  Generator gen(1);
  auto model = nn::mlp<nn::ReLU>({4, 3, 2}, gen);
  const std::vector<double> before = model->parameters()[0].to_vector<double>();
  model->to(kFake);
  for (const Tensor& p : model->parameters()) {
    CHECK(p.device() == kFake);
    CHECK(p.requires_grad());
  }
  CHECK(model->parameters()[0].to_vector<double>() == before);
  const Tensor x = ones({2, 4}).to(kFake);
  nn::cross_entropy((*model)(x), from_vector<std::int64_t>({0, 1}, {2}).to(kFake)).backward();
  for (const Tensor& p : model->parameters())
    CHECK(p.grad().device() == kFake);
  // Mixing devices is an error that names both, not a crash.
  CHECK_THROWS_WITH((*model)(ones({2, 4})), Catch::Contains("cuda") && Catch::Contains("cpu"));
  CHECK_THROWS_WITH(index_select(ones({3, 2}).to(kFake), 0, from_vector<std::int64_t>({0}, {1})),
                    Catch::Contains("index_select: the index is on cpu and the input on cuda:0"));
  // A checkpoint written from the device loads into a CPU model.
  const auto path =
      std::filesystem::path(KINDLING_TEST_OUTPUT_DIR) / "kindling_fake_device.safetensors";
  nn::save_safetensors(*model, path.string());
  Generator other(2);
  auto copy = nn::mlp<nn::ReLU>({4, 3, 2}, other);
  nn::load_safetensors(*copy, path.string());
  CHECK(copy->parameters()[0].to_vector<double>() == model->parameters()[0].to_vector<double>());
  std::filesystem::remove(path);
}

// Bool masks and the promotion rules on a device: every result equals the CPU's and stays on the
// device, and the work goes through the device's table.
TEST_CASE("bool masks, where, any/all and promotion on another device", "[nn][device][dtype]") {
  Generator gen(3);
  const Tensor x = randn({4, 5}, gen);
  const Tensor i = randint(-3, 4, {4, 5}, gen);
  auto compute = [](const Tensor& a, const Tensor& b) {
    const Tensor mask = gt(a, 0.1) & ne(b, 0);  // bool
    std::vector<Tensor> out;
    out.push_back(mask);
    out.push_back(where(mask, a, 0.5));
    out.push_back(masked_fill(b, lt(a, 0), 9));
    out.push_back(any(mask, {1}));
    out.push_back(all(ge(b, -3), {0}, true));
    out.push_back(sum(mask));                       // int64 count
    out.push_back(b / 2);                           // true division: float32
    out.push_back(b + 0.5);                         // float32
    out.push_back(cast(a * 1e30, DType::int64));    // INT64_MIN where out of range
    out.push_back(cast(mask, DType::float64) * b);  // float64
    out.push_back(logical_not(b));
    return out;
  };
  const std::vector<Tensor> on_cpu = compute(x, i);
  calls().clear();
  const std::vector<Tensor> on_device = compute(x.to(kFake), i.to(kFake));
  CHECK(calls()["binary"] > 0);
  CHECK(calls()["where"] == 2);
  CHECK(calls()["reduce"] >= 3);
  REQUIRE(on_cpu.size() == on_device.size());
  for (std::size_t k = 0; k < on_cpu.size(); ++k) {
    INFO("result " << k);
    CHECK(on_device[k].device() == kFake);
    CHECK(on_device[k].dtype() == on_cpu[k].dtype());
    CHECK(on_device[k].shape() == on_cpu[k].shape());
    CHECK(on_device[k].to(kCPU).to_vector<double>() == on_cpu[k].to_vector<double>());
  }
  CHECK(on_device[0].to_vector<bool>() == on_cpu[0].to_vector<bool>());
  CHECK(on_cpu[0].dtype() == DType::bool_);
  CHECK(on_cpu[5].dtype() == DType::int64);
  CHECK(on_cpu[6].dtype() == DType::float32);
  CHECK(on_cpu[9].dtype() == DType::float64);
}

// The budget is the count measured when this test was written; a change that adds launches to
// the step has to raise it on purpose.
TEST_CASE("kernel launches per Fashion-MNIST training step stay within budget", "[nn][device]") {
  Generator gen(0);
  auto model = nn::mlp<nn::ReLU>({784, 256, 128, 10}, gen);
  model->to(kFake);
  nn::AdamW optimizer(model->parameters(), nn::AdamW::with_default_decay());
  Generator data(1);
  const Tensor x = rand({64, 784}, data).to(kFake);
  const Tensor y = randint(0, 10, {64}, data).to(kFake);
  auto step = [&] {
    optimizer.zero_grad();
    nn::cross_entropy((*model)(x), y).backward();
    optimizer.step();
  };
  step();  // the first step also creates the optimizer state
  calls().clear();
  step();
  std::string breakdown;
  for (const auto& [name, count] : calls())
    if (count > 0) breakdown += " " + name + "=" + std::to_string(count);
  std::printf("kernel launches per training step (784-256-128-10, AdamW): %ld:%s\n", total_calls(),
              breakdown.c_str());
  CHECK(calls()["adam_multi_step"] == 1);  // one fused step for all six parameters
  // 25 since Linear computes x W^T (Note [linear layout] in nn/src/layers.cpp): the transpose
  // between W and the matmul hands W its gradient as a view of the product it holds, which the
  // leaf copies into its own buffer (copy=3, one per weight; a contiguous copy, not the strided
  // transposing one, Note [transposed operand gradient] in tensor/src/ops_matmul.cpp). It was 23
  // with (W x^T)^T.
  CHECK(total_calls() <= 25);
}

// Note [gradient contract] (tensor/src/tensor.cpp): only a second device can show the device
// check, so it is here. And moving a leaf a graph used counts as an in-place write.
TEST_CASE("a gradient on the wrong device is refused, a moved leaf is a changed one",
          "[nn][device][contract][version]") {
  const Tensor a = ones({2}).to(kFake).set_requires_grad();
  const Tensor b = ones({2}).to(kFake).set_requires_grad();
  {
    const testing::ReplaceBackward wrong(TensorOp::mul,
                                         [](const Tensor& g, const std::vector<Tensor>&) {
                                           return std::vector<Tensor>{g.to(kCPU), g};
                                         });
    CHECK_THROWS_WITH(
        sum(a * b).backward(),
        Catch::Contains("backward of mul: the gradient for input 0 is on cpu but the input is on "
                        "cuda:0"));
  }
  const Tensor p = ones({2}).set_requires_grad();
  const Tensor loss = sum(p * p);
  move_to_device(p, kFake);
  CHECK(p.device() == kFake);
  CHECK(p.version() == 1);  // the new storage continues the old one's count
  CHECK_THROWS_WITH(loss.backward(),
                    Catch::Contains("mul saved a tensor that was modified in place"));
}

}  // namespace
}  // namespace kindling
