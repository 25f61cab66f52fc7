// Device memory owned by RAII handles, and host <-> device copies of raw bytes.
//
// DeviceBuffer is to device memory what std::vector is to the heap: it takes a block from the
// caching allocator and gives it back when it goes away, so no code path frees by hand.
#pragma once

#include <cstddef>
#include <utility>

#include "kindling/gpu/cuda.hpp"

namespace kindling::gpu {

/// A raw block of at least `bytes` from the caching allocator of cuda:device (nullptr for 0
/// bytes). A block goes back with the device and bytes it was allocated with.
/// @throws kindling::error when that device is not there (in a CPU-only build, always) or is out
///   of memory (after releasing the cache and retrying).
void* device_allocate(int device, std::size_t bytes);
/// Gives back a block from device_allocate(device, bytes), with the same device and bytes; null
/// is ignored.
void device_deallocate(int device, void* data, std::size_t bytes) noexcept;

/// Synchronous copy of `bytes` contiguous bytes from the host to a device, queued on the current
/// device; 0 bytes do nothing.
/// @throws kindling::error without a device, or when the CUDA runtime fails.
void copy_host_to_device(void* device_dst, const void* host_src, std::size_t bytes);
/// Synchronous copy of `bytes` contiguous bytes from a device to the host, after the work queued
/// before it; 0 bytes do nothing.
/// @throws kindling::error without a device, when the CUDA runtime fails, or for an error a
///   queued kernel deferred (as synchronize()).
void copy_device_to_host(void* host_dst, const void* device_src, std::size_t bytes);
/// Synchronous copy of `bytes` contiguous bytes between device blocks; 0 bytes do nothing.
/// @throws kindling::error without a device, or when the CUDA runtime fails.
void copy_device_to_device(void* device_dst, const void* device_src, std::size_t bytes);

/// Device memory owned by an RAII handle, as std::vector owns heap memory: a block from the
/// caching allocator, given back when the buffer goes, so no code path frees by hand. Move-only.
/// @code
/// std::vector<float> host(1024, 1.0f);
/// kindling::gpu::DeviceBuffer buffer(host.size() * sizeof(float), 0);  // on cuda:0
/// kindling::gpu::copy_host_to_device(buffer.data(), host.data(), buffer.bytes());
/// // ... a kernel reads and writes buffer.as<float>() ...
/// kindling::gpu::copy_device_to_host(host.data(), buffer.data(), buffer.bytes());
/// @endcode
class DeviceBuffer {
 public:
  /// An empty buffer: no block, 0 bytes.
  DeviceBuffer() noexcept = default;
  /// `bytes` on the current device (the one the launching op made current); 0 bytes allocate
  /// nothing.
  /// @throws kindling::error as current_device() and device_allocate() do.
  explicit DeviceBuffer(std::size_t bytes) : DeviceBuffer(bytes, bytes ? current_device() : 0) {}
  /// `bytes` on cuda:device; 0 bytes allocate nothing.
  /// @throws kindling::error as device_allocate() does.
  DeviceBuffer(std::size_t bytes, int device)
      : data_(bytes ? device_allocate(device, bytes) : nullptr), bytes_(bytes), device_(device) {}
  /// Gives the block back (reset()).
  ~DeviceBuffer() { reset(); }
  /// Takes over `other`'s block; `other` becomes empty.
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        bytes_(std::exchange(other.bytes_, 0)),
        device_(other.device_) {}
  /// Gives this buffer's block back and takes over `other`'s; `other` becomes empty.
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
      device_ = other.device_;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  /// The block's device address; null when empty.
  void* data() const noexcept { return data_; }
  /// data() as a T* (a device pointer, for kernel arguments).
  template <class T>
  T* as() const noexcept {
    return static_cast<T*>(data_);
  }
  /// The bytes asked for; 0 when empty.
  std::size_t bytes() const noexcept { return bytes_; }
  /// The device index the block is on.
  int device() const noexcept { return device_; }
  /// Gives the block back now; the buffer becomes empty.
  void reset() noexcept {
    if (data_) device_deallocate(device_, data_, bytes_);
    data_ = nullptr;
    bytes_ = 0;
  }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  int device_ = 0;
};

}  // namespace kindling::gpu
