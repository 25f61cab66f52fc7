// The process group of an mpirun job, and collectives on tensors with PyTorch's names
// (torch.distributed): init, rank, world_size, all_reduce, broadcast, all_gather, barrier.
//
//   kindling::dist::Environment env = kindling::dist::init();  // MPI_Finalize when it goes
//   kindling::Tensor g = ...;
//   kindling::dist::all_reduce(g, kindling::dist::ReduceOp::Average);
//
// Note [bounded collectives]
// Every collective is MPI's non-blocking form (MPI_Iallreduce, MPI_Ibcast, ...) waited on with
// MPI_Test until a deadline (InitOptions::timeout): a rank that threw, died or calls other
// collectives makes the others fail with kindling::error naming the collective and the timeout,
// never hang. MPI's errors are returned (MPI_ERRORS_RETURN on the communicator), not fatal, and
// become kindling::error too. After a timeout or an MPI error the group is broken (a request may
// still be pending and the ranks no longer agree on what comes next): every later collective
// throws at once, saying why.
//
// Tensors of any device, layout and of dtype float32, float64 or int64 (bool for broadcast and
// all_gather) are accepted. A contiguous CPU tensor is reduced in place; any other is staged
// through a contiguous host copy (CUDA tensors too: NCCL is not in Debian 12, docs/distributed.md).
// The collectives check first that every rank passes the same dtype and shape (one small
// all-gather) and otherwise fail on every rank, naming the first rank that differs.
#pragma once

#include <chrono>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::dist {

/// How all_reduce combines the ranks' tensors (torch.distributed.ReduceOp's SUM and AVG).
enum class ReduceOp {
  Sum,     ///< The elementwise sum over the ranks.
  Average  ///< The elementwise mean over the ranks (floating-point dtypes only).
};

/// The options of init().
struct InitOptions {
  /// How long a collective waits for the other ranks before it fails (Note [bounded
  /// collectives]); must be positive.
  std::chrono::milliseconds timeout = std::chrono::minutes(5);
};

/// Owns MPI's state: MPI is finalized when the Environment init() returned is destroyed. One per
/// process, and MPI cannot be started again afterwards (an MPI rule): init() a second time is an
/// error. Keep it alive while the program uses kindling::dist (PyTorch's init_process_group and
/// destroy_process_group in one object).
/// @code
/// int main() {
///   kindling::dist::Environment env = kindling::dist::init();  // under mpirun -np N
///   kindling::Tensor t = kindling::full({3}, kindling::dist::rank());
///   kindling::dist::all_reduce(t, kindling::dist::ReduceOp::Average);  // (N - 1) / 2 everywhere
/// }  // env goes: MPI_Finalize
/// @endcode
class Environment {
 public:
  /// Takes over `other`'s ownership; `other` then finalizes nothing.
  Environment(Environment&& other) noexcept;
  Environment& operator=(Environment&&) = delete;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  /// Frees the group's communicator and finalizes MPI, if this Environment owns it and init()
  /// started MPI (a program that initialized MPI itself finalizes it itself).
  ~Environment();

 private:
  friend Environment init(InitOptions options);
  Environment() = default;
  bool owns_ = true;
};

/// Starts MPI from the environment mpirun gives (MPI_Init_thread, MPI_THREAD_SERIALIZED; a
/// program may also have initialized MPI itself) and makes the group of all its ranks:
/// torch.distributed.init_process_group. Under `mpirun -np 1` it works, and training is plain
/// one-process training.
/// @throws kindling::error outside mpirun (saying how to start the program), when kindling::dist
///   is initialized already or was in this process before, for a timeout that is not positive,
///   or when MPI fails to start.
[[nodiscard]] Environment init(InitOptions options = {});
/// True between init() and the end of the Environment it returned.
bool is_initialized() noexcept;
/// This process's rank in the group, 0 to world_size() - 1 (torch.distributed.get_rank).
/// @throws kindling::error before init(), or once the group is broken.
int rank();
/// How many ranks the group has (torch.distributed.get_world_size).
/// @throws kindling::error before init(), or once the group is broken.
int world_size();
/// Sets the waiting limit of every later collective (Note [bounded collectives]).
/// @throws kindling::error for a timeout that is not positive, before init(), or once the group
///   is broken.
void set_timeout(std::chrono::milliseconds timeout);
/// The waiting limit of the collectives (InitOptions::timeout, or the last set_timeout()).
/// @throws kindling::error before init(), or once the group is broken.
std::chrono::milliseconds timeout();

/// In place: every rank's `tensor` becomes the elementwise sum (or mean) over the ranks
/// (torch.distributed.all_reduce). Collective: every rank calls it.
/// @param tensor float32, float64 or int64 (Average: floating-point only), the same dtype and
///   shape on every rank; any device and layout.
/// @param op Sum or Average.
/// @throws kindling::error for a bool tensor, for Average of an int64 tensor, when the ranks'
///   dtypes or shapes differ (on every rank, naming the first rank that differs), before
///   init(), on a time-out or an MPI error, and once the group is broken.
void all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::Sum);
/// In place: every rank's `tensor` becomes rank `src`'s (torch.distributed.broadcast).
/// Collective: every rank calls it with the same `src`.
/// @param tensor float32, float64, int64 or bool, the same dtype and shape on every rank.
/// @param src the rank whose tensor is sent.
/// @throws kindling::error when `src` is not a rank of the group, when the ranks' dtypes or
///   shapes differ, and as all_reduce does.
void broadcast(const Tensor& tensor, int src = 0);
/// Each rank's `tensor`, in rank order (new contiguous tensors on `tensor`'s device):
/// torch.distributed.all_gather, returning the list instead of filling one. Collective.
/// @throws kindling::error when the ranks' dtypes or shapes differ, and as all_reduce does.
std::vector<Tensor> all_gather(const Tensor& tensor);
/// Returns once every rank has called it (torch.distributed.barrier).
/// @throws kindling::error before init(), on a time-out or an MPI error, and once the group is
///   broken.
void barrier();

}  // namespace kindling::dist
