// What a small tensor node costs, and that its memory goes back (issue 14): the CPU caching
// allocator's small blocks (Note [small blocks]), the node pool's chunks (Note [node pool chunks])
// and the node's layout (Note [small tensor nodes]). Every figure comes from the allocator's and
// the pool's own counters, and from this executable's counting operator new (below) for what
// goes through new (vectors, storages), never from timing, so the tests are deterministic. An
// executable of its own, as replacing operator new is program-wide.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

#include <new>

#include "kindling/engine/error.hpp"
#include "kindling/engine/pool.hpp"
#include "kindling/tensor.hpp"
#include "kindling/tensor/caching_allocator.hpp"

// The bytes asked of plain operator new and not yet given back (aligned new, the pool's chunks,
// is the pool's own count). Each block carries its size in a 16-byte header.
namespace {
std::size_t heap_bytes_in_use = 0;  // a counter only the test's thread reads
constexpr std::size_t kHeader = 16;
void* counted_new(std::size_t bytes) {
  void* p = std::malloc(bytes + kHeader);
  if (p == nullptr) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = bytes;
  __atomic_add_fetch(&heap_bytes_in_use, bytes, __ATOMIC_RELAXED);
  return static_cast<char*>(p) + kHeader;
}
void counted_delete(void* p) noexcept {
  if (p == nullptr) return;
  void* block = static_cast<char*>(p) - kHeader;
  __atomic_sub_fetch(&heap_bytes_in_use, *static_cast<std::size_t*>(block), __ATOMIC_RELAXED);
  std::free(block);
}
}  // namespace
void* operator new(std::size_t bytes) {
  return counted_new(bytes);
}
void* operator new[](std::size_t bytes) {
  return counted_new(bytes);
}
void operator delete(void* p) noexcept {
  counted_delete(p);
}
void operator delete[](void* p) noexcept {
  counted_delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
  counted_delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  counted_delete(p);
}

using kindling::Tensor;
using kindling::detail::AllocatorBackend;
using kindling::detail::CachingAllocator;

namespace {

// A backend over malloc that counts what it holds and can be told to fail (out of memory).
struct CountingBackend {
  std::map<void*, std::size_t> live;
  std::size_t capacity = ~std::size_t{0}, live_bytes = 0;
  static void* allocate(int, std::size_t bytes, void* self_ptr) {
    auto* self = static_cast<CountingBackend*>(self_ptr);
    if (self->live_bytes + bytes > self->capacity) return nullptr;
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    self->live[p] = bytes;
    self->live_bytes += bytes;
    return p;
  }
  static void deallocate(int, void* data, void* self_ptr) noexcept {
    auto* self = static_cast<CountingBackend*>(self_ptr);
    self->live_bytes -= self->live.at(data);
    self->live.erase(data);
    std::free(data);
  }
  AllocatorBackend backend() { return {&allocate, &deallocate, this, "fake"}; }
};

constexpr std::size_t kSlab = CachingAllocator::kSlabBytes;

}  // namespace

TEST_CASE("small blocks: power-of-two classes from 16 to 256 bytes, aligned to their class",
          "[tensor][memory][allocator]") {
  CountingBackend fake;
  CachingAllocator allocator(fake.backend(), ~std::size_t{0}, /*small_blocks=*/true);
  CHECK(allocator.class_size(1) == 16);
  CHECK(allocator.class_size(16) == 16);
  CHECK(allocator.class_size(17) == 32);
  CHECK(allocator.class_size(100) == 128);
  CHECK(allocator.class_size(256) == 256);
  CHECK(allocator.class_size(257) == CachingAllocator::round_size(257));  // 512: the large path
  // Without small blocks (CUDA's allocator) the floor stays 512 bytes.
  CachingAllocator plain(fake.backend());
  CHECK(plain.class_size(16) == 512);

  for (std::size_t bytes : {1, 8, 16, 24, 48, 64, 100, 200, 256}) {
    void* a = allocator.allocate(0, bytes);
    void* b = allocator.allocate(0, bytes);
    const std::size_t klass = allocator.class_size(bytes);
    const std::size_t align = klass < 64 ? klass : 64;  // the slab is 64-byte aligned
    CHECK(reinterpret_cast<std::uintptr_t>(a) % align == 0);
    CHECK(reinterpret_cast<std::uintptr_t>(b) % align == 0);
    // Neighbours in one slab, one class apart: no 512-byte floor, no per-block header.
    CHECK(static_cast<char*>(b) - static_cast<char*>(a) == static_cast<std::ptrdiff_t>(klass));
    allocator.deallocate(0, b, bytes);
    allocator.deallocate(0, a, bytes);
  }
  CHECK(allocator.stats().allocated_bytes == 0);
}

