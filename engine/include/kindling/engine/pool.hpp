// A pool of fixed-size blocks for graph nodes, so that building a graph costs no malloc per op.
//
// Note [node pool chunks]
// Each thread carves blocks from chunks of its own (kChunkBytes each, aligned to their size, so
// that a block finds its chunk by masking its address). A chunk keeps its own free list and live
// count, and the pool allocates from the first of its chunks that has a free block. A chunk whose
// last block is freed goes back to the system at once, except one empty chunk kept as a spare (so
// that a loop freeing and asking again at a chunk's edge does not call malloc each time; of two
// the lower one stays): after a graph is freed a thread holds at most one empty chunk per block
// size, and memory stays flat across training steps (a step reuses the chunks the previous step
// emptied).
//   A node freed on another thread than the one that made it goes onto its chunk's remote list,
// under one mutex for all pools (such frees are rare: a graph belongs to one thread at a time);
// the owner takes the remote blocks back when it next runs out of free blocks. When a thread
// ends, its empty chunks go back and the others become orphans: each later free of one of their
// blocks counts down under the mutex, and the last frees the chunk. So a node stays valid as long
// as it lives, whichever thread frees it and whenever (static destruction included).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>

// Under AddressSanitizer the pool steps aside and every node is its own allocation, so that
// LeakSanitizer sees a leaked node and ASan sees a use after free.
#if defined(__SANITIZE_ADDRESS__)
#define KINDLING_NODE_POOL 0
#else
#define KINDLING_NODE_POOL 1
#endif

namespace kindling::engine {

namespace detail {
// The one lock of every pool's cross-thread frees and orphaned chunks (Note [node pool chunks]).
// Immortal: frees may come during static destruction.
inline std::mutex& pool_remote_mutex() noexcept {
  static std::mutex* mutex = new std::mutex;
  return *mutex;
}
}  // namespace detail

/// A per-thread pool of blocks of BlockSize bytes aligned to BlockAlign (Note [node pool chunks]):
/// where the scalar engine's leaves come from (NodePool). A block may be freed on any thread, at
/// any time, static destruction included. Under AddressSanitizer every block is its own
/// allocation instead.
/// @code
/// using Pool = kindling::engine::NodePool<kindling::ValueNode>;
/// void* block = Pool::this_thread().allocate();
/// auto* node = new (block) kindling::ValueNode;
/// node->~ValueNode();
/// Pool::this_thread().deallocate(node);
/// @endcode
template <std::size_t BlockSize, std::size_t BlockAlign>
class FixedBlockPool {
  struct FreeBlock {
    FreeBlock* next;
  };
  struct Chunk;

 public:
  /// A chunk's bytes, its header included; a power of two, and its alignment.
  static constexpr std::size_t kChunkBytes = std::size_t{1} << 16;

 private:
  // The chunk header, at the chunk's start (Note [node pool chunks]).
  struct Chunk {
    // Null once the owning thread has ended (an orphan). Atomic because another thread's free
    // reads it while the owner's retirement may write it; relaxed is enough, as free_remote
    // reads it again under the mutex.
    std::atomic<FixedBlockPool*> owner;
    FreeBlock* free = nullptr;
    std::uint32_t live = 0;  // blocks handed out and not yet back on `free`
    Chunk* prev = nullptr;   // the owner's list of chunks with free blocks
    Chunk* next = nullptr;
    bool listed = false;
    Chunk* all_prev = nullptr;  // the owner's list of all its chunks
    Chunk* all_next = nullptr;
    // Under pool_remote_mutex(): blocks freed by other threads, not yet taken back.
    FreeBlock* remote = nullptr;
    std::uint32_t remote_count = 0;
    Chunk* next_remote = nullptr;  // the owner's list of chunks with remote blocks
  };
  static constexpr std::size_t kFirstBlock =
      (sizeof(Chunk) + BlockAlign - 1) / BlockAlign * BlockAlign;
  static_assert(BlockSize >= sizeof(FreeBlock) && BlockSize % BlockAlign == 0);
  static_assert(alignof(Chunk) <= kChunkBytes && BlockAlign <= kChunkBytes);
  static constexpr std::size_t kBlocksPerChunk = (kChunkBytes - kFirstBlock) / BlockSize;
  static_assert(kBlocksPerChunk >= 8, "blocks this large want a larger chunk");

