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

enum class ReduceOp { Sum, Average };

struct InitOptions {
  // How long a collective waits for the other ranks before it fails (Note [bounded collectives]).
  std::chrono::milliseconds timeout = std::chrono::minutes(5);
};

// Owns MPI's state: MPI is finalized when the Environment init() returned is destroyed. One per
// process, and MPI cannot be started again afterwards (an MPI rule): init() a second time is an
// error.
class Environment {
 public:
  Environment(Environment&& other) noexcept;
  Environment& operator=(Environment&&) = delete;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  ~Environment();

 private:
  friend Environment init(InitOptions options);
  Environment() = default;
  bool owns_ = true;
};

// Starts MPI from the environment mpirun gives (MPI_Init_thread) and makes the group of all its
// ranks. Outside mpirun it throws kindling::error saying how to start the program; under
// `mpirun -np 1` it works, and training is plain one-process training.
[[nodiscard]] Environment init(InitOptions options = {});
bool is_initialized() noexcept;
int rank();
int world_size();
// The waiting limit of every later collective (Note [bounded collectives]).
void set_timeout(std::chrono::milliseconds timeout);
std::chrono::milliseconds timeout();

// In place: every rank's `tensor` becomes the elementwise sum (or mean) over the ranks.
void all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::Sum);
// In place: every rank's `tensor` becomes rank `src`'s.
void broadcast(const Tensor& tensor, int src = 0);
// Each rank's `tensor`, in rank order (new contiguous tensors on `tensor`'s device).
std::vector<Tensor> all_gather(const Tensor& tensor);
void barrier();

}  // namespace kindling::dist
