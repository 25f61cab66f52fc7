// How many threads the CPU kernels use, as torch.set_num_threads and torch.get_num_threads.
//   kindling::set_num_threads(1);  // one thread: reproducible timings, or a core left free
// The count is OpenMP's (OMP_NUM_THREADS sets its start value) and applies to the kernels that
// the calling thread runs. Results never depend on it: every kernel combines partial results in
// a fixed order (Note [gemm determinism], tensor/src/cpu/reduce.cpp).
#pragma once

namespace kindling {

// threads >= 1, else kindling::error naming set_num_threads and the value.
void set_num_threads(int threads);
int get_num_threads() noexcept;

}  // namespace kindling
