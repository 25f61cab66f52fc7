// The CUDA KernelTable and its registration (Note [gpu registration] in kindling/gpu/cuda.hpp).
#include <algorithm>

#include "kernels/launchers.hpp"
#include "kindling/gpu/cuda.hpp"
#include "kindling/gpu/memory.hpp"
#include "kindling/tensor/kernels.hpp"

namespace kindling::gpu {

namespace {

// The table promises a block for 0 bytes too (an empty tensor still has storage).
void* table_allocate(std::size_t bytes) {
  return device_allocate(std::max<std::size_t>(bytes, 1));
}
void table_deallocate(void* data, std::size_t bytes) {
  device_deallocate(data, std::max<std::size_t>(bytes, 1));
}

const kernels::KernelTable& cuda_table() {
  static const kernels::KernelTable table = [] {
    kernels::KernelTable t;
    t.allocate = &table_allocate;
    t.deallocate = &table_deallocate;
    t.copy_from_host = &copy_host_to_device;
    t.copy_to_host = &copy_device_to_host;
    t.copy = &copy;
    t.fill = &fill;
    t.unary = &unary;
    t.binary = &binary;
    t.where = &where;
    t.reduce = &reduce;
    t.matmul = &matmul;
    t.index_select = &index_select;
    t.index_add = &index_add;
    t.gather = &gather;
    t.scatter_add = &scatter_add;
    t.softmax = &softmax;
    t.softmax_backward = &softmax_backward;
    t.cross_entropy = &cross_entropy;
    t.cross_entropy_backward = &cross_entropy_backward;
    return t;
  }();
  return table;
}

// Registers before main() in every program that links this object (kindling::gpu is linked as a
// whole archive for that reason).
const bool g_registered = [] {
  init();
  return true;
}();

}  // namespace

void init() noexcept {
  kernels::register_kernels(DeviceType::cuda, &cuda_table());
}

}  // namespace kindling::gpu