 public:
  /// This thread's pool of this block size.
  static FixedBlockPool& this_thread() noexcept {
    // Trivially destructible, so a free during this thread's teardown still finds it; the
    // retirement below hands its chunks on when the thread ends.
    thread_local FixedBlockPool pool;
    return pool;
  }

  /// Raw memory for one block; the caller constructs its object in it. Throws std::bad_alloc
  /// when the system has no memory for a new chunk.
  void* allocate() {
    ++live_;
#if KINDLING_NODE_POOL
    Chunk* chunk = partial_;
    if (chunk == nullptr) [[unlikely]]
      chunk = refill();
    FreeBlock* block = chunk->free;
    chunk->free = block->next;
    if (chunk->live++ == 0 && chunk == spare_) spare_ = nullptr;
    if (chunk->free == nullptr) unlist(chunk);
    return block;
#else
    return ::operator new (BlockSize, std::align_val_t{BlockAlign});
#endif
  }

  /// Gives back a block from allocate() on any thread's pool of this size, its object already
  /// destroyed. Called on another thread's pool than the block's, it goes onto its chunk's
  /// remote list.
  void deallocate(void* pointer) noexcept {
    --live_;
#if KINDLING_NODE_POOL
    Chunk* chunk = chunk_of(pointer);
    auto* block = static_cast<FreeBlock*>(pointer);
    if (chunk->owner.load(std::memory_order_relaxed) != this) [[unlikely]] {
      free_remote(chunk, block);
      return;
    }
    block->next = chunk->free;
    chunk->free = block;
    if (!chunk->listed) list(chunk);
    if (--chunk->live == 0) [[unlikely]]
      chunk_emptied(chunk);
#else
    ::operator delete (pointer, std::align_val_t{BlockAlign});
#endif
  }

  /// Blocks allocated minus blocks freed on this pool's thread: a test's handle on leaks.
  std::ptrdiff_t live() const noexcept {
    return live_;
  }

  /// Chunks of this block size held from the system, by every thread together (a test's handle
  /// on memory that went back); 0 under AddressSanitizer.
  static std::size_t chunks_held() noexcept {
    return chunks_held_.load(std::memory_order_relaxed);
  }

 private:
  static Chunk* chunk_of(void* pointer) noexcept {
    return reinterpret_cast<Chunk*>(reinterpret_cast<std::uintptr_t>(pointer) & ~(kChunkBytes - 1));
  }

  // Puts the chunk at the end of the list of chunks with free blocks.
  void list(Chunk* chunk) noexcept {
    chunk->listed = true;
    chunk->next = nullptr;
    chunk->prev = partial_tail_;
    if (partial_tail_) {
      partial_tail_->next = chunk;
    } else {
      partial_ = chunk;
    }
    partial_tail_ = chunk;
  }
  void unlist(Chunk* chunk) noexcept {
    chunk->listed = false;
    (chunk->prev ? chunk->prev->next : partial_) = chunk->next;
    (chunk->next ? chunk->next->prev : partial_tail_) = chunk->prev;
    chunk->prev = chunk->next = nullptr;
  }

  // A chunk with a free block: remote frees taken back, or a new chunk.
  Chunk* refill() {
    if (remote_pending_.load(std::memory_order_acquire)) {
      take_remote();
      if (partial_ != nullptr) return partial_;
    }
    if (!retired_) retirement();  // constructs this thread's retirement on first use
    void* memory = ::operator new (kChunkBytes, std::align_val_t{kChunkBytes});
    chunks_held_.fetch_add(1, std::memory_order_relaxed);
    auto* chunk = new (memory) Chunk{this};
    auto* bytes = static_cast<std::byte*>(memory);
    // Thread the blocks so that the first allocation gets the lowest address.
    for (std::size_t i = kBlocksPerChunk; i-- > 0;) {
      auto* block = reinterpret_cast<FreeBlock*>(bytes + kFirstBlock + i * BlockSize);
      block->next = chunk->free;
      chunk->free = block;
    }
    chunk->all_next = all_;
    if (all_) all_->all_prev = chunk;
    all_ = chunk;
    list(chunk);
    return chunk;
  }

  // An empty chunk becomes the spare; of two spares the one at the higher address goes back, so
  // that after a large graph is freed (its newest chunks empty first) the one kept is the oldest
  // and malloc's heap, where the chunks may lie, can shrink from its top.
  void chunk_emptied(Chunk* chunk) noexcept {
    if (spare_ == nullptr) {
      spare_ = chunk;
      return;
    }
    Chunk* drop = chunk;
    if (reinterpret_cast<std::uintptr_t>(spare_) > reinterpret_cast<std::uintptr_t>(chunk))
      std::swap(drop, spare_);
    release_chunk(drop);
  }

