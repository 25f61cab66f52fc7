// The caching allocator behind every tensor's storage, on the CPU (over aligned_alloc, in
// tensor/src/cpu/memory.cpp) and on CUDA devices (over cudaMalloc, in gpu/src/runtime.cpp). It is
// written against an abstract backend, so its bookkeeping is tested without a GPU
// (tests/gpu/test_gpu_host.cpp).
//
// Note [caching allocator]
// malloc for large blocks, cudaMalloc and cudaFree are slow (cudaFree synchronises the device),
// and a training step frees and asks again for the same sizes every time. So a freed block is
// kept, keyed by its device and
// size class, and the next request of that class on that device takes it back. Size classes are
// four per power of two (512 B, 640 B, 768 B, 896 B, 1 KiB, ...), so a block is at most 25% larger
// than asked. When the backend fails (out of memory) the cache is released and the request tried
// once more. release() gives every cached block back, and a cache limit (the CPU's) sends freed
// blocks straight back to the backend once the cache holds that many bytes.
//
// Note [stream order]
// On CUDA, kindling queues all work on the default stream, so a block that is freed while kernels
// that use it are still queued can be handed out again at once: whatever the new owner enqueues
// runs after them. Copies to the host synchronise, so the host never reads a block too early.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kindling::detail {

struct AllocatorBackend {
  // Returns nullptr when the device is out of memory; throws kindling::error for other failures.
  void* (*allocate)(int device, std::size_t bytes, void* context) = nullptr;
  void (*deallocate)(int device, void* data, void* context) noexcept = nullptr;
  void* context = nullptr;
  const char* device_name = "cuda";  // for messages: "cuda: out of memory ... on cuda:0"
};

struct AllocatorStats {
  std::size_t allocated_bytes = 0;
  std::size_t cached_bytes = 0;
  std::size_t peak_allocated_bytes = 0;
  std::uint64_t backend_allocations = 0;
  std::uint64_t backend_frees = 0;
  std::uint64_t cache_hits = 0;
};

class CachingAllocator {
 public:
  // `cache_limit`: the most bytes the cache holds; a block freed beyond it goes to the backend.
  explicit CachingAllocator(AllocatorBackend backend,
                            std::size_t cache_limit = static_cast<std::size_t>(-1))
      : backend_(backend), cache_limit_(cache_limit) {}
  ~CachingAllocator() { release(); }
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // The largest request a size class can serve: the top class of the top octave of size_t,
  // 7/4 * 2^63 on a 64-bit machine. Classes past it would not fit in size_t.
  static constexpr std::size_t kMaxRequest =
      (std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 1)) / 4 * 7;

  // The size class a request of `bytes` is served from (0 for 0 bytes); kindling::error naming
  // the bytes past kMaxRequest.
  static std::size_t round_size(std::size_t bytes);

  // A block of at least `bytes` on `device`; nullptr for 0 bytes. Throws kindling::error when
  // the request is past kMaxRequest, or the backend has no memory even after the cache was
  // released.
  void* allocate(int device, std::size_t bytes);
  // Returns a block from allocate() (with the same device and bytes) to the cache.
  void deallocate(int device, void* data, std::size_t bytes) noexcept;
  // Frees every cached block through the backend; returns the bytes freed.
  std::size_t release() noexcept;
  AllocatorStats stats() const;

 private:
  struct Key {
    int device;
    std::size_t size;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return k.size * 31u + static_cast<std::size_t>(k.device);
    }
  };
  std::size_t release_locked() noexcept;
  // round_size for a request already known to be at most kMaxRequest.
  static std::size_t class_of(std::size_t bytes) noexcept;

  AllocatorBackend backend_;
  std::size_t cache_limit_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, std::vector<void*>, KeyHash> free_;
  AllocatorStats stats_;
};

}  // namespace kindling::detail
