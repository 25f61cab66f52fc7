// Device memory owned by RAII handles, and host <-> device copies of raw bytes.
//
// DeviceBuffer is to device memory what std::vector is to the heap: it takes a block from the
// caching allocator and gives it back when it goes away, so no code path frees by hand.
#pragma once

#include <cstddef>
#include <utility>

namespace kindling::gpu {

// Raw blocks from the caching allocator of the current device; throw kindling::error when no
// device is there or the device is out of memory (after releasing the cache and retrying).
void* device_allocate(std::size_t bytes);
void device_deallocate(void* data, std::size_t bytes) noexcept;

// Synchronous copies of contiguous bytes.
void copy_host_to_device(void* device_dst, const void* host_src, std::size_t bytes);
void copy_device_to_host(void* host_dst, const void* device_src, std::size_t bytes);
void copy_device_to_device(void* device_dst, const void* device_src, std::size_t bytes);

class DeviceBuffer {
 public:
  DeviceBuffer() noexcept = default;
  explicit DeviceBuffer(std::size_t bytes)
      : data_(bytes ? device_allocate(bytes) : nullptr), bytes_(bytes) {}
  ~DeviceBuffer() { reset(); }
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
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
  void reset() noexcept {
    if (data_) device_deallocate(data_, bytes_);
    data_ = nullptr;
    bytes_ = 0;
  }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace kindling::gpu
