// The process group's state and the helpers the collectives and DistributedDataParallel share:
// MPI error codes turned into kindling::error, bounded waits (Note [bounded collectives] in
// kindling/dist/process_group.hpp), MPI datatypes of kindling's dtypes, host staging of tensors.
#pragma once

#include <mpi.h>

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::dist::detail {

struct Group {
  bool started = false;   // init() ran (MPI cannot start twice in a process)
  bool live = false;      // between init() and the Environment's end
  bool finalize = false;  // init() started MPI itself, so the Environment finalizes it
  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
  std::string broken;  // why the group can no longer be used; empty while it can
};

Group& state() noexcept;
// The live, unbroken group, or kindling::error naming `what`.
Group& group(const char* what);
// kindling::error naming `what` and MPI's message unless rc is MPI_SUCCESS; marks the group broken.
void check(int rc, const char* what);
// Waits for every request until the group's timeout; on timeout or error marks the group broken
// and throws kindling::error naming `what`. Requests that complete become MPI_REQUEST_NULL.
void wait_all(std::span<MPI_Request> requests, const char* what);
// Drives MPI's progress on the requests without waiting (a non-blocking collective moves on only
// inside MPI calls); true when all are complete.
bool test_all(std::span<MPI_Request> requests, const char* what);
MPI_Datatype mpi_type(DType dtype, const char* what);

// A contiguous host tensor holding `tensor`'s values: `tensor` itself when it is a contiguous CPU
// tensor (then writes go straight into it), else a copy. write_back() puts the host values into
// `tensor` when they were a copy, and bumps its version either way.
struct HostStage {
  Tensor host;
  bool copied = false;
};
HostStage stage(const Tensor& tensor);
void write_back(const Tensor& tensor, const HostStage& staged);

// Every rank's bytes, in rank order (two all-gathers: the lengths, then the bytes).
std::vector<std::string> all_gather_bytes(const std::string& mine, const char* what);

}  // namespace kindling::dist::detail
