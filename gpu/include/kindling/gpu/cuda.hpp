// The CUDA runtime as kindling sees it: is a device there, which one is current, waiting for it,
// the caching allocator's figures, and the registration of the CUDA kernel table.
//
//   if (kindling::gpu::is_available()) {
//     kindling::Tensor x = kindling::randn({64, 784}, gen).to(kindling::Device::cuda(0));
//     ...
//     kindling::gpu::synchronize();
//   }
//
// Every function here works in every build: without CUDA (a CPU-only build) or without a driver or
// device, is_available() is false, device_count() is 0 and unavailable_reason() says why; nothing
// aborts. Failures of the CUDA runtime throw kindling::error naming the call, cudaGetErrorString's
// text and the file and line of the call site.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kindling::gpu {

// True when kindling was compiled with nvcc (the kernels exist), whether or not a device is there.
bool built_with_cuda() noexcept;
// True when a CUDA device can be used now: built with CUDA, a driver and at least one device.
bool is_available() noexcept;
// The number of usable devices; 0 without a driver, a device or CUDA support.
int device_count() noexcept;
// Why is_available() is false ("kindling was built without CUDA", the runtime's error text);
// empty when it is true.
std::string unavailable_reason();

// The device that allocations and kernels use (tensors on cuda:i run on the current device; see
// Note [one current device] in gpu/README.md). set_device throws for an index out of range.
void set_device(int index);
int current_device();

// Waits for all work queued on the current device, then reports the first error a kernel
// deferred (an index out of range in gather/index_select/...). Does nothing without a device.
void synchronize();

// Note [gpu registration]
// The CUDA KernelTable is registered with kindling::kernels::register_kernels at static
// initialisation. kindling::gpu is linked as a whole archive so that the registering object is
// never dropped by the linker; init() does the same registration explicitly (it is idempotent) for
// programs that link the library in some other way.
void init() noexcept;

// Launches made by kindling's CUDA launchers since the program started (counts launch-bound work:
// a training step's launches are the difference of two readings).
std::uint64_t launch_count() noexcept;

// The caching allocator (Note [caching allocator] in kindling/tensor/caching_allocator.hpp).
struct MemoryStats {
  std::size_t allocated_bytes = 0;  // held by live tensors (rounded to size classes)
  std::size_t cached_bytes = 0;     // freed blocks kept for reuse
  std::size_t peak_allocated_bytes = 0;
  std::uint64_t device_allocations = 0;  // calls to cudaMalloc
  std::uint64_t cache_hits = 0;          // requests served from the cache
};
MemoryStats memory_stats();
// Returns every cached (unused) block to the driver; live tensors are untouched. Returns the
// number of bytes released.
std::size_t release_cached_memory();

}  // namespace kindling::gpu
