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

/// True when kindling was compiled with nvcc (the kernels exist), whether or not a device is there.
bool built_with_cuda() noexcept;
/// True when a CUDA device can be used now: built with CUDA, a driver and at least one device
/// (torch.cuda.is_available()).
/// @code
/// if (kindling::gpu::is_available()) {
///   kindling::Generator gen(0);
///   kindling::Tensor x = kindling::randn({64, 784}, gen).to(kindling::Device::cuda(0));
///   kindling::Tensor y = kindling::sum(x * 2.0);
///   kindling::gpu::synchronize();  // waits, and reports a deferred kernel error
/// } else {
///   std::cout << kindling::gpu::unavailable_reason() << "\n";
/// }
/// @endcode
bool is_available() noexcept;
/// The number of usable devices; 0 without a driver, a device or CUDA support
/// (torch.cuda.device_count()).
int device_count() noexcept;
/// Why is_available() is false ("kindling was built without CUDA", the runtime's error text);
/// empty when it is true.
std::string unavailable_reason();

/// Makes GPU `index` the device kernels launch on (torch.cuda.set_device). Every op makes its
/// tensors' device current first, so a tensor on cuda:i is allocated and computed on GPU i
/// whatever was current (Note [one current device] in gpu/README.md).
/// @throws kindling::error without a device (in every build), for an index out of range, or
///   when the CUDA runtime fails.
void set_device(int index);
/// The device kernels launch on now (torch.cuda.current_device).
/// @throws kindling::error without a device (in every build), or when the CUDA runtime fails.
int current_device();

/// Waits for all work queued on the current device, then reports the first error a kernel
/// deferred (an index out of range in gather/index_select/...): torch.cuda.synchronize. Does
/// nothing without a device.
/// @throws kindling::error for such a deferred error, or when the CUDA runtime fails.
void synchronize();

/// Registers the CUDA kernel table explicitly; idempotent, and a no-op in a CPU-only build.
///
/// Note [gpu registration]
/// The CUDA KernelTable is registered with kindling::kernels::register_kernels at static
/// initialisation. kindling::gpu is linked as a whole archive so that the registering object is
/// never dropped by the linker; init() does the same registration explicitly (it is idempotent) for
/// programs that link the library in some other way.
void init() noexcept;

/// Launches made by kindling's CUDA launchers since the program started (counts launch-bound work:
/// a training step's launches are the difference of two readings); 0 in a CPU-only build.
std::uint64_t launch_count() noexcept;

/// The CUDA caching allocator's figures, every device together (Note [caching allocator] in
/// kindling/tensor/caching_allocator.hpp); torch.cuda.memory_stats' main entries. With
/// KINDLING_GPU_NO_CACHE=1 the allocator is bypassed, and these stay 0.
struct MemoryStats {
  std::size_t allocated_bytes = 0;       ///< Held by live tensors (rounded to size classes).
  std::size_t cached_bytes = 0;          ///< Freed blocks kept for reuse.
  std::size_t peak_allocated_bytes = 0;  ///< The largest allocated_bytes so far.
  std::uint64_t device_allocations = 0;  ///< Calls to cudaMalloc.
  std::uint64_t cache_hits = 0;          ///< Requests served from the cache.
};
/// The allocator's figures now; all 0 in a CPU-only build.
MemoryStats memory_stats();
/// Returns every cached (unused) block to the driver, after waiting for the current device's
/// queued work; live tensors are untouched (torch.cuda.empty_cache). Returns the number of bytes
/// released; 0 without a device.
/// @throws kindling::error when the CUDA runtime fails.
std::size_t release_cached_memory();

}  // namespace kindling::gpu