TEST_CASE("small blocks: a slab goes back when emptied, one spare per class stays",
          "[tensor][memory][allocator]") {
  CountingBackend fake;
  CachingAllocator allocator(fake.backend(), ~std::size_t{0}, /*small_blocks=*/true);
  // 16-byte blocks: kSlab / 16 per slab; 2.5 slabs' worth takes 3 slabs.
  const std::size_t per_slab = kSlab / 16;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < per_slab * 5 / 2; ++i)
    blocks.push_back(allocator.allocate(0, 16));
  CHECK(allocator.stats().slabs == 3);
  CHECK(fake.live_bytes == 3 * kSlab);
  CHECK(allocator.stats().allocated_bytes == blocks.size() * 16);
  CHECK(allocator.stats().cached_bytes == 3 * kSlab - blocks.size() * 16);
  // Free in creation order (a chain freed from its root is the other order; both must work).
  for (void* b : blocks)
    allocator.deallocate(0, b, 16);
  const auto freed = allocator.stats();
  CHECK(freed.allocated_bytes == 0);
  CHECK(freed.slabs == 1);  // the spare
  CHECK(freed.cached_bytes == kSlab);
  CHECK(fake.live_bytes == kSlab);
  // The spare serves the next request without the backend.
  void* again = allocator.allocate(0, 16);
  CHECK(allocator.stats().slabs == 1);
  allocator.deallocate(0, again, 16);
  CHECK(allocator.release() == kSlab);
  CHECK(allocator.stats().slabs == 0);
  CHECK(allocator.stats().cached_bytes == 0);
  CHECK(fake.live.empty());
}

TEST_CASE("small blocks: a slab with a live block stays, the others go back",
          "[tensor][memory][allocator]") {
  CountingBackend fake;
  CachingAllocator allocator(fake.backend(), ~std::size_t{0}, /*small_blocks=*/true);
  const std::size_t per_slab = kSlab / 64;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < per_slab * 4; ++i)
    blocks.push_back(allocator.allocate(0, 64));
  CHECK(allocator.stats().slabs == 4);
  void* keep = blocks[per_slab * 2 + 7];  // in the third slab
  for (void* b : blocks)
    if (b != keep) allocator.deallocate(0, b, 64);
  // The third slab (one live block) and the spare: the two others went back.
  CHECK(allocator.stats().slabs == 2);
  CHECK(allocator.stats().allocated_bytes == 64);
  allocator.deallocate(0, keep, 64);
  CHECK(allocator.stats().slabs == 1);
  allocator.release();
  CHECK(fake.live.empty());
}

TEST_CASE("small blocks: out of memory for a slab is a kindling error naming the request",
          "[tensor][memory][allocator]") {
  CountingBackend fake;
  fake.capacity = kSlab / 2;
  CachingAllocator allocator(fake.backend(), ~std::size_t{0}, /*small_blocks=*/true);
  try {
    allocator.allocate(0, 40);
    FAIL("no error");
  } catch (const kindling::error& e) {
    CHECK_THAT(e.what(), Catch::Contains("fake: out of memory allocating 40 bytes (a slab of "));
  }
  CHECK(allocator.stats().slabs == 0);
  CHECK(allocator.stats().allocated_bytes == 0);
}

// A pool of its own block size, so that no other code's nodes share its chunks.
using TestPool = kindling::engine::FixedBlockPool<72, 8>;
// Under AddressSanitizer the pool steps aside (every block its own allocation): no chunks.
constexpr bool kPooled = KINDLING_NODE_POOL != 0;

TEST_CASE("node pool: emptied chunks go back, live() keeps its meaning", "[tensor][memory][pool]") {
  TestPool& pool = TestPool::this_thread();
  const std::ptrdiff_t live0 = pool.live();
  const std::size_t chunks0 = TestPool::chunks_held();
  std::vector<void*> blocks;
  for (int i = 0; i < 20000; ++i)
    blocks.push_back(pool.allocate());
  CHECK(pool.live() == live0 + 20000);
  // 20000 blocks of 72 bytes need at least 20000 * 72 / 64 KiB = 22 chunks.
  const std::size_t held = TestPool::chunks_held() - chunks0;
  if (kPooled) {
    CHECK(held >= 20000 * 72 / TestPool::kChunkBytes + 1);
    CHECK(held <= 20000 * 72 / TestPool::kChunkBytes + 2);
  }
  // Freed in reverse (a chain's teardown): all chunks but the one allocation comes from go back.
  for (std::size_t i = blocks.size(); i-- > 0;)
    pool.deallocate(blocks[i]);
  CHECK(pool.live() == live0);
  CHECK(TestPool::chunks_held() <= chunks0 + 1);
  // And again in creation order.
  blocks.clear();
  for (int i = 0; i < 20000; ++i)
    blocks.push_back(pool.allocate());
  for (void* b : blocks)
    pool.deallocate(b);
  CHECK(TestPool::chunks_held() <= chunks0 + 1);
}

