// A tape: one thread's graph nodes in the order they were made, and the frontier that walks it
// backwards (Note [creation order] in graph.hpp). The scalar engine keeps its op results here.
//
// Note [tape]
// Records are appended to fixed-size chunks, each aligned to its size, so a record finds its chunk,
// and the chunk its tape, by masking the record's address. A record is alive while its reference
// count is above zero: the Value handles to it, and the records made from it. Its slot is reused
// only once every record above it has gone too: the tape is a stack, rewound from the top for as
// long as the top record is dead. In a training step every record dies when the loss is dropped,
// and the step is rewound in one pass from the top: no free list, no per-node free, no sort.
//   - A record kept by a handle keeps the dead records below it in memory (not alive: nothing can
//     reach them) until it goes; then the rewind continues through them. So a loss kept from every
//     step keeps each step's graph, as micrograd's Value does, and one kept handle keeps at most
//     the records made before it.
//   - Only the thread that owns the tape rewinds it (a record dropped on another thread waits for
//     the owner's next rewind); when the thread ends, its tape is orphaned, and any thread may then
//     rewind it (a graph belongs to one thread at a time, graph.hpp).
//   - Emptied chunks are kept for the next step up to kMaxSpareChunks, so memory is flat across
//     steps and a step costs no page faults; the rest go back to the system.
//   - Under AddressSanitizer a record is poisoned from its rewind until its slot is reused.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <vector>

// GCC says __SANITIZE_ADDRESS__; clang says __has_feature(address_sanitizer).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define KINDLING_TAPE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(KINDLING_TAPE_ASAN)
#include <sanitizer/asan_interface.h>
#define KINDLING_TAPE_POISON(address, size) ASAN_POISON_MEMORY_REGION(address, size)
#define KINDLING_TAPE_UNPOISON(address, size) ASAN_UNPOISON_MEMORY_REGION(address, size)
#else
#define KINDLING_TAPE_POISON(address, size) ((void)(address), (void)(size))
#define KINDLING_TAPE_UNPOISON(address, size) ((void)(address), (void)(size))
#endif

namespace kindling::engine {

/// The tape of records of type N (Note [tape]): one per thread, a stack of records in creation
/// order. N derives from NodeBase (ref_count, visit_mark) and provides N::retire(record): what a
/// record's rewind does (drop its references to its inputs, free what it owns), without freeing
/// records of this tape, which the rewind itself reaches. The scalar engine's op results live
/// here; nothing else in the library uses a tape.
///
/// A training step's records go in one rewind once its loss is dropped:
/// @code
/// using Tape = kindling::engine::CreationTape<kindling::ValueNode>;
/// const std::ptrdiff_t before = Tape::this_thread().live();
/// kindling::Value x(3.0);  // a leaf: from the node pool, not the tape
/// {
///   kindling::Value loss = x * x + 1.0;  // two records: x * x and the sum
///   loss.backward();
/// }  // the records die with loss, and the tape rewinds past them
/// assert(Tape::this_thread().live() == before);
/// @endcode
template <class N>
class CreationTape {
 public:
  /// A chunk's bytes, its header included; a power of two, and its alignment.
  static constexpr std::size_t kChunkBytes = std::size_t{256} << 10;
  /// Emptied chunks kept for the next step (16 MiB); the rest go back to the system.
  static constexpr std::size_t kMaxSpareChunks = 64;

  /// A chunk's header, at its start; its records follow.
  struct Chunk {
    CreationTape* tape;  ///< The tape the chunk belongs to.
    Chunk* below;        ///< The chunk filled before this one; null for the first.
    /// The chunk's first record slot.
    N* begin() noexcept {
      return reinterpret_cast<N*>(reinterpret_cast<std::byte*>(this) + kHeaderBytes);
    }
  };
  /// The header's bytes, rounded up to N's alignment: where the first record starts.
  static constexpr std::size_t kHeaderBytes =
      (sizeof(Chunk) + alignof(N) - 1) / alignof(N) * alignof(N);
  /// Records per chunk.
  static constexpr std::size_t kCapacity = (kChunkBytes - kHeaderBytes) / sizeof(N);
  static_assert(kCapacity >= 1024);

