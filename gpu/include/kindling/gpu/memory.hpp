// Device memory owned by RAII handles, and host <-> device copies of raw bytes.
//
// DeviceBuffer is to device memory what std::vector is to the heap: it takes a block from the
// caching allocator and gives it back when it goes away, so no code path frees by hand.
#pragma once

#include <cstddef>
#include <utility>

#include "kindling/gpu/cuda.hpp"

namespace kindling::gpu {

// Raw blocks from the caching allocator of cuda:device; throw kindling::error when that device is
// not there or is out of memory (after releasing the cache and retrying). A block goes back with
// the device and bytes it was allocated with.
void* device_allocate(int device, std::size_t bytes);
void device_deallocate(int device, void* data, std::size_t bytes) noexcept;

// Synchronous copies of contiguous bytes, queued on the current device.
void copy_host_to_device(void* device_dst, const void* host_src, std::size_t bytes);
void copy_device_to_host(void* host_dst, const void* device_src, std::size_t bytes);
void copy_device_to_device(void* device_dst, const void* device_src, std::size_t bytes);

class DeviceBuffer {
 public:
  DeviceBuffer() noexcept = default;
  // On the current device (the one the launching op made current).
  explicit DeviceBuffer(std::size_t bytes) : DeviceBuffer(bytes, bytes ? current_device() : 0) {}
  DeviceBuffer(std::size_t bytes, int device)
      : data_(bytes ? device_allocate(device, bytes) : nullptr), bytes_(bytes), device_(device) {}
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        bytes_(std::exchange(other.bytes_, 0)),
        device_(other.device_) {}
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

  void* data() const noexcept { return data_; }
  template <class T>
  T* as() const noexcept {
    return static_cast<T*>(data_);
  }
  std::size_t bytes() const noexcept { return bytes_; }
  int device() const noexcept { return device_; }
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
