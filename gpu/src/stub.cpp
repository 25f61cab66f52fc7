// kindling::gpu in a build without CUDA: the same API, reporting no devices. Asking for device
// memory throws kindling::error saying CUDA support is absent; nothing aborts.
#include "kindling/engine/error.hpp"
#include "kindling/gpu/cuda.hpp"
#include "kindling/gpu/memory.hpp"

namespace kindling::gpu {

namespace {
constexpr const char* kReason = "kindling was built without CUDA (no nvcc at configure time)";

[[noreturn]] void unsupported(const char* what) {
  detail::throw_error(what, ": ", kReason);
}
}  // namespace

bool built_with_cuda() noexcept {
  return false;
}
bool is_available() noexcept {
  return false;
}
int device_count() noexcept {
  return 0;
}
std::string unavailable_reason() {
  return kReason;
}
void set_device(int) {
  unsupported("set_device");
}
int current_device() {
  unsupported("current_device");
}
void synchronize() {}
void init() noexcept {}
std::uint64_t launch_count() noexcept {
  return 0;
}
MemoryStats memory_stats() {
  return {};
}
std::size_t release_cached_memory() {
  return 0;
}

void* device_allocate(int, std::size_t) {
  unsupported("cuda allocate");
}
void device_deallocate(int, void*, std::size_t) noexcept {}
void copy_host_to_device(void*, const void*, std::size_t) {
  unsupported("copy to cuda");
}
void copy_device_to_host(void*, const void*, std::size_t) {
  unsupported("copy from cuda");
}
void copy_device_to_device(void*, const void*, std::size_t) {
  unsupported("copy within cuda");
}

}  // namespace kindling::gpu
