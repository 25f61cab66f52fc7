// How many threads the CPU kernels use, as torch.set_num_threads and torch.get_num_threads.
//   kindling::set_num_threads(1);  // one thread: reproducible timings, or a core left free
// The count is OpenMP's (OMP_NUM_THREADS sets its start value) and applies to the kernels that
// the calling thread runs. Results never depend on it: every kernel combines partial results in
// a fixed order (Note [gemm determinism], tensor/src/cpu/reduce.cpp).
#pragma once

namespace kindling {

/// Sets how many threads the CPU kernels run by the calling thread use (torch.set_num_threads).
/// @code
/// kindling::set_num_threads(1);  // one thread: reproducible timings, or a core left free
/// @endcode
/// @throws kindling::error naming set_num_threads and the value when threads < 1.
void set_num_threads(int threads);
/// How many threads the CPU kernels use (torch.get_num_threads): OpenMP's count, which
/// OMP_NUM_THREADS starts.
int get_num_threads() noexcept;

}  // namespace kindling