  /// This thread's tape, made on first use.
  static CreationTape& this_thread() {
    CreationTape* tape = current();
    return tape != nullptr ? *tape : make_current();
  }

  /// The chunk a record lies in, found by masking its address.
  static Chunk* chunk_of(const N* record) noexcept {
    return reinterpret_cast<Chunk*>(reinterpret_cast<std::uintptr_t>(record) & ~(kChunkBytes - 1));
  }
  /// The tape a record lies on.
  static CreationTape* tape_of(const N* record) noexcept { return chunk_of(record)->tape; }

  /// The record made just before `record` on its tape; `record` must not be the tape's first.
  static N* below(N* record) noexcept {
    Chunk* chunk = chunk_of(record);
    if (record != chunk->begin()) return record - 1;
    assert(chunk->below != nullptr);
    return chunk->below->begin() + (kCapacity - 1);
  }

  /// Raw memory for a new record on top of the tape; the caller constructs the N in it.
  void* allocate() {
    if (top_ == limit_) grow();
    N* slot = top_++;
    ++live_;
    KINDLING_TAPE_UNPOISON(slot, sizeof(N));
    return slot;
  }

  /// A record of this tape has no references left: rewind if it is the top one and this thread
  /// may (the owning thread, or any thread once the tape is orphaned).
  void record_died(N* record) noexcept {
    if (record + 1 == top_ && may_rewind()) rewind();
  }

  /// Records made and not yet rewound (dead ones under a live one included): a test's handle on
  /// leaks and on what a kept handle holds.
  std::ptrdiff_t live() const noexcept { return live_; }
  /// Chunks in use and kept spare.
  std::size_t chunk_count() const noexcept { return used_chunks_ + spare_count_; }

  /// Whether a record of this tape has been marked by the node type (ValueNode: released by a
  /// backward without retain_graph) since the tape was last empty: a pass looks for marks only
  /// where there may be some. The rewind to an empty tape clears it.
  bool has_marked_records() const noexcept { return marked_; }
  /// Says that the node type has marked a record of this tape (has_marked_records()).
  void note_marked_record() noexcept { marked_ = true; }

 private:
  // The thread's tape: a plain pointer (readable at any time, even while the thread's other
  // thread_local objects are destroyed), made and orphaned by a Holder.
  static CreationTape*& current() noexcept {
    thread_local CreationTape* tape = nullptr;
    return tape;
  }
  struct Holder {
    Holder() { current() = new CreationTape; }
    ~Holder() {
      CreationTape* tape = current();
      current() = nullptr;
      tape->orphan();
    }
  };
  [[gnu::noinline]] static CreationTape& make_current() {  // once per thread: out of line
    thread_local Holder holder;
    if (current() == nullptr) {
      // Asked for after this thread's Holder has gone (a thread_local destructor building a
      // graph): a tape for those few records, orphaned from the start.
      auto* tape = new CreationTape;
      tape->orphaned_ = true;
      remember_orphan(tape);
      current() = tape;
    }
    return *current();
  }
  static void remember_orphan(CreationTape* tape) {
    static std::mutex* mutex = new std::mutex;
    static std::vector<CreationTape*>* orphans = new std::vector<CreationTape*>;
    std::lock_guard lock(*mutex);
    orphans->push_back(tape);
  }

  CreationTape() = default;
  CreationTape(const CreationTape&) = delete;
  CreationTape& operator=(const CreationTape&) = delete;

  bool may_rewind() const noexcept { return orphaned_ || current() == this; }

  void rewind() noexcept {
    assert(!rewinding_);
    rewinding_ = true;
    while (top_chunk_ != nullptr) {
      if (top_ == top_chunk_->begin()) {
        pop_chunk();
        continue;
      }
      N* last = top_ - 1;
      if (last->ref_count != 0) break;
      N::retire(last);
      KINDLING_TAPE_POISON(last, sizeof(N));
      --live_;
      top_ = last;
    }
    rewinding_ = false;
  }

