// kindling::gpu on any machine: the caching allocator's bookkeeping against a fake backend, the
// CUDA error translation, and the API's answers without a driver or a device. These run (and must
// pass) in CPU-only builds, in CUDA builds on machines without a GPU, and on GPU machines.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "device_index.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/gpu/cuda.hpp"
#include "kindling/gpu/memory.hpp"
#include "kindling/tensor.hpp"
#include "kindling/tensor/caching_allocator.hpp"
#ifdef KINDLING_GPU_HAS_CUDA
#include "error.hpp"
#endif

using kindling::detail::AllocatorBackend;
using kindling::detail::CachingAllocator;

namespace {

// A backend over malloc that counts calls and can be told to fail (out of memory).
struct FakeDevice {
  std::size_t allocations = 0, frees = 0;
  std::size_t live_bytes = 0, capacity = ~std::size_t{0};
  std::map<void*, std::size_t> live;
  std::vector<std::size_t> sizes;

  static void* allocate(int, std::size_t bytes, void* self_ptr) {
    auto* self = static_cast<FakeDevice*>(self_ptr);
    if (self->live_bytes + bytes > self->capacity) return nullptr;
    void* p = std::malloc(bytes);
    self->live[p] = bytes;
    self->live_bytes += bytes;
    self->sizes.push_back(bytes);
    ++self->allocations;
    return p;
  }
  static void deallocate(int, void* data, void* self_ptr) noexcept {
    auto* self = static_cast<FakeDevice*>(self_ptr);
    self->live_bytes -= self->live.at(data);
    self->live.erase(data);
    ++self->frees;
    std::free(data);
  }
  AllocatorBackend backend() { return {&allocate, &deallocate, this}; }
};

}  // namespace

TEST_CASE("size classes: four per octave, at most 25% over the request", "[gpu][allocator]") {
  CHECK(CachingAllocator::round_size(0) == 0);
  CHECK(CachingAllocator::round_size(1) == 512);
  CHECK(CachingAllocator::round_size(512) == 512);
  CHECK(CachingAllocator::round_size(513) == 640);
  CHECK(CachingAllocator::round_size(1024) == 1024);
  CHECK(CachingAllocator::round_size(1025) == 1280);
  CHECK(CachingAllocator::round_size(3 << 20) == (3 << 20));
  std::size_t previous = 0;
  for (std::size_t bytes = 1; bytes < (std::size_t{1} << 26); bytes = bytes * 3 / 2 + 7) {
    const std::size_t size = CachingAllocator::round_size(bytes);
    CHECK(size >= bytes);
    CHECK(size >= previous);  // monotonic
    if (bytes > 512) CHECK(static_cast<double>(size) <= 1.25 * static_cast<double>(bytes));
    CHECK(size % 128 == 0);
    previous = size;
  }
}

TEST_CASE("a cache limit sends blocks freed beyond it back to the backend", "[gpu][allocator]") {
  // The CPU's configuration: the cache holds at most one 1 KiB block here.
  FakeDevice fake;
  CachingAllocator allocator(fake.backend(), CachingAllocator::round_size(1000));
  void* a = allocator.allocate(0, 1000);
  void* b = allocator.allocate(0, 1000);
  allocator.deallocate(0, a, 1000);
  allocator.deallocate(0, b, 1000);
  CHECK(fake.frees == 1);
  CHECK(allocator.stats().cached_bytes == CachingAllocator::round_size(1000));
  CHECK(allocator.stats().allocated_bytes == 0);
  CHECK(allocator.allocate(0, 1000) == a);  // the cached one comes back
  CHECK(fake.allocations == 2);
  allocator.deallocate(0, a, 1000);
}

TEST_CASE("freed blocks are reused by size class and device", "[gpu][allocator]") {
  FakeDevice fake;
  CachingAllocator allocator(fake.backend());
  void* a = allocator.allocate(0, 1000);
  REQUIRE(a != nullptr);
  CHECK(fake.allocations == 1);
  CHECK(fake.sizes.back() == CachingAllocator::round_size(1000));
  allocator.deallocate(0, a, 1000);
  CHECK(fake.frees == 0);  // kept, not returned
  CHECK(allocator.stats().cached_bytes == CachingAllocator::round_size(1000));

  // Same class (1000 and 1010 both round to 1024): the same block, no new backend call.
  void* b = allocator.allocate(0, 1010);
  CHECK(b == a);
  CHECK(fake.allocations == 1);
  CHECK(allocator.stats().cache_hits == 1);
  CHECK(allocator.stats().cached_bytes == 0);

  // Another class, or another device: a fresh block.
  void* c = allocator.allocate(0, 5000);
  CHECK(c != b);
  allocator.deallocate(0, c, 5000);
  void* d = allocator.allocate(1, 5000);
  CHECK(d != c);
  CHECK(fake.allocations == 3);

  const auto s = allocator.stats();
  CHECK(s.allocated_bytes ==
        CachingAllocator::round_size(1010) + CachingAllocator::round_size(5000));
  CHECK(s.cached_bytes == CachingAllocator::round_size(5000));
  CHECK(s.peak_allocated_bytes >= s.allocated_bytes);
  allocator.deallocate(0, b, 1010);
  allocator.deallocate(1, d, 5000);
  CHECK(allocator.stats().allocated_bytes == 0);
}

