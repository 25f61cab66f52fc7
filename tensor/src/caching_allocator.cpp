// The caching allocator's bookkeeping (Note [caching allocator] in caching_allocator.hpp). Plain
// C++: the CUDA calls are in the backend, so this file builds and is tested without CUDA.
#include "kindling/tensor/caching_allocator.hpp"

#include <bit>

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

std::size_t CachingAllocator::round_size(std::size_t bytes) {
  KINDLING_CHECK(bytes <= kMaxRequest, "caching allocator: a request of ", bytes,
                 " bytes is larger than the largest size class (", kMaxRequest, " bytes)");
  return class_of(bytes);
}

void* CachingAllocator::allocate(int device, std::size_t bytes) {
  if (bytes == 0) return nullptr;
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
    block = backend_.allocate(device, size, backend_.context);
    if (block == nullptr && stats_.cached_bytes > 0) {
      // Out of memory with blocks of other sizes idle: give them back and try once more.
      release_locked();
      block = backend_.allocate(device, size, backend_.context);
    }
    KINDLING_CHECK(block != nullptr, backend_.device_name, ": out of memory allocating ", bytes,
                   " bytes (class ", size, ") on ", backend_.device_name, ":", device, "; ",
                   stats_.allocated_bytes, " bytes are held by live tensors");
    ++stats_.backend_allocations;
  }
  stats_.allocated_bytes += size;
  if (stats_.allocated_bytes > stats_.peak_allocated_bytes)
    stats_.peak_allocated_bytes = stats_.allocated_bytes;
  return block;
}

void CachingAllocator::deallocate(int device, void* data, std::size_t bytes) noexcept {
  if (data == nullptr) return;
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
  return freed;
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace kindling::detail
