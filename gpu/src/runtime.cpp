// The CUDA runtime side of kindling::gpu: error translation, device queries and selection,
// synchronisation, the caching allocator's CUDA backend and host <-> device copies.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "device_index.hpp"
#include "error.hpp"
#include "kernels/launchers.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/gpu/cuda.hpp"
#include "kindling/gpu/memory.hpp"
#include "kindling/tensor/caching_allocator.hpp"

namespace kindling::gpu {

namespace detail {

namespace {
std::atomic<std::uint64_t> g_launches{0};

bool sync_after_launch() {
  static const bool sync = [] {
    const char* v = std::getenv("KINDLING_CUDA_SYNC");
    return v != nullptr && std::strcmp(v, "0") != 0 && v[0] != '\0';
  }();
  return sync;
}
}  // namespace

std::string cuda_error_message(cudaError_t status, const char* what, const char* file, int line) {
  std::ostringstream m;
  m << "cuda: " << what << " failed at " << file << ":" << line << ": " << cudaGetErrorName(status)
    << ": " << cudaGetErrorString(status);
  return m.str();
}

void check_cuda(cudaError_t status, const char* what, const char* file, int line) {
  if (status == cudaSuccess) [[likely]]
    return;
  // A failed call also sets the runtime's last error; left there, the next launch check
  // (cudaGetLastError) would report this failure again against an innocent kernel.
  (void)cudaGetLastError();
  throw error(cuda_error_message(status, what, file, line));
}

void check_launch(const char* kernel, const char* file, int line) {
  g_launches.fetch_add(1, std::memory_order_relaxed);
  check_cuda(cudaGetLastError(), kernel, file, line);
  if (sync_after_launch()) {
    check_cuda(cudaDeviceSynchronize(), kernel, file, line);
    check_deferred_errors();
  }
}

}  // namespace detail

// ---- devices -----------------------------------------------------------------------------------

namespace {

// Asked once: the answer cannot change while the process runs (a driver does not appear).
struct Availability {
  int count = 0;
  std::string reason;
};

const Availability& availability() {
  static const Availability a = [] {
    Availability r;
    const cudaError_t status = cudaGetDeviceCount(&r.count);
    if (status != cudaSuccess) {
      r.count = 0;
      r.reason = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
      (void)cudaGetLastError();  // clear it, so the next checked call does not report it
    } else if (r.count == 0) {
      r.reason = "the CUDA runtime reports no devices";
    }
    return r;
  }();
  return a;
}

void require_device(const char* what) {
  KINDLING_CHECK(is_available(), what, ": no CUDA device is available (", availability().reason,
                 ")");
}

// A device there is, or kindling::error naming `what`.
void require_device(const char* what, int index) {
  require_device(what);
  detail::check_device_index(what, index, device_count());
}

// Makes `index` the current device for a scope and restores the previous one after it. The
// caller has checked the index.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index) : index_(index) {
    KINDLING_CUDA_CHECK(cudaGetDevice(&previous_));
    if (previous_ != index_) KINDLING_CUDA_CHECK(cudaSetDevice(index_));
  }
  ~DeviceGuard() {
    if (previous_ != index_) (void)cudaSetDevice(previous_);  // it was current a moment ago
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int index_;
  int previous_ = 0;
};

}  // namespace

bool built_with_cuda() noexcept {
  return true;
}

bool is_available() noexcept {
  return device_count() > 0;
}

int device_count() noexcept {
  try {
    return availability().count;
  } catch (...) {
    return 0;
  }
}

std::string unavailable_reason() {
  return availability().reason;
}

void set_device(int index) {
  require_device("set_device", index);
  KINDLING_CUDA_CHECK(cudaSetDevice(index));
}

int current_device() {
  require_device("current_device");
  int index = 0;
  KINDLING_CUDA_CHECK(cudaGetDevice(&index));
  return index;
}

void synchronize() {
  if (!is_available()) return;  // nothing can be queued
  KINDLING_CUDA_CHECK(cudaDeviceSynchronize());
  check_deferred_errors();
}

std::uint64_t launch_count() noexcept {
  return detail::g_launches.load(std::memory_order_relaxed);
}

// ---- memory ------------------------------------------------------------------------------------

namespace {

void* cuda_backend_allocate(int device, std::size_t bytes, void*) {
  int previous = 0;
  KINDLING_CUDA_CHECK(cudaGetDevice(&previous));
  if (previous != device) KINDLING_CUDA_CHECK(cudaSetDevice(device));
  void* data = nullptr;
  const cudaError_t status = cudaMalloc(&data, bytes);
  if (previous != device) KINDLING_CUDA_CHECK(cudaSetDevice(previous));
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // out of memory is not sticky: clear it and let the cache retry
    return nullptr;
  }
  KINDLING_CUDA_CHECK(status);
  return data;
}

void cuda_backend_deallocate(int, void* data, void*) noexcept {
  // cudaFree needs no current device. At process exit the runtime may already be unloading
  // (cudaErrorCudartUnloading); the memory goes with the process then, so the status is dropped.
  (void)cudaFree(data);
}

kindling::detail::CachingAllocator& allocator() {
  // Immortal: tensors held by static objects are freed during static destruction.
  static auto* instance = new kindling::detail::CachingAllocator(kindling::detail::AllocatorBackend{
      &cuda_backend_allocate, &cuda_backend_deallocate, nullptr, "cuda"});
  return *instance;
}

}  // namespace