TEST_CASE("release returns every cached block and leaves live ones alone", "[gpu][allocator]") {
  FakeDevice fake;
  {
    CachingAllocator allocator(fake.backend());
    std::vector<void*> blocks;
    for (std::size_t bytes : {100, 2000, 2000, 70000, 1 << 20})
      blocks.push_back(allocator.allocate(0, bytes));
    void* live = allocator.allocate(0, 4096);
    std::size_t expected = 0;
    std::size_t i = 0;
    for (std::size_t bytes : {100, 2000, 2000, 70000, 1 << 20}) {
      allocator.deallocate(0, blocks[i++], bytes);
      expected += CachingAllocator::round_size(bytes);
    }
    CHECK(allocator.stats().cached_bytes == expected);
    CHECK(allocator.release() == expected);
    CHECK(fake.frees == 5);
    CHECK(fake.live.size() == 1);
    CHECK(fake.live.count(live) == 1);
    CHECK(allocator.stats().cached_bytes == 0);
    CHECK(allocator.release() == 0);  // nothing left to release
    allocator.deallocate(0, live, 4096);
  }
  // The destructor released the last block too.
  CHECK(fake.live.empty());
  CHECK(fake.frees == fake.allocations);
}

TEST_CASE("out of memory releases the cache and retries, then throws kindling::error",
          "[gpu][allocator]") {
  FakeDevice fake;
  fake.capacity = 10000;
  CachingAllocator allocator(fake.backend());
  void* a = allocator.allocate(0, 6000);  // class 6144
  allocator.deallocate(0, a, 6000);       // cached: the fake device is still 6144 bytes full
  // 5000 bytes (class 5120) do not fit beside the cached block: the cache is released, then it
  // fits.
  void* b = allocator.allocate(0, 5000);
  REQUIRE(b != nullptr);
  CHECK(fake.frees == 1);
  CHECK(allocator.stats().cached_bytes == 0);
  // More than the device holds, with nothing cached to release: a kindling::error naming the size.
  try {
    (void)allocator.allocate(0, 9000);
    FAIL("expected kindling::error");
  } catch (const kindling::error& e) {
    CHECK_THAT(e.what(), Catch::Contains("out of memory") && Catch::Contains("9000"));
  }
  allocator.deallocate(0, b, 5000);
  CHECK(allocator.allocate(0, 0) == nullptr);
}

#ifdef KINDLING_GPU_HAS_CUDA
TEST_CASE("CUDA errors become kindling::error with the runtime's text and the call site",
          "[gpu][errors]") {
  const std::string m = kindling::gpu::detail::cuda_error_message(
      cudaErrorInvalidValue, "cudaMemcpy(dst, src, n)", "kernels/x.cu", 42);
  CHECK_THAT(m, Catch::Contains("cudaMemcpy(dst, src, n)"));
  CHECK_THAT(m, Catch::Contains("kernels/x.cu:42"));
  CHECK_THAT(m, Catch::Contains(cudaGetErrorString(cudaErrorInvalidValue)));
  CHECK_THAT(m, Catch::Contains("cudaErrorInvalidValue"));
  CHECK_NOTHROW(kindling::gpu::detail::check_cuda(cudaSuccess, "ok", __FILE__, __LINE__));
  CHECK_THROWS_AS(
      kindling::gpu::detail::check_cuda(cudaErrorMemoryAllocation, "cudaMalloc", __FILE__, 1),
      kindling::error);
  // Through the macro: the site is this file.
  try {
    KINDLING_CUDA_CHECK(cudaErrorInvalidDevice);
    FAIL("expected kindling::error");
  } catch (const kindling::error& e) {
    CHECK_THAT(e.what(), Catch::Contains("test_gpu_host.cpp"));
    CHECK_THAT(e.what(), Catch::Contains(cudaGetErrorString(cudaErrorInvalidDevice)));
  }
}
#endif

