// A probe of what a small tensor node costs (issue 14): builds chains y = y * c, y = y * t and
// y = exp(y) of N nodes over 4-float CPU tensors that require grad, and prints bytes per node from
// malloc's counters (mallinfo2), the node pool and the CPU caching allocator, and the process's
// resident memory, before and after the graph is freed. Not a test: run it by hand,
//   kindling_tensor_node_memory_probe [N] [mul_number|mul_tensor|exp|all]
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "kindling/engine/pool.hpp"
#include "kindling/tensor/caching_allocator.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace {

using kindling::Tensor;
using NodePool = kindling::engine::NodePool<kindling::TensorNode>;

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

struct Snapshot {
  std::size_t malloc_in_use;  // malloc's arena bytes in use plus its mmapped ones
  std::size_t allocator_allocated;
  std::size_t allocator_cached;
  std::size_t rss;
};

Snapshot snapshot() {
  const struct mallinfo2 m = mallinfo2();
  const auto stats = kindling::detail::cpu_allocator_stats();
  return {m.uordblks + m.hblkhd, stats.allocated_bytes, stats.cached_bytes, rss_bytes()};
}

void report(const char* what, long n, const Snapshot& base, const Snapshot& built,
            const Snapshot& freed) {
  const double per = 1.0 / static_cast<double>(n);
  std::printf("%-11s N=%ld  sizeof(TensorNode)=%zu\n", what, n, sizeof(kindling::TensorNode));
  std::printf("  built: malloc %.1f B/node, allocator allocated %.1f B/node, RSS %.1f B/node\n",
              (static_cast<double>(built.malloc_in_use) - base.malloc_in_use) * per,
              (static_cast<double>(built.allocator_allocated) - base.allocator_allocated) * per,
              (static_cast<double>(built.rss) - base.rss) * per);
  std::printf(
      "  freed: malloc in use +%.1f MB, allocator cached %.1f MB (limit %.0f MB), RSS +%.1f MB\n",
      (static_cast<double>(freed.malloc_in_use) - base.malloc_in_use) / 1e6,
      static_cast<double>(freed.allocator_cached) / 1e6,
      static_cast<double>(kindling::detail::cpu_allocator_cache_limit()) / 1e6,
      (static_cast<double>(freed.rss) - base.rss) / 1e6);
}

void run(const std::string& kind, long n) {
  Tensor t = kindling::full({4}, 1.0000001);
  const Snapshot base = snapshot();
  {
    Tensor x = kindling::full({4}, 1.0).set_requires_grad();
    Tensor y = x;
    for (long i = 0; i < n; ++i) {
      if (kind == "mul_number") {
        y = y * 1.0000001;
      } else if (kind == "mul_tensor") {
        y = y * t;
      } else {
        y = kindling::exp(y);  // the values overflow to inf: no matter here
      }
    }
    const Snapshot built = snapshot();
    y = Tensor{};
    x = Tensor{};
    const Snapshot freed = snapshot();
    report(kind.c_str(), n, base, built, freed);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 100000;
  const std::string kind = argc > 2 ? argv[2] : "all";
  if (kind == "all") {
    for (const char* k : {"mul_number", "mul_tensor", "exp"})
      run(k, n);
  } else {
    run(kind, n);
  }
  malloc_trim(0);
  std::printf("after malloc_trim: RSS %.1f MB\n", static_cast<double>(rss_bytes()) / 1e6);
}