  // An empty chunk back to the system.
  void release_chunk(Chunk* chunk) noexcept {
    if (chunk->listed) unlist(chunk);
    (chunk->all_prev ? chunk->all_prev->all_next : all_) = chunk->all_next;
    if (chunk->all_next) chunk->all_next->all_prev = chunk->all_prev;
    // Remote blocks count as live until taken back, so an empty chunk is on no remote list.
    free_chunk(chunk);
  }
  static void free_chunk(Chunk* chunk) noexcept {
    chunk->~Chunk();
    ::operator delete (static_cast<void*>(chunk), std::align_val_t{kChunkBytes});
    chunks_held_.fetch_sub(1, std::memory_order_relaxed);
  }

  static void free_remote(Chunk* chunk, FreeBlock* block) noexcept {
    std::lock_guard lock(detail::pool_remote_mutex());
    FixedBlockPool* owner = chunk->owner.load(std::memory_order_relaxed);
    if (owner == nullptr) {  // an orphan: the last free returns it
      if (--chunk->live == 0) free_chunk(chunk);
      return;
    }
    block->next = chunk->remote;
    chunk->remote = block;
    if (chunk->remote_count++ == 0) {
      chunk->next_remote = owner->remote_;
      owner->remote_ = chunk;
    }
    owner->remote_pending_.store(true, std::memory_order_release);
  }

  // Moves every remote block back onto its chunk's free list (the owner's thread).
  void take_remote() noexcept {
    Chunk* chunks = nullptr;
    {
      std::lock_guard lock(detail::pool_remote_mutex());
      chunks = remote_;
      remote_ = nullptr;
      remote_pending_.store(false, std::memory_order_relaxed);
      for (Chunk* c = chunks; c != nullptr; c = c->next_remote) {
        FreeBlock* last = c->remote;
        while (last->next != nullptr)
          last = last->next;
        last->next = c->free;
        c->free = c->remote;
        c->live -= c->remote_count;
        c->remote = nullptr;
        c->remote_count = 0;
      }
    }
    for (Chunk* c = chunks; c != nullptr;) {
      Chunk* next = c->next_remote;
      c->next_remote = nullptr;
      if (!c->listed) list(c);
      if (c->live == 0) chunk_emptied(c);
      c = next;
    }
  }

  // When the thread ends: empty chunks go back, the others become orphans.
  // Remote blocks are simply dropped from the count: an orphan's free list is never used again.
  void retire() noexcept {
    std::lock_guard lock(detail::pool_remote_mutex());
    retired_ = true;
    for (Chunk* c = all_; c != nullptr;) {
      Chunk* next = c->all_next;
      c->live -= c->remote_count;
      c->remote = nullptr;
      c->remote_count = 0;
      if (c->live == 0) {
        free_chunk(c);
      } else {
        c->owner.store(nullptr, std::memory_order_relaxed);
      }
      c = next;
    }
    all_ = partial_ = partial_tail_ = remote_ = spare_ = nullptr;
    remote_pending_.store(false, std::memory_order_relaxed);
  }

  struct Retirement {
    ~Retirement() { this_thread().retire(); }
  };
  static void retirement() noexcept {
    thread_local Retirement retirement;
    (void)retirement;
  }

  Chunk* partial_ = nullptr;  // chunks with free blocks: allocation takes the first
  Chunk* partial_tail_ = nullptr;
  Chunk* all_ = nullptr;
  Chunk* spare_ = nullptr;   // the one empty chunk kept, if any
  Chunk* remote_ = nullptr;  // under pool_remote_mutex(): chunks with remote blocks
  std::atomic<bool> remote_pending_{false};
  bool retired_ = false;  // the thread is ending: new chunks are never handed on
  std::ptrdiff_t live_ = 0;
  static inline std::atomic<std::size_t> chunks_held_{0};
};

/// The pool for nodes of type N: blocks of N's size (rounded up to its alignment) and alignment.
template <class N>
using NodePool = FixedBlockPool<(sizeof(N) + alignof(N) - 1) / alignof(N) * alignof(N), alignof(N)>;

}  // namespace kindling::engine
