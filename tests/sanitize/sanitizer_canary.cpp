// sanitizer_canary: one deliberate defect per sanitizer, so that the sanitized test runs prove
// the sanitizers are really on (a build whose flags were lost would otherwise pass everything).
// Built only inside the nested sanitized builds (tests/sanitize/CMakeLists.txt); each mode is a
// ctest test that must fail with the sanitizer's report, except `openmp`, which must be clean.
//   sanitizer_canary heap-overflow | leak | undefined   (the ASan + UBSan build)
//   sanitizer_canary race | openmp                      (the TSan build, OMP_NUM_THREADS=2)
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace {

// Volatile so that the optimiser cannot see through the defects and drop them.
volatile int sink;

int heap_overflow() {
  std::vector<int> values(4, 1);
  int* data = values.data();
  volatile std::size_t index = values.size();  // one past the end
  return data[index];
}

int leak() {
  void* lost = std::malloc(64);
  std::memset(lost, 1, 64);
  sink = static_cast<const char*>(lost)[3];
  lost = nullptr;
  return 0;
}

int undefined() {
  volatile int big = std::numeric_limits<int>::max();
  return big + 1;  // signed overflow
}

int race() {
  int counter = 0;
#pragma omp parallel num_threads(2)
  for (int i = 0; i < 1000; ++i)
    counter = counter + 1;  // unsynchronised read-modify-write from both threads
  return counter > 0 ? 0 : 1;
}

// What the library's kernels do (parallel loops, a reduction, a barrier): clean under TSan only
// when Archer tells it about OpenMP's synchronisation.
int openmp() {
  std::vector<double> values(1 << 12);
  double total = 0;
#pragma omp parallel num_threads(2)
  {
#pragma omp for
    for (int i = 0; i < static_cast<int>(values.size()); ++i)
      values[static_cast<std::size_t>(i)] = i * 0.5;
#pragma omp barrier
#pragma omp for reduction(+ : total)
    for (int i = 0; i < static_cast<int>(values.size()); ++i)
      total += values[values.size() - 1 - static_cast<std::size_t>(i)];
  }
  std::printf("openmp: %d threads, total %.1f\n", omp_get_max_threads(), total);
  return total == 0.5 * (values.size() - 1) * values.size() / 2 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (!std::strcmp(mode, "heap-overflow")) return heap_overflow();
  if (!std::strcmp(mode, "leak")) return leak();
  if (!std::strcmp(mode, "undefined")) return undefined();
  if (!std::strcmp(mode, "race")) return race();
  if (!std::strcmp(mode, "openmp")) return openmp();
  std::fprintf(stderr, "usage: sanitizer_canary heap-overflow|leak|undefined|race|openmp\n");
  return 2;
}
