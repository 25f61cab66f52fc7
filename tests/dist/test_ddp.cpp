// DistributedDataParallel on 2 ranks against one process: the same model trained with the whole
// batch on every rank (a plain nn model, no MPI in its gradients) is the reference.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "dist_support.hpp"

namespace kindling::test {
namespace {

constexpr std::int64_t kPerRank = 32;

struct Data {
  Tensor x;  // (steps * global batch, 6)
  Tensor y;  // (steps * global batch,) in [0, 3)
};

Data make_data(std::int64_t rows) {
  Generator g(42);
  return {randn({rows, 6}, g), randint(0, 3, {rows}, g)};
}

double loss_of(nn::Module& model, const Tensor& x, const Tensor& y) {
  Tensor loss = nn::cross_entropy(model(x), y);
  loss.backward();
  return loss.item();
}

}  // namespace

TEST_CASE("ddp: 2 ranks x batch 32 train as 1 process x batch 64", "[ddp]") {
  ensure_dist();
  const int n = dist::world_size();
  const std::int64_t r = dist::rank();
  const std::int64_t global = kPerRank * n;
  constexpr int kSteps = 20;
  const Data data = make_data(kSteps * global);

  // Each rank starts from its own initialisation: the wrapper must replace it by rank 0's.
  auto local = make_mlp(1 + static_cast<std::uint64_t>(r));
  dist::DistributedDataParallel ddp(local);
  auto reference = make_mlp(1);
  CHECK(max_parameter_difference(*local, *reference) == 0.0);
  CHECK(ddp.named_parameters().front().first == "module.0.weight");

  nn::SGD opt(ddp.parameters(), {.lr = 0.1, .momentum = 0.9});
  nn::SGD ref_opt(reference->parameters(), {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < kSteps; ++step) {
    const std::int64_t start = step * global;
    loss_of(ddp, data.x.slice(0, start + r * kPerRank, start + (r + 1) * kPerRank),
            data.y.slice(0, start + r * kPerRank, start + (r + 1) * kPerRank));
    ddp.finish_gradient_synchronization();  // a no-op: backward has synchronized
    opt.step();
    opt.zero_grad();
    loss_of(*reference, data.x.slice(0, start, start + global),
            data.y.slice(0, start, start + global));
    ref_opt.step();
    ref_opt.zero_grad();
  }
  CHECK(max_parameter_difference(*local, *reference) < 1e-5);
  // Training moved the parameters (the comparison is not of two untouched models).
  CHECK(max_parameter_difference(*local, *make_mlp(1)) > 1e-2);
  CHECK(ddp.all_reduces_started() == kSteps);  // one bucket: the model is far below 1 MB
  CHECK(ddp.bucket_count() == 1u);
  // Reverse parameter order, as PyTorch's buckets.
  CHECK(ddp.bucket_parameter_names().front() ==
        std::vector<std::string>{"2.bias", "2.weight", "0.bias", "0.weight"});
}

TEST_CASE("ddp: buckets start their all-reduce while backward goes on", "[ddp]") {
  ensure_dist();
  const int n = dist::world_size();
  const std::int64_t r = dist::rank();
  const Data data = make_data(kPerRank * n);
  // Caps far below one parameter: each parameter is a bucket of its own.
  auto local = make_mlp(1);
  dist::DistributedDataParallel ddp(local, {.bucket_cap_mb = 1e-9, .first_bucket_cap_mb = 1e-9});
  REQUIRE(ddp.bucket_count() == 4u);
  // Counted by hooks of our own: one on the gradient of the first layer's output, which runs in
  // the middle of backward (after the second layer's steps, before the first layer's), and one on
  // the first layer's weight, the last gradient backward completes.
  struct OutputProbe : nn::ModuleCallObserver {
    const nn::Module* layer = nullptr;
    std::function<void(const Tensor&)> on_output;
    void entered(const nn::Module&) override {}
    void left(const nn::Module& m, const Tensor& output) override {
      if (&m == layer) on_output(output);
    }
  };
  std::int64_t started_mid_backward = -1, started_before_last = -1;
  OutputProbe probe;
  probe.layer = &(*local)[0];
  probe.on_output = [&](const Tensor& out) {
    out.register_hook([&](const Tensor&) {
      started_mid_backward = ddp.all_reduces_started();
      return Tensor{};
    });
  };
  const HookHandle last = local->parameters().front().register_hook([&](const Tensor&) {
    started_before_last = ddp.all_reduces_started();
    return Tensor{};
  });
  loss_of(ddp, data.x.slice(0, r * kPerRank, (r + 1) * kPerRank),
          data.y.slice(0, r * kPerRank, (r + 1) * kPerRank));
  last.remove();
  CHECK(started_mid_backward == 2);  // the second layer's weight and bias
  CHECK(started_before_last == 3);   // and the first layer's bias
  CHECK(ddp.all_reduces_started() == 4);
  CHECK(ddp.all_reduces_overlapped() == 3);
  // And the gradients are the whole batch's.
  auto reference = make_mlp(1);
  loss_of(*reference, data.x, data.y);
  const auto got = local->parameters();
  const auto want = reference->parameters();
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK(max(abs(got[i].grad() - want[i].grad())).item() < 1e-6);
}

TEST_CASE("ddp: no_sync accumulates locally, the next pass averages the sums", "[ddp]") {
  ensure_dist();
  const int n = dist::world_size();
  const std::int64_t r = dist::rank();
  const std::int64_t half = kPerRank / 2;
  const Data data = make_data(kPerRank * n);
  auto local = make_mlp(3);
  dist::DistributedDataParallel ddp(local);
  const Tensor x = data.x.slice(0, r * kPerRank, (r + 1) * kPerRank);
  const Tensor y = data.y.slice(0, r * kPerRank, (r + 1) * kPerRank);
  {
    const auto guard = ddp.no_sync();
    loss_of(ddp, x.slice(0, 0, half), y.slice(0, 0, half));
  }
  CHECK(ddp.all_reduces_started() == 0);
  // Local gradients: they differ between the ranks (their data differ).
  const std::vector<Tensor> first = dist::all_gather(local->parameters().front().grad());
  CHECK(max(abs(first[0] - first[1])).item() > 1e-4);
  loss_of(ddp, x.slice(0, half, kPerRank), y.slice(0, half, kPerRank));
  CHECK(ddp.all_reduces_started() == 1);
  // The reference: the mean over ranks of each rank's two half-batch losses, summed.
  auto reference = make_mlp(3);
  Tensor total = zeros({});
  for (std::int64_t k = 0; k < 2 * n; ++k)
    total = total + nn::cross_entropy((*reference)(data.x.slice(0, k * half, (k + 1) * half)),
                                      data.y.slice(0, k * half, (k + 1) * half));
  (total / static_cast<double>(n)).backward();
  const auto got = local->parameters();
  const auto want = reference->parameters();
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK(max(abs(got[i].grad() - want[i].grad())).item() < 1e-6);
}

TEST_CASE("ddp: models that differ across ranks fail on every rank, naming the parameter",
          "[ddp]") {
  ensure_dist();
  const bool odd = dist::rank() == 1;
  CHECK_THROWS_WITH(dist::DistributedDataParallel(make_mlp(1, odd ? 17 : 16)),
                    Catch::Contains("differ across ranks") && Catch::Contains("'0.weight'") &&
                        Catch::Contains("(17,6) on rank 1") && Catch::Contains("(16,6) on rank 0"));
  CHECK_THROWS_WITH(
      dist::DistributedDataParallel(make_mlp(1, 16, !odd)),
      Catch::Contains("rank 1 has 3 parameters and rank 0 has 4") && Catch::Contains("'2.bias'"));
  // An unused parameter: the next forward names it.
  auto model = make_mlp(1);
  dist::DistributedDataParallel ddp(model);
  const Tensor x = zeros({4, 6});
  sum(ddp(x).slice(1, 0, 1) * 0.0 + model->parameters().front().sum() * 0.0).backward();
  CHECK_NOTHROW(ddp.finish_gradient_synchronization());  // every parameter had a gradient
  sum(model->parameters().front()).backward();           // only 0.weight
  CHECK_THROWS_WITH(ddp.finish_gradient_synchronization(), Catch::Contains("'0.bias'"));
}

}  // namespace kindling::test