TEST_CASE("the CUDA kernel table is registered exactly when kindling is built with CUDA",
          "[gpu][registration]") {
  // Proves the whole-archive link kept the registering object (Note [gpu registration]).
  CHECK(kindling::kernels::has_kernels(kindling::DeviceType::cuda) ==
        kindling::gpu::built_with_cuda());
  kindling::gpu::init();  // idempotent
  CHECK(kindling::kernels::has_kernels(kindling::DeviceType::cuda) ==
        kindling::gpu::built_with_cuda());
  // The fused optimizer steps are entries of the same table (Note [fused optimizer steps]).
  for (const auto step :
       {kindling::kernels::Kernel::sgd_step, kindling::kernels::Kernel::adam_step,
        kindling::kernels::Kernel::adam_multi_step, kindling::kernels::Kernel::rmsprop_step})
    CHECK(kindling::kernels::supports(kindling::Device::cuda(0), step) ==
          kindling::gpu::built_with_cuda());
}

TEST_CASE("the CUDA table has every kernel-table entry", "[gpu][registration]") {
  // KINDLING_CUDA_MISSING in gpu/src/register.cpp is empty: CUDA has every entry the CPU has.
  for (std::size_t k = 0; k < kindling::kernels::kKernelCount; ++k) {
    INFO(kindling::kernels::kKernelNames[k]);
    CHECK(kindling::kernels::supports(kindling::Device::cuda(0),
                                      static_cast<kindling::kernels::Kernel>(k)) ==
          kindling::gpu::built_with_cuda());
  }
}

TEST_CASE("a CUDA device index past the devices there are is an error naming it", "[gpu][device]") {
  // The check every Device-taking entry makes (allocate, copies, make_current) and set_device.
  using kindling::gpu::detail::check_device_index;
  CHECK_NOTHROW(check_device_index("cuda allocate", 0, 1));
  CHECK_NOTHROW(check_device_index("cuda allocate", 1, 2));
  CHECK_THROWS_WITH(check_device_index("cuda allocate", 1, 1),
                    "cuda allocate: cuda:1 does not exist; there are 1 CUDA devices");
  CHECK_THROWS_WITH(check_device_index("copy to cuda", -1, 2),
                    "copy to cuda: cuda:-1 does not exist; there are 2 CUDA devices");
  CHECK_THROWS_AS(check_device_index("cuda allocate", 0, 0), kindling::error);
  // Through a tensor: on a GPU machine the index after the last device names it; without a
  // device the reason is that there is none.
  const int count = kindling::gpu::device_count();
  try {
    (void)kindling::zeros({2}, kindling::DType::float32, kindling::Device::cuda(count));
    FAIL("expected kindling::error");
  } catch (const kindling::error& e) {
    const std::string what = e.what();
    if (count > 0) {
      CHECK_THAT(what, Catch::Contains("cuda allocate: cuda:" + std::to_string(count) +
                                       " does not exist; there are " + std::to_string(count)));
    } else {
      CHECK((what.find("CUDA") != std::string::npos || what.find("cuda") != std::string::npos));
    }
  }
}

TEST_CASE("availability answers cleanly with and without a device", "[gpu][device]") {
  const bool available = kindling::gpu::is_available();
  const int count = kindling::gpu::device_count();
  CHECK(available == (count > 0));
  if (!kindling::gpu::built_with_cuda()) CHECK_FALSE(available);
  if (available) {
    CHECK(kindling::gpu::unavailable_reason().empty());
    CHECK_NOTHROW(kindling::gpu::set_device(0));
    CHECK(kindling::gpu::current_device() == 0);
    CHECK_THROWS_AS(kindling::gpu::set_device(count), kindling::error);
    return;
  }
  // No device: every question has an answer, every request a kindling::error, nothing aborts.
  CHECK(count == 0);
  CHECK_FALSE(kindling::gpu::unavailable_reason().empty());
  CHECK_NOTHROW(kindling::gpu::synchronize());
  CHECK(kindling::gpu::release_cached_memory() == 0);
  CHECK_THROWS_AS(kindling::gpu::set_device(0), kindling::error);
  CHECK_THROWS_AS(kindling::gpu::current_device(), kindling::error);
  CHECK_THROWS_AS(kindling::gpu::DeviceBuffer(64), kindling::error);
  try {
    (void)kindling::zeros({2, 3}, kindling::DType::float32, kindling::Device::cuda(0));
    FAIL("expected kindling::error");
  } catch (const kindling::error& e) {
    // The reason is in the message: no driver, no device, or no CUDA in this build.
    const std::string what = e.what();
    CHECK((what.find("CUDA") != std::string::npos || what.find("cuda") != std::string::npos));
  }
  const kindling::Tensor x = kindling::tensor({1, 2, 3});
  CHECK_THROWS_AS(x.to(kindling::Device::cuda(0)), kindling::error);
}

TEST_CASE("to(device) on the CPU is the tensor itself", "[gpu][device]") {
  const kindling::Tensor x = kindling::tensor({1, 2, 3, 4}, {2, 2});
  const kindling::Tensor y = x.to(kindling::Device::cpu());
  CHECK(y.same_node(x));
  CHECK(kindling::to_string(kindling::Device::cuda(1)) == "cuda:1");
}
