// CPU memory: the shared caching allocator (Note [caching allocator] in
// kindling/tensor/caching_allocator.hpp) over aligned_alloc, so that a training step reuses the
// buffers the previous step freed instead of asking malloc (and the kernel, for large blocks)
// again every time. Requests up to 256 bytes come from slabs (Note [small blocks]), aligned to
// min(their class, 64); larger blocks are 64-byte aligned. The cache holds at most kCacheLimit
// bytes, and blocks freed beyond that go straight back to the system. Also the CPU's host copies,
// which are plain memcpy.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "cpu.hpp"
#include "kindling/tensor/caching_allocator.hpp"

namespace kindling::kernels::cpu {

namespace {

constexpr std::size_t kCacheLimit = std::size_t{1} << 30;
// No x86-64 or AArch64 process can map more than 2^56 bytes (the user half of 57-bit virtual
// addresses, the most any of them has). A larger request is out of memory without asking: the
// answer is certain, and sanitizer allocators abort on such sizes instead of returning null.
constexpr std::size_t kAddressSpaceLimit = std::size_t{1} << 56;
// Note [huge pages]: a block of 2 MiB or more is aligned to 2 MiB and advised to the kernel as
// huge pages (transparent huge pages in "madvise" mode, Debian's default, maps none otherwise).
// A streaming kernel over a large tensor then takes a TLB miss per 2 MiB instead of per 4 KiB,
// and the hardware prefetchers, which stop at page boundaries, run on: on an AMD EPYC (family
// 25, model 17) a sum of 2^24 floats went from 5.5 to 3.4 ms, an add from 14.4 to 8.1 ms
// (bench_ops). The size is not rounded up: the last partial 2 MiB stays in small pages.
constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Every size class is a multiple of 64, as aligned_alloc requires. Null when out of memory:
// the caching allocator turns that into kindling::error ("cpu: out of memory allocating N
// bytes ..."), after giving its cached blocks back and trying once more.
void* system_allocate(int, std::size_t bytes, void*) {
  if (bytes > kAddressSpaceLimit) return nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= kHugePage) {
    void* block = nullptr;
    if (posix_memalign(&block, kHugePage, bytes) != 0) return nullptr;
    madvise(block, bytes, MADV_HUGEPAGE);  // advice only: where it fails, 4 KiB pages serve
    return block;
  }
#endif
  return std::aligned_alloc(64, bytes);
}
void system_deallocate(int, void* data, void*) noexcept {
  std::free(data);
}

detail::CachingAllocator& cache() {
  // Immortal: tensors may die during static destruction.
  static auto* instance = new detail::CachingAllocator(
      detail::AllocatorBackend{&system_allocate, &system_deallocate, nullptr, "cpu"}, kCacheLimit,
      /*small_blocks=*/true);
  return *instance;
}

}  // namespace

}  // namespace kindling::kernels::cpu

namespace kindling::detail {
AllocatorStats cpu_allocator_stats() {
  return kernels::cpu::cache().stats();
}
std::size_t cpu_allocator_cache_limit() noexcept {
  return kernels::cpu::kCacheLimit;
}
std::size_t release_cpu_memory() noexcept {
  const std::size_t freed = kernels::cpu::cache().release();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return freed;
}
}  // namespace kindling::detail

namespace kindling::kernels::cpu {

// The table promises storage for 0 bytes too (an empty tensor still has some). The CPU is one
// device whatever the index says.
void* allocate(Device, std::size_t bytes) {
  return cache().allocate(0, std::max<std::size_t>(bytes, 1));
}

void deallocate(Device, void* data, std::size_t bytes) {
  cache().deallocate(0, data, std::max<std::size_t>(bytes, 1));
}

void copy_from_host(Device, void* dst, const void* src, std::size_t bytes) {
  if (bytes != 0) std::memcpy(dst, src, bytes);
}

void copy_to_host(Device, void* dst, const void* src, std::size_t bytes) {
  if (bytes != 0) std::memcpy(dst, src, bytes);
}

void copy_peer(Device, void* dst, Device, const void* src, std::size_t bytes) {
  if (bytes != 0) std::memcpy(dst, src, bytes);
}

// Kernels run on the calling thread (and OpenMP's): there is nothing to switch.
void make_current(Device) {}

}  // namespace kindling::kernels::cpu
