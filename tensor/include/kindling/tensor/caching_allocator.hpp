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
// Note [small blocks]
// A graph of small tensors (a chain of 4-float nodes) asks for millions of tiny blocks, and a
// 512-byte class for 16 bytes would be 97% waste. An allocator made with `small_blocks` (the
// CPU's) serves requests of at most kSmallMax bytes from slabs instead: kSlabBytes from the
// backend, cut into blocks of one power-of-two class (16 to 256 bytes), each block aligned to
// min(its class, 64) as its slab is 64-byte aligned. A slab's bookkeeping (its free blocks, its
// live count) lives on the host, so a slab may be device memory. A slab whose last block is freed
// goes back to the backend, except one per class, kept as a spare so that a loop freeing and
// asking again at a slab's edge does not call the backend each time; of two empty slabs the one
// at the lower address stays (so that malloc's heap can shrink from its top). The free blocks of
// the held slabs count as cached bytes. Other allocators (CUDA's) keep the 512-byte floor:
// cudaMalloc aligns to 256 bytes, and a kernel may assume it.
//
// Note [stream order]
// On CUDA, kindling queues all work on the default stream, so a block that is freed while kernels
// that use it are still queued can be handed out again at once: whatever the new owner enqueues
// runs after them. Copies to the host synchronise, so the host never reads a block too early.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
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
  std::size_t slabs = 0;  // slabs held for small blocks (Note [small blocks]), spares included
};

class CachingAllocator {
 public:
  // `cache_limit`: the most bytes the cache holds; a block freed beyond it goes to the backend.
  // `small_blocks`: serve requests up to kSmallMax from slabs (Note [small blocks]).
  explicit CachingAllocator(AllocatorBackend backend,
                            std::size_t cache_limit = static_cast<std::size_t>(-1),
                            bool small_blocks = false)
      : backend_(backend), cache_limit_(cache_limit), small_blocks_(small_blocks) {}
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // The largest request a size class can serve: the top class of the top octave of size_t,
  // 7/4 * 2^63 on a 64-bit machine. Classes past it would not fit in size_t.
  static constexpr std::size_t kMaxRequest =
      (std::size_t{1} << (std::numeric_limits<std::size_t>::digits - 1)) / 4 * 7;
  // Small blocks (Note [small blocks]): the largest request a slab serves, and a slab's bytes.
  static constexpr std::size_t kSmallMin = 16;
  static constexpr std::size_t kSmallMax = 256;
  static constexpr std::size_t kSlabBytes = std::size_t{1} << 16;

  // The size class a request of `bytes` is served from (0 for 0 bytes); kindling::error naming
  // the bytes past kMaxRequest. Without small blocks (CUDA's allocator) the floor is 512 bytes.
  static std::size_t round_size(std::size_t bytes);
  // The class this allocator serves `bytes` from: round_size, or a small class when small blocks
  // are on and bytes <= kSmallMax.
  std::size_t class_size(std::size_t bytes) const;

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
  // A slab of small blocks of one class on one device (Note [small blocks]).
  struct Slab {
    std::byte* base;
    int device;
    unsigned klass;                   // index into the class lists: class size kSmallMin << klass
    std::uint32_t live = 0;           // blocks handed out
    std::vector<std::uint16_t> free;  // indices of the free blocks
    Slab* prev = nullptr;             // its class's list of slabs with free blocks
    Slab* next = nullptr;
    bool listed = false;
  };
  // The slabs of one device and class with free blocks; intrusive, so that a free never
  // allocates and the list leaves no block of its own in the heap.
  struct SlabList {
    Slab* head = nullptr;
    Slab* spare = nullptr;  // the one empty slab kept, if any
  };
  static constexpr unsigned kSmallClasses = 5;  // 16, 32, 64, 128, 256
  static unsigned small_class_of(std::size_t bytes) noexcept;
  std::size_t release_locked() noexcept;
  // round_size for a request already known to be at most kMaxRequest.
  static std::size_t class_of(std::size_t bytes) noexcept;
  void* allocate_small(int device, std::size_t bytes);
  void deallocate_small(int device, void* data, std::size_t bytes) noexcept;
  void link(SlabList& list, Slab* slab) noexcept;
  void unlink(SlabList& list, Slab* slab) noexcept;
  void free_slab(Slab* slab) noexcept;
  // The backend's memory, after giving the cache back once when it has none.
  void* backend_allocate(int device, std::size_t size);

  AllocatorBackend backend_;
  std::size_t cache_limit_;
  bool small_blocks_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, std::vector<void*>, KeyHash> free_;
  // Small blocks: every slab by its base address (to find a freed block's slab), and per device
  // and class the slabs that have free blocks.
  std::map<std::uintptr_t, std::unique_ptr<Slab>> slabs_;
  std::map<std::pair<int, unsigned>, SlabList> partial_;
  AllocatorStats stats_;
};

// The CPU's allocator (tensor/src/cpu/memory.cpp): its counters and limit, for tests and probes
// of memory use.
AllocatorStats cpu_allocator_stats();
std::size_t cpu_allocator_cache_limit() noexcept;
// Gives the CPU cache's idle blocks and spare slabs back to the system and, on glibc, asks malloc
// to return its free pages too (malloc_trim): after a large graph is freed, everything is back in
// malloc, but glibc keeps the pages of a heap it cannot shrink from the top (the small blocks of
// vectors and storages in its fast bins). Returns the bytes the cache gave back. What
// torch.cuda.empty_cache() is for the GPU; not called automatically, as a trim of a large heap
// takes tens of milliseconds.
std::size_t release_cpu_memory() noexcept;

}  // namespace kindling::detail
