// A probe of what a small tensor node costs (issue 14): builds chains y = y * c, y = y * t and
// y = exp(y) of N nodes over 4-float CPU tensors that require grad, and prints bytes per node from
// malloc's counters (mallinfo2), the node pool and the CPU caching allocator, and the process's
// resident memory, before and after the graph is freed. Not a test: run it by hand,
//   kindling_tensor_node_memory_probe [N] [mul_number|mul_tensor|exp|all]
#include <malloc.h>

#include <chrono>
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
  double heap;  // malloc's arena bytes in use (vectors, storages, the allocator's slabs)
  double pool;  // the node pool's chunks (aligned, so malloc maps them apart: not in `heap`)
  double allocator_allocated;
  double allocator_cached;
  double rss;
};

Snapshot snapshot() {
  const struct mallinfo2 m = mallinfo2();
  const auto stats = kindling::detail::cpu_allocator_stats();
  return {static_cast<double>(m.uordblks),
          static_cast<double>(NodePool::chunks_held() * NodePool::kChunkBytes),
          static_cast<double>(stats.allocated_bytes), static_cast<double>(stats.cached_bytes),
          static_cast<double>(rss_bytes())};
}

void report(const char* what, long n, const Snapshot& base, const Snapshot& built,
            const Snapshot& freed) {
  const double per = 1.0 / static_cast<double>(n);
  std::printf("%-11s N=%ld  sizeof(TensorNode)=%zu\n", what, n, sizeof(kindling::TensorNode));
  std::printf(
      "  built: %.1f B/node = heap %.1f + pool %.1f (allocator's blocks %.1f of it); RSS %.1f "
      "B/node\n",
      (built.heap + built.pool - base.heap - base.pool) * per, (built.heap - base.heap) * per,
      (built.pool - base.pool) * per, (built.allocator_allocated - base.allocator_allocated) * per,
      (built.rss - base.rss) * per);
  std::printf(
      "  freed: heap +%.2f MB, pool +%.2f MB, allocator cached %.2f MB (limit %.0f MB), RSS "
      "+%.1f MB\n",
      (freed.heap - base.heap) / 1e6, (freed.pool - base.pool) / 1e6, freed.allocator_cached / 1e6,
      static_cast<double>(kindling::detail::cpu_allocator_cache_limit()) / 1e6,
      (freed.rss - base.rss) / 1e6);
}
void run(const std::string& kind, long n) {
  Tensor t = kindling::full({4}, 1.0000001);
  {
    // Warm-up: a small graph made and freed first, as any program has done before a large one,
    // so that the engine's thread-local teardown list is not first allocated at the top of the
    // heap by the big graph's teardown.
    Tensor w = kindling::full({4}, 1.0).set_requires_grad();
    Tensor v = kindling::exp(w) * t;
  }
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
  const struct mallinfo2 m = mallinfo2();
  std::printf("malloc: arena %.1f MB, free in it %.1f MB, top %.1f MB\n",
              static_cast<double>(m.arena) / 1e6, static_cast<double>(m.fordblks) / 1e6,
              static_cast<double>(m.keepcost) / 1e6);
  const auto start = std::chrono::steady_clock::now();
  kindling::detail::release_cpu_memory();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("after release_cpu_memory (%.1f ms): RSS %.1f MB\n", ms,
              static_cast<double>(rss_bytes()) / 1e6);
}
