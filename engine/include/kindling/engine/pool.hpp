// A pool of fixed-size blocks for graph nodes, so that building a graph costs no malloc per op.
//
// Each thread keeps its own free list; a node freed on another thread than the one that made it
// simply joins that thread's list. Chunks are never returned to the system: they stay reachable
// from an immortal registry, so memory is flat across training steps (a step reuses the nodes the
// previous step freed) and no static-destruction order can pull a chunk from under a live node.
#pragma once

#include <cstddef>
#include <mutex>
#include <new>
#include <vector>

// Under AddressSanitizer the pool steps aside and every node is its own allocation, so that
// LeakSanitizer sees a leaked node and ASan sees a use after free.
#if defined(__SANITIZE_ADDRESS__)
#define KINDLING_NODE_POOL 0
#else
#define KINDLING_NODE_POOL 1
#endif

namespace kindling::engine {

namespace detail {
// Keeps every chunk reachable for the life of the process (see the banner).
inline void register_chunk(void* chunk) {
  static std::mutex* mutex = new std::mutex;
  static std::vector<void*>* chunks = new std::vector<void*>;
  std::lock_guard lock(*mutex);
  chunks->push_back(chunk);
}
}  // namespace detail

template <std::size_t BlockSize, std::size_t BlockAlign>
class FixedBlockPool {
  struct FreeBlock {
    FreeBlock* next;
  };
  static_assert(BlockSize >= sizeof(FreeBlock) && BlockSize % BlockAlign == 0);
  static constexpr std::size_t kBlocksPerChunk = 4096;

 public:
  static FixedBlockPool& this_thread() noexcept {
    thread_local FixedBlockPool pool;
    return pool;
  }

  void* allocate() {
    ++live_;
#if KINDLING_NODE_POOL
    if (free_ == nullptr) refill();
    FreeBlock* block = free_;
    free_ = block->next;
    return block;
#else
    return ::operator new (BlockSize, std::align_val_t{BlockAlign});
#endif
  }

  void deallocate(void* pointer) noexcept {
    --live_;
#if KINDLING_NODE_POOL
    push_free(pointer);
#else
    ::operator delete (pointer, std::align_val_t{BlockAlign});
#endif
  }

  // Blocks allocated minus blocks freed on this thread: a test's handle on leaks.
  std::ptrdiff_t live() const noexcept {
    return live_;
  }

 private:
  void refill() {
    const std::size_t chunk_bytes = BlockSize * kBlocksPerChunk;
    void* memory = ::operator new (chunk_bytes, std::align_val_t{BlockAlign});
    auto* chunk = static_cast<std::byte*>(memory);
    detail::register_chunk(chunk);
    // Thread the chunk's blocks so that the first allocation gets the lowest address.
    for (std::size_t i = kBlocksPerChunk; i-- > 0;)
      push_free(chunk + i * BlockSize);
  }

  void push_free(void* pointer) noexcept {
    auto* block = static_cast<FreeBlock*>(pointer);
    block->next = free_;
    free_ = block;
  }

  FreeBlock* free_ = nullptr;
  std::ptrdiff_t live_ = 0;
};

// The pool for nodes of type N.
template <class N>
using NodePool = FixedBlockPool<(sizeof(N) + alignof(N) - 1) / alignof(N) * alignof(N), alignof(N)>;

}  // namespace kindling::engine