// KINDLING_GPU_NO_CACHE=1: every block straight from cudaMalloc at its exact size and straight
// back with cudaFree, so that compute-sanitizer's memcheck sees each allocation's true bounds (a
// cached block of a larger size class would hide an overrun). Slow; for checking only.
static bool caching_disabled() {
  static const bool off = [] {
    const char* v = std::getenv("KINDLING_GPU_NO_CACHE");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return off;
}

void* device_allocate(int device, std::size_t bytes) {
  require_device("cuda allocate", device);
  if (caching_disabled()) {
    const DeviceGuard guard(device);
    void* data = nullptr;
    const cudaError_t status = cudaMalloc(&data, bytes);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // not sticky; the next launch check must not see it
      kindling::detail::throw_error("cuda: out of memory allocating ", bytes,
                                    " bytes on cuda:", device,
                                    " (KINDLING_GPU_NO_CACHE=1: no cache)");
    }
    KINDLING_CUDA_CHECK(status);
    return data;
  }
  return allocator().allocate(device, bytes);
}

// The caller says which device the block is on, so a block never goes back to the cache of
// another GPU (where a tensor on that GPU would be handed it) and no pointer lookup is needed.
void device_deallocate(int device, void* data, std::size_t bytes) noexcept {
  if (data == nullptr) return;
  if (caching_disabled()) {
    (void)cudaFree(data);  // cudaFree needs no current device
    return;
  }
  allocator().deallocate(device, data, bytes);
}

MemoryStats memory_stats() {
  const kindling::detail::AllocatorStats s = allocator().stats();
  MemoryStats m;
  m.allocated_bytes = s.allocated_bytes;
  m.cached_bytes = s.cached_bytes;
  m.peak_allocated_bytes = s.peak_allocated_bytes;
  m.device_allocations = s.backend_allocations;
  m.cache_hits = s.cache_hits;
  return m;
}

std::size_t release_cached_memory() {
  if (!is_available()) return 0;
  // Blocks may still be in use by queued kernels (Note [stream order]); cudaFree would wait for
  // them anyway, this makes the order explicit.
  KINDLING_CUDA_CHECK(cudaDeviceSynchronize());
  return allocator().release();
}

void copy_host_to_device(void* device_dst, const void* host_src, std::size_t bytes) {
  if (bytes == 0) return;
  require_device("copy to cuda");
  KINDLING_CUDA_CHECK(cudaMemcpy(device_dst, host_src, bytes, cudaMemcpyHostToDevice));
}

void copy_device_to_host(void* host_dst, const void* device_src, std::size_t bytes) {
  if (bytes == 0) return;
  require_device("copy from cuda");
  KINDLING_CUDA_CHECK(cudaMemcpy(host_dst, device_src, bytes, cudaMemcpyDeviceToHost));
  // The copy waited for every queued kernel: report an index error one of them deferred.
  check_deferred_errors();
}

void copy_device_to_device(void* device_dst, const void* device_src, std::size_t bytes) {
  if (bytes == 0) return;
  require_device("copy within cuda");
  KINDLING_CUDA_CHECK(cudaMemcpy(device_dst, device_src, bytes, cudaMemcpyDeviceToDevice));
}

// ---- the memory entries of the kernel table (Note [kernel table]) ------------------------------

// The table promises a block for 0 bytes too (an empty tensor still has storage).
void* allocate(Device device, std::size_t bytes) {
  return device_allocate(device.index, std::max<std::size_t>(bytes, 1));
}

void deallocate(Device device, void* data, std::size_t bytes) {
  device_deallocate(device.index, data, std::max<std::size_t>(bytes, 1));
}

// On the tensor's device, so that the copy waits for the kernels queued there (each device has
// its own default stream).
void copy_from_host(Device device, void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  require_device("copy to cuda", device.index);
  const DeviceGuard guard(device.index);
  copy_host_to_device(dst, src, bytes);
}

void copy_to_host(Device device, void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  require_device("copy from cuda", device.index);
  const DeviceGuard guard(device.index);
  copy_device_to_host(dst, src, bytes);
}

// Directly between the two GPUs (over NVLink or PCIe, or staged by the driver when they cannot
// reach each other), never through a host vector. cudaMemcpyPeer is ordered after the work queued
// on both devices.
void copy_peer(Device dst_device, void* dst, Device src_device, const void* src,
               std::size_t bytes) {
  if (bytes == 0) return;
  require_device("copy between cuda devices", dst_device.index);
  require_device("copy between cuda devices", src_device.index);
  if (dst_device.index == src_device.index) {
    const DeviceGuard guard(dst_device.index);
    copy_device_to_device(dst, src, bytes);
    return;
  }
  KINDLING_CUDA_CHECK(cudaMemcpyPeer(dst, dst_device.index, src, src_device.index, bytes));
}

// Note [one current device] in gpu/README.md: the kernels an op launches run on the current
// device, so every op first makes its tensors' device current (kernels_on in tensor/). Asking
// costs no driver call; switching happens only when the device changes.
void make_current(Device device) {
  int current = 0;
  KINDLING_CUDA_CHECK(cudaGetDevice(&current));
  if (current == device.index) return;
  require_device("cuda", device.index);
  KINDLING_CUDA_CHECK(cudaSetDevice(device.index));
}

}  // namespace kindling::gpu
