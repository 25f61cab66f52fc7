// The caching allocator's bookkeeping (Note [caching allocator] in caching_allocator.hpp). Plain
// C++: the CUDA calls are in the backend, so this file builds and is tested without CUDA.
#include "kindling/tensor/caching_allocator.hpp"

#include <algorithm>
#include <bit>
#include <cassert>

#include "kindling/engine/error.hpp"

namespace kindling::detail {

namespace {
// cudaMalloc aligns to 256 bytes anyway; every class is a multiple of 64 (aligned_alloc's need).
constexpr std::size_t kMinBlock = 512;
}  // namespace

std::size_t CachingAllocator::class_of(std::size_t bytes) noexcept {
  if (bytes == 0) return 0;
  if (bytes <= kMinBlock) return kMinBlock;
  // Four classes per octave: [2^k, 2^(k+1)) is split at 2^k * {1, 5/4, 6/4, 7/4}. Rounded up
  // as ((bytes - 1) / step + 1) * step: bytes + step - 1 would wrap in the top octave, and the
  // product stays within size_t up to kMaxRequest.
  const std::size_t octave = std::bit_floor(bytes);
  const std::size_t step = octave / 4;
  return ((bytes - 1) / step + 1) * step;
}

unsigned CachingAllocator::small_class_of(std::size_t bytes) noexcept {
  // 1..16 -> 0, 17..32 -> 1, ..., 129..256 -> 4.
  return static_cast<unsigned>(std::bit_width((bytes - 1) | (kSmallMin - 1))) - 4;
}

std::size_t CachingAllocator::class_size(std::size_t bytes) const {
  if (small_blocks_ && bytes != 0 && bytes <= kSmallMax) return kSmallMin << small_class_of(bytes);
  return round_size(bytes);
}

CachingAllocator::~CachingAllocator() {
  release();
  // Slabs with live blocks are left to their owners (the CPU's allocator is immortal anyway).
}

void* CachingAllocator::backend_allocate(int device, std::size_t size) {
  void* block = backend_.allocate(device, size, backend_.context);
  if (block == nullptr && stats_.cached_bytes > 0) {
    // Out of memory with blocks of other sizes idle: give them back and try once more.
    release_locked();
    block = backend_.allocate(device, size, backend_.context);
  }
  if (block != nullptr) ++stats_.backend_allocations;
  return block;
}

void* CachingAllocator::allocate_small(int device, std::size_t bytes) {
  const unsigned klass = small_class_of(bytes);
  const std::size_t size = kSmallMin << klass;
  std::lock_guard lock(mutex_);
  SlabList& partial = partial_[{device, klass}];
  if (partial.head == nullptr) {
    void* memory = backend_allocate(device, kSlabBytes);
    KINDLING_CHECK(memory != nullptr, backend_.device_name, ": out of memory allocating ", bytes,
                   " bytes (a slab of ", kSlabBytes, " for class ", size, ") on ",
                   backend_.device_name, ":", device, "; ", stats_.allocated_bytes,
                   " bytes are held by live tensors");
    Slab* slab = nullptr;
    try {
      auto owned = std::make_unique<Slab>();
      slab = owned.get();
      slab->base = static_cast<std::byte*>(memory);
      slab->device = device;
      slab->klass = klass;
      const std::size_t blocks = kSlabBytes / size;
      slab->free.reserve(blocks);
      for (std::size_t i = blocks; i-- > 0;)  // the first allocation gets the lowest address
        slab->free.push_back(static_cast<std::uint16_t>(i));
      slabs_.emplace(reinterpret_cast<std::uintptr_t>(memory), std::move(owned));
    } catch (...) {
      slabs_.erase(reinterpret_cast<std::uintptr_t>(memory));
      backend_.deallocate(device, memory, backend_.context);
      ++stats_.backend_frees;
      throw;
    }
    link(partial, slab);
    stats_.cached_bytes += kSlabBytes / size * size;
    ++stats_.slabs;
  } else {
    ++stats_.cache_hits;
  }
  Slab* slab = partial.head;
  const std::uint16_t index = slab->free.back();
  slab->free.pop_back();
  if (slab->live++ == 0 && partial.spare == slab) partial.spare = nullptr;
  if (slab->free.empty()) unlink(partial, slab);
  stats_.cached_bytes -= size;
  stats_.allocated_bytes += size;
  if (stats_.allocated_bytes > stats_.peak_allocated_bytes)
    stats_.peak_allocated_bytes = stats_.allocated_bytes;
  return slab->base + std::size_t{index} * size;
}

void CachingAllocator::link(SlabList& list, Slab* slab) noexcept {
  assert(!slab->listed);
  slab->listed = true;
  slab->prev = nullptr;
  slab->next = list.head;
  if (list.head) list.head->prev = slab;
  list.head = slab;
}

void CachingAllocator::unlink(SlabList& list, Slab* slab) noexcept {
  assert(slab->listed);
  slab->listed = false;
  (slab->prev ? slab->prev->next : list.head) = slab->next;
  if (slab->next) slab->next->prev = slab->prev;
  slab->prev = slab->next = nullptr;
}

void CachingAllocator::free_slab(Slab* slab) noexcept {
  assert(slab->live == 0);
  const std::size_t size = kSmallMin << slab->klass;
  stats_.cached_bytes -= kSlabBytes / size * size;
  --stats_.slabs;
  backend_.deallocate(slab->device, slab->base, backend_.context);
  ++stats_.backend_frees;
  slabs_.erase(reinterpret_cast<std::uintptr_t>(slab->base));
}

void CachingAllocator::deallocate_small(int device, void* data, std::size_t bytes) noexcept {
  const std::size_t size = kSmallMin << small_class_of(bytes);
  std::lock_guard lock(mutex_);
  // The slab with the largest base at or below data.
  auto it = slabs_.upper_bound(reinterpret_cast<std::uintptr_t>(data));
  assert(it != slabs_.begin());
  Slab* slab = std::prev(it)->second.get();
  assert(slab->device == device && (kSmallMin << slab->klass) == size);
  (void)device;
  const std::size_t offset = static_cast<std::size_t>(static_cast<std::byte*>(data) - slab->base);
  assert(offset < kSlabBytes && offset % size == 0);
  // The free list was reserved for every block: this push never allocates.
  slab->free.push_back(static_cast<std::uint16_t>(offset / size));
  --slab->live;
  stats_.allocated_bytes -= size;
  stats_.cached_bytes += size;
  SlabList& partial = partial_.find({slab->device, slab->klass})->second;
  if (!slab->listed) link(partial, slab);  // it was full: it has a free block again
  if (slab->live != 0) return;
  // Empty: it becomes its class's spare if the cache limit allows, and of two spares the one at
  // the higher address goes back. Keeping the lowest lets malloc's heap shrink from the top
  // after a large graph is freed (its newest slabs empty first).
  Slab* drop = slab;
  if (stats_.cached_bytes <= cache_limit_) {
    if (partial.spare == nullptr) {
      partial.spare = slab;
      return;
    }
    if (reinterpret_cast<std::uintptr_t>(partial.spare->base) >
        reinterpret_cast<std::uintptr_t>(slab->base))
      std::swap(drop, partial.spare);
  }
  unlink(partial, drop);
  free_slab(drop);
}

std::size_t CachingAllocator::round_size(std::size_t bytes) {
  KINDLING_CHECK(bytes <= kMaxRequest, "caching allocator: a request of ", bytes,
                 " bytes is larger than the largest size class (", kMaxRequest, " bytes)");
  return class_of(bytes);
}

void* CachingAllocator::allocate(int device, std::size_t bytes) {
  if (bytes == 0) return nullptr;
  if (small_blocks_ && bytes <= kSmallMax) return allocate_small(device, bytes);
  KINDLING_CHECK(bytes <= kMaxRequest, backend_.device_name, ": cannot allocate ", bytes,
                 " bytes on ", backend_.device_name, ":", device,
                 ": larger than the largest size class (", kMaxRequest, " bytes)");
  const std::size_t size = class_of(bytes);
  std::lock_guard lock(mutex_);
  void* block = nullptr;
  auto it = free_.find(Key{device, size});
  if (it != free_.end() && !it->second.empty()) {
    block = it->second.back();
    it->second.pop_back();
    stats_.cached_bytes -= size;
    ++stats_.cache_hits;
  } else {
    block = backend_allocate(device, size);
    KINDLING_CHECK(block != nullptr, backend_.device_name, ": out of memory allocating ", bytes,
                   " bytes (class ", size, ") on ", backend_.device_name, ":", device, "; ",
                   stats_.allocated_bytes, " bytes are held by live tensors");
  }
  stats_.allocated_bytes += size;
  if (stats_.allocated_bytes > stats_.peak_allocated_bytes)
    stats_.peak_allocated_bytes = stats_.allocated_bytes;
  return block;
}

void CachingAllocator::deallocate(int device, void* data, std::size_t bytes) noexcept {
  if (data == nullptr) return;
  if (small_blocks_ && bytes <= kSmallMax) return deallocate_small(device, data, bytes);
  const std::size_t size = class_of(bytes);  // allocate() accepted these bytes
  std::lock_guard lock(mutex_);
  bool cached = stats_.cached_bytes + size <= cache_limit_;
  if (cached) {
    try {
      free_[Key{device, size}].push_back(data);
    } catch (...) {
      cached = false;  // no memory for the free list's growth: give the block back instead
    }
  }
  stats_.allocated_bytes -= size;
  if (cached) {
    stats_.cached_bytes += size;
    return;
  }
  backend_.deallocate(device, data, backend_.context);
  ++stats_.backend_frees;
}

std::size_t CachingAllocator::release() noexcept {
  std::lock_guard lock(mutex_);
  return release_locked();
}

std::size_t CachingAllocator::release_locked() noexcept {
  std::size_t freed = 0;
  for (auto& [key, blocks] : free_) {
    for (void* block : blocks) {
      backend_.deallocate(key.device, block, backend_.context);
      ++stats_.backend_frees;
      freed += key.size;
    }
    blocks.clear();
  }
  free_.clear();
  stats_.cached_bytes -= freed;
  // The empty slabs (the spares) too; slabs with live blocks stay.
  for (auto& [key, partial] : partial_) {
    for (Slab* slab = partial.head; slab != nullptr;) {
      Slab* next = slab->next;
      if (slab->live == 0) {
        if (partial.spare == slab) partial.spare = nullptr;
        freed += kSlabBytes / (kSmallMin << slab->klass) * (kSmallMin << slab->klass);
        unlink(partial, slab);
        free_slab(slab);
      }
      slab = next;
    }
  }
  return freed;
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace kindling::detail
