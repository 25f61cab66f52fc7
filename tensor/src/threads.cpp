// set_num_threads / get_num_threads (kindling/tensor/threads.hpp): OpenMP's thread count.
#include "kindling/tensor/threads.hpp"

#include <omp.h>

#include "kindling/engine/error.hpp"

namespace kindling {

void set_num_threads(int threads) {
  KINDLING_CHECK(threads >= 1, "set_num_threads: threads must be at least 1, got ", threads);
  omp_set_num_threads(threads);
}

int get_num_threads() noexcept {
  return omp_get_max_threads();
}

}  // namespace kindling
