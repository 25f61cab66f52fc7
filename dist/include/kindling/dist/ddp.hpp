// DistributedDataParallel: the same model on every rank, each rank a slice of the batch, the
// gradients averaged over the ranks during backward, as torch.nn.parallel.DistributedDataParallel.
//
//   auto model = std::make_shared<Net>(gen);
//   kindling::dist::DistributedDataParallel ddp(model);  // rank 0's parameters everywhere
//   kindling::nn::SGD opt(ddp.parameters(), {.lr = 0.1});
//   loss(ddp(x_of_this_rank), y).backward();  // returns with the averaged gradients
//   opt.step(); opt.zero_grad();
//
// Note [gradient buckets]
// The parameters, in reverse registration order (roughly the order backward completes their
// gradients), are packed into buckets: the first holds up to first_bucket_cap_mb (1 MB), the
// others up to bucket_cap_mb (25 MB), PyTorch's sizes; a parameter larger than a cap has a bucket
// of its own, and a change of dtype starts a new bucket. Each parameter has a post-accumulate-grad
// hook, which runs as soon as backward has completed its gradient (Note [hooks during the sweep]
// in tensor/src/tensor.cpp) and copies it into its bucket. When a bucket is full its
// MPI_Iallreduce starts, while backward goes on with the layers below; buckets start in index
// order on every rank (MPI needs the ranks' collectives in one order), so a bucket completed out
// of order waits for the ones before it. The hook that completes the last gradient waits for all
// the buckets (Note [bounded collectives]) and writes the means back into the .grad tensors, so
// backward returns with the gradients synchronized, and the optimizer's step needs nothing more.
// Every parameter must receive a gradient in every synchronized pass (PyTorch's default, without
// find_unused_parameters); the next forward() fails naming the first one that did not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kindling/nn/module.hpp"

namespace kindling::dist {

/// The options of DistributedDataParallel, with PyTorch's names and defaults.
struct DdpOptions {
  double bucket_cap_mb = 25.0;       ///< The cap of every bucket but the first, in MiB (positive).
  double first_bucket_cap_mb = 1.0;  ///< The first bucket's cap, in MiB (positive).
  /// Broadcast the module's buffers (BatchNorm's running statistics) from rank 0 at construction.
  bool broadcast_buffers = true;
};

/// The same model on every rank, each rank a slice of the batch, the gradients averaged over the
/// ranks during backward (Note [gradient buckets]): torch.nn.parallel.DistributedDataParallel,
/// over MPI. Its parameters are the wrapped module's, named "module.<name>" as in PyTorch.
/// @code
/// kindling::dist::Environment env = kindling::dist::init();
/// kindling::Generator gen(0);
/// auto model = std::make_shared<kindling::nn::Linear>(4, 1, gen);
/// kindling::dist::DistributedDataParallel ddp(model);  // rank 0's parameters everywhere
/// kindling::nn::SGD opt(ddp.parameters(), {.lr = 0.1});
/// // x, y: this rank's slice of the batch
/// kindling::nn::mse_loss(ddp(x), y).backward();  // returns with the averaged gradients
/// opt.step();
/// opt.zero_grad();
/// @endcode
class DistributedDataParallel : public nn::Module {
 public:
  /// Collective: every rank constructs it. Checks that every rank's model has the same parameter
  /// names, dtypes and shapes (else kindling::error on every rank naming the first parameter that
  /// differs and the rank), then copies rank 0's parameters and buffers to the others.
  /// @throws kindling::error for a null module, a bucket cap that is not positive, a parameter
  ///   that is not float32 or float64, models that differ across ranks, before
  ///   kindling::dist::init(), and when a collective times out or fails.
  explicit DistributedDataParallel(std::shared_ptr<nn::Module> module, DdpOptions options = {});
  /// Removes the gradient hooks from the parameters; the module lives on where it is shared.
  ~DistributedDataParallel() override;

  /// The wrapped module's forward. Whether the backward pass through it synchronizes is decided
  /// here (no_sync()).
  /// @throws kindling::error when the previous synchronized backward pass left a parameter
  ///   without a gradient (Note [gradient buckets]).
  Tensor forward(const Tensor& input) override;
  /// The wrapped module (ddp.module in PyTorch): what a checkpoint saves.
  nn::Module& module() const noexcept { return *module_; }
  /// The wrapped module, shared.
  const std::shared_ptr<nn::Module>& shared_module() const noexcept { return module_; }

  /// While one is alive, forward passes are not synchronized: their backward passes accumulate
  /// gradients locally, and the first synchronized pass after them averages the sums (PyTorch's
  /// no_sync(), for gradient accumulation). Whether a pass synchronizes is decided at its forward.
  /// Guards nest.
  class NoSync {
   public:
    /// Stops synchronizing `ddp`'s passes while the guard lives.
    explicit NoSync(DistributedDataParallel& ddp) noexcept;
    /// Synchronizes again, from the next forward on (once no guard is left).
    ~NoSync();
    NoSync(const NoSync&) = delete;
    NoSync& operator=(const NoSync&) = delete;

   private:
    DistributedDataParallel& ddp_;
  };
  /// A NoSync guard on this DDP (PyTorch's `with ddp.no_sync():`).
  /// @code
  /// {
  ///   const auto local = ddp.no_sync();
  ///   kindling::nn::mse_loss(ddp(x1), y1).backward();  // accumulates locally
  /// }
  /// kindling::nn::mse_loss(ddp(x2), y2).backward();  // averages the sum of both passes
  /// @endcode
  [[nodiscard]] NoSync no_sync() { return NoSync(*this); }

  /// A no-op after a complete backward pass (whose last gradient hook synchronized everything),
  /// or before any gradient of a pass arrived.
  /// @throws kindling::error naming the first parameter still without its gradient when a pass
  ///   gave gradients to some parameters only.
  void finish_gradient_synchronization();

  // ---- what the reducer did (tests and benchmarks) ----
  /// How many gradient buckets the parameters are packed into (Note [gradient buckets]).
  std::size_t bucket_count() const noexcept;
  /// The parameter names of each bucket, in bucket order.
  std::vector<std::vector<std::string>> bucket_parameter_names() const;
  /// How many bucket all-reduces were started.
  std::int64_t all_reduces_started() const noexcept { return started_; }
  /// How many of them started while backward still had gradients to compute (the overlap of
  /// communication with computation, counted, not timed).
  std::int64_t all_reduces_overlapped() const noexcept { return overlapped_; }

 private:
  struct Slot;
  struct Bucket;
  void on_gradient(std::size_t slot);
  void start_ready_buckets();
  void complete_buckets();
  void reset_pass();
  void abandon_pass(const std::string& why);

  std::shared_ptr<nn::Module> module_;
  DdpOptions options_;
  std::vector<Slot> slots_;      // one per parameter, in the module's order
  std::vector<Bucket> buckets_;  // Note [gradient buckets]
  std::vector<HookHandle> hooks_;
  std::size_t ready_ = 0;        // parameters whose gradient this pass has copied in
  std::size_t next_bucket_ = 0;  // the next bucket to start
  int no_sync_depth_ = 0;
  bool pass_syncs_ = true;  // decided at forward
  std::int64_t started_ = 0;
  std::int64_t overlapped_ = 0;
};

}  // namespace kindling::dist
