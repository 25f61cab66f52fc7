// CUDA status codes into kindling::error (Note [two error channels] in engine/error.hpp): the
// message names the call or kernel, the runtime's own text (cudaGetErrorName and
// cudaGetErrorString) and the file and line of the call site.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

namespace kindling::gpu::detail {

std::string cuda_error_message(cudaError_t status, const char* what, const char* file, int line);
// Throws kindling::error unless status is cudaSuccess.
void check_cuda(cudaError_t status, const char* what, const char* file, int line);
// After a kernel launch: counts it, and throws if the launch failed (bad configuration, no
// device). With KINDLING_CUDA_SYNC=1 in the environment it also waits for the kernel, so that
// an error inside it is reported at its own launch site rather than at a later call.
void check_launch(const char* kernel, const char* file, int line);

}  // namespace kindling::gpu::detail

#define KINDLING_CUDA_CHECK(expr) \
  ::kindling::gpu::detail::check_cuda((expr), #expr, __FILE__, __LINE__)
#define KINDLING_CUDA_CHECK_LAUNCH(kernel) \
  ::kindling::gpu::detail::check_launch(kernel, __FILE__, __LINE__)