TEST_CASE("node pool: a block freed on another thread is reused, and a thread's chunks go back",
          "[tensor][memory][pool]") {
  TestPool& pool = TestPool::this_thread();
  const std::size_t chunks0 = TestPool::chunks_held();
  std::vector<void*> blocks;
  for (int i = 0; i < 5000; ++i)
    blocks.push_back(pool.allocate());
  const std::size_t held = TestPool::chunks_held();
  // Freed on another thread: they wait on their chunks' remote lists...
  std::thread([&] {
    for (void* b : blocks)
      TestPool::this_thread().deallocate(b);
  }).join();
  CHECK(TestPool::chunks_held() == held);
  // ...and this thread takes them back instead of asking for new chunks.
  std::vector<void*> again;
  for (int i = 0; i < 5000; ++i)
    again.push_back(pool.allocate());
  CHECK(TestPool::chunks_held() == held);
  for (void* b : again)
    pool.deallocate(b);
  CHECK(TestPool::chunks_held() <= chunks0 + 1);

  // Blocks made on a thread that then ends, freed here: the thread's end orphans their chunks and
  // the last free returns each; its empty chunks went back when it ended.
  std::vector<void*> orphans;
  std::thread([&] {
    for (int i = 0; i < 5000; ++i)
      orphans.push_back(TestPool::this_thread().allocate());
  }).join();
  if (kPooled) CHECK(TestPool::chunks_held() > chunks0 + 1);
  for (void* b : orphans)
    pool.deallocate(b);
  CHECK(TestPool::chunks_held() <= chunks0 + 1);
}

namespace {

struct Counters {
  double pool_bytes;  // the tensor node pool's chunks
  double allocator_bytes;
  double heap_bytes;  // plain operator new's
};

Counters counters() {
  using NodePool = kindling::engine::NodePool<kindling::TensorNode>;
  const auto stats = kindling::detail::cpu_allocator_stats();
  return {static_cast<double>(NodePool::chunks_held() * NodePool::kChunkBytes),
          static_cast<double>(stats.allocated_bytes),
          static_cast<double>(__atomic_load_n(&heap_bytes_in_use, __ATOMIC_RELAXED))};
}

}  // namespace

TEST_CASE(
    "small tensor nodes: a 1e5-node chain costs a node-sized pool block, its data block "
    "and no 512-byte floor, all of it goes back when freed",
    "[tensor][memory]") {
  constexpr long kNodes = 100000;
  // 200 bytes is the target for a node's own block (the lead's sequence number included).
  STATIC_REQUIRE(sizeof(kindling::TensorNode) <= 200);
  const Tensor t = kindling::full({4}, 1.0000001);
  const std::string kind = GENERATE(as<std::string>{}, "y * t", "exp(y)", "y * 2.0");
  CAPTURE(kind);
  const Counters base = counters();
  const std::size_t slabs0 = kindling::detail::cpu_allocator_stats().slabs;
  {
    const Tensor x = kindling::full({4}, 0.5).set_requires_grad();
    Tensor y = x;
    for (long i = 0; i < kNodes; ++i)
      y = kind == "y * t" ? y * t : kind == "exp(y)" ? kindling::exp(y) : y * 2.0;
    const Counters built = counters();
    // A number operand is still a graph leaf today: an expanded 0-d tensor per op, so two nodes
    // and two storages per link (Note [small tensor nodes]).
    const double nodes_per_link = kind == "y * 2.0" ? 2 : 1;
    const double pool = (built.pool_bytes - base.pool_bytes) / kNodes / nodes_per_link;
    const double data = (built.allocator_bytes - base.allocator_bytes) / kNodes / nodes_per_link;
    if (kPooled) {
      // Blocks that earlier test cases of this process freed may be handed out again: a little
      // under a node per link then.
      CHECK(pool >= sizeof(kindling::TensorNode) * 0.99);
      CHECK(pool <= sizeof(kindling::TensorNode) * 1.01);  // a chunk's header and tail
    }
    // 4 floats, the 16-byte class (was 512); x's own block is in the count too.
    CHECK(data == Approx(16).margin(0.01));
    // Beyond the node and its data, what goes through new: the shape and strides vectors (8
    // bytes each) and the storage with its control block (56), so 72 bytes asked (malloc rounds
    // them to 128), and 2 bytes of the slab's free list per small block. No vector for inputs
    // or versions, no std::function in the storage. The target's 200 bytes in all needs inline
    // shapes (Note [small tensor nodes]).
    const double heap = (built.heap_bytes - base.heap_bytes) / kNodes / nodes_per_link;
    CHECK(heap == Approx(72 + 2).margin(0.5));
  }
  const Counters freed = counters();
  const auto stats = kindling::detail::cpu_allocator_stats();
  CHECK(freed.allocator_bytes == base.allocator_bytes);
  // The heap is back but for the spare slabs' bookkeeping (2 bytes per block, the slab) and the
  // allocator's lists' capacity.
  CHECK(freed.heap_bytes <= base.heap_bytes +
                                static_cast<double>(stats.slabs - slabs0) *
                                    (CachingAllocator::kSlabBytes / 16 * 2 + 256) +
                                4096);
  // The pool keeps at most the chunk allocation comes from.
  CHECK(freed.pool_bytes <=
        base.pool_bytes + kindling::engine::NodePool<kindling::TensorNode>::kChunkBytes);
  CHECK(stats.cached_bytes <= kindling::detail::cpu_allocator_cache_limit());
  // The small-block cache after the free: at most one spare slab per class more than before.
  CHECK(stats.slabs <= slabs0 + 5);
}

