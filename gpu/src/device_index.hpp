// The check that a CUDA device index names a device that is there, shared by set_device and every
// table entry that takes a Device (allocate, copies, make_current). Host logic only, so that its
// error is tested without a GPU (tests/gpu/test_gpu_host.cpp), in builds with and without CUDA.
#pragma once

#include "kindling/engine/error.hpp"

namespace kindling::gpu::detail {

// Throws kindling::error unless 0 <= index < count, naming the caller, the device and the count:
// "cuda allocate: cuda:1 does not exist; there are 1 CUDA devices".
inline void check_device_index(const char* what, int index, int count) {
  KINDLING_CHECK(index >= 0 && index < count, what, ": cuda:", index, " does not exist; there are ",
                 count, " CUDA devices");
}

}  // namespace kindling::gpu::detail
