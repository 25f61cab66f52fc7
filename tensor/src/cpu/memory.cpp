// CPU memory: a caching allocator, so that a training step reuses the buffers the previous step
// freed instead of asking malloc (and the kernel, for large blocks) again every time.
//
// Blocks are rounded up to a power of two (at least 256 bytes) and 64-byte aligned; a freed block
// waits in its size class's free list until a request of that class takes it. The cache holds at
// most kCacheLimit bytes; beyond that, freed blocks go straight back to the system.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "cpu.hpp"

namespace kindling::kernels::cpu {

namespace {

constexpr std::size_t kMinBlock = 256;
constexpr std::size_t kCacheLimit = std::size_t{1} << 30;
constexpr int kClasses = 48;

std::size_t size_class(std::size_t bytes, int& index) noexcept {
  std::size_t size = kMinBlock;
  index = 0;
  while (size < bytes) {
    size <<= 1;
    ++index;
  }
  return size;
}

struct Cache {
  std::mutex mutex;
  std::vector<void*> free_blocks[kClasses];
  std::size_t cached_bytes = 0;
};

Cache& cache() {
  static Cache* instance = new Cache;  // immortal: tensors may die during static destruction
  return *instance;
}

}  // namespace

void* allocate(std::size_t bytes) {
  int index = 0;
  const std::size_t size = size_class(bytes, index);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    auto& list = c.free_blocks[index];
    if (!list.empty()) {
      void* block = list.back();
      list.pop_back();
      c.cached_bytes -= size;
      return block;
    }
  }
  void* block = std::aligned_alloc(64, size);
  if (block == nullptr) throw std::bad_alloc();
  return block;
}

void deallocate(void* data, std::size_t bytes) {
  if (data == nullptr) return;
  int index = 0;
  const std::size_t size = size_class(bytes, index);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    if (c.cached_bytes + size <= kCacheLimit) {
      c.free_blocks[index].push_back(data);
      c.cached_bytes += size;
      return;
    }
  }
  std::free(data);
}

}  // namespace kindling::kernels::cpu