TEST_CASE("InlineVector: in place up to its count, on the heap past it, in order",
          "[tensor][memory]") {
  kindling::detail::InlineVector<std::uint64_t, 3> v;
  CHECK(v.empty());
  const double heap0 = static_cast<double>(__atomic_load_n(&heap_bytes_in_use, __ATOMIC_RELAXED));
  for (std::uint64_t i = 0; i < 3; ++i)
    v.push_back(10 + i);
  CHECK(static_cast<double>(__atomic_load_n(&heap_bytes_in_use, __ATOMIC_RELAXED)) == heap0);
  for (std::uint64_t i = 3; i < 9; ++i)
    v.push_back(10 + i);  // concat's many inputs: moves to the heap, keeps the order
  CHECK(static_cast<double>(__atomic_load_n(&heap_bytes_in_use, __ATOMIC_RELAXED)) > heap0);
  REQUIRE(v.size() == 9);
  for (std::size_t i = 0; i < v.size(); ++i)
    CHECK(v[i] == 10 + i);
  std::uint64_t sum = 0;
  for (std::uint64_t x : v)
    sum += x;
  CHECK(sum == 9 * 10 + 36);
  v.clear();
  CHECK(v.empty());
  v.push_back(7);
  CHECK(v[0] == 7);
}

TEST_CASE("small tensor nodes: concat of many inputs, labels and parameters survive the layout",
          "[tensor][memory]") {
  std::vector<Tensor> parts;
  for (int i = 0; i < 5; ++i)
    parts.push_back(kindling::full({2}, 1.0 + i).set_requires_grad());
  Tensor c = kindling::concat(parts, 0);  // 5 inputs: past the 2 in place
  c.set_label("c");
  CHECK(c.label() == "c");
  c.set_label("");
  CHECK(c.label().empty());
  // sum records its parameters behind the node's one pointer; its backward reads them.
  Tensor s = kindling::sum(c * c);
  s.backward();
  for (int i = 0; i < 5; ++i) {
    CHECK(parts[i].grad().to_vector<float>() == std::vector<float>(2, 2.0f * (1.0f + i)));
    CHECK(c.inputs()[static_cast<std::size_t>(i)].same_node(parts[i]));
  }
}

TEST_CASE("release_cpu_memory: the cache's idle blocks and spare slabs go back",
          "[tensor][memory]") {
  {
    std::vector<Tensor> small, large;
    for (int i = 0; i < 5000; ++i)
      small.push_back(kindling::full({4}, 1.0));
    for (int i = 0; i < 4; ++i)
      large.push_back(kindling::zeros({1 << 16}));  // 256 KiB each: the large path
  }
  const auto before = kindling::detail::cpu_allocator_stats();
  CHECK(before.cached_bytes >= 4 * (std::size_t{1} << 18));  // the large blocks wait in the cache
  const std::size_t freed = kindling::detail::release_cpu_memory();
  const auto after = kindling::detail::cpu_allocator_stats();
  CHECK(freed == before.cached_bytes - after.cached_bytes);
  // Left: only the free blocks of slabs that still hold live tensors (none made here).
  CHECK(after.cached_bytes < before.cached_bytes);
  CHECK(after.backend_frees > before.backend_frees);
  CHECK(after.allocated_bytes == before.allocated_bytes);
}