  [[gnu::noinline]] void grow() {  // once per chunk: kept out of allocate()'s inlined path
    Chunk* chunk = spare_;
    if (chunk != nullptr) {
      spare_ = chunk->below;
      --spare_count_;
    } else {
      chunk = static_cast<Chunk*>(::operator new (kChunkBytes, std::align_val_t{kChunkBytes}));
      chunk->tape = this;
      KINDLING_TAPE_POISON(chunk->begin(), kCapacity * sizeof(N));
    }
    chunk->below = top_chunk_;
    top_chunk_ = chunk;
    ++used_chunks_;
    top_ = chunk->begin();
    limit_ = top_ + kCapacity;
  }

  void pop_chunk() noexcept {
    Chunk* empty = top_chunk_;
    top_chunk_ = empty->below;
    --used_chunks_;
    if (top_chunk_ != nullptr) {
      top_ = limit_ = top_chunk_->begin() + kCapacity;
    } else {
      top_ = limit_ = nullptr;
      marked_ = false;  // no record left to carry a mark
    }
    if (!orphaned_ && spare_count_ < kMaxSpareChunks) {
      empty->below = spare_;
      spare_ = empty;
      ++spare_count_;
    } else {
      ::operator delete (empty, std::align_val_t{kChunkBytes});
    }
  }

  // The owning thread ends: free the spare chunks and whatever is dead on top; a tape with live
  // records stays (reachable from a registry, so LeakSanitizer sees no leak) until they go.
  void orphan() noexcept {
    orphaned_ = true;
    rewind();
    while (spare_ != nullptr) {
      Chunk* next = spare_->below;
      ::operator delete (spare_, std::align_val_t{kChunkBytes});
      spare_ = next;
    }
    spare_count_ = 0;
    if (top_chunk_ == nullptr) {
      delete this;
      return;
    }
    remember_orphan(this);
  }

  Chunk* top_chunk_ = nullptr;
  N* top_ = nullptr;    // the next free slot in top_chunk_
  N* limit_ = nullptr;  // the end of top_chunk_'s slots
  Chunk* spare_ = nullptr;
  std::size_t spare_count_ = 0;
  std::size_t used_chunks_ = 0;
  std::ptrdiff_t live_ = 0;
  bool orphaned_ = false;
  bool rewinding_ = false;
  bool marked_ = false;
};

/// The frontier of a backward walk over tape records (Note [creation order]): a cursor that scans
/// the root's tape downwards to the next reached record, and stops once every reached record has
/// been returned. Every interior node a root depends on lies on the root's tape (a record is never
/// made from another thread's records: the scalar engine refuses that with kindling::error).
/// ValueNode's N::Frontier (FrontierOf).
template <class N>
class TapeFrontier {
  using Tape = CreationTape<N>;

 public:
  /// A cursor at `root`, a record on its tape; the walk marks the nodes it reaches with `mark`.
  TapeFrontier(N* root, std::uint64_t mark) noexcept
      : cursor_(root), chunk_begin_(Tape::chunk_of(root)->begin()), mark_(mark) {}
  /// Counts one more reached record to return (the walk has marked it already).
  void push(N*) noexcept { ++pending_; }
  /// The next reached record below the last one returned (the root first); null when none is
  /// left.
  N* pop() noexcept {
    if (pending_ == 0) return nullptr;
    --pending_;
    if (started_) step_down();
    started_ = true;
    while (cursor_->visit_mark != mark_)
      step_down();
    return cursor_;
  }

 private:
  void step_down() noexcept {
    if (cursor_ != chunk_begin_) [[likely]] {
      --cursor_;
      return;
    }
    cursor_ = Tape::below(cursor_);
    chunk_begin_ = Tape::chunk_of(cursor_)->begin();
  }

  N* cursor_;
  N* chunk_begin_;  // the first record of cursor_'s chunk
  std::uint64_t mark_;
  std::size_t pending_ = 0;
  bool started_ = false;
};

}  // namespace kindling::engine
