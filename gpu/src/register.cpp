// The CUDA KernelTable and its registration (Note [gpu registration] in kindling/gpu/cuda.hpp),
// generated from the table's list (Note [kernel table] in kindling/tensor/kernels.hpp).
#include "kernels/launchers.hpp"
#include "kindling/gpu/cuda.hpp"
#include "kindling/tensor/kernels.hpp"

namespace kindling::gpu {

namespace {

// The entries CUDA does not have yet, as X(name): they stay null in the table, so calling one
// throws "cuda has no kernel for <name>" and supports() answers false for it. Every other entry
// must have a definition in this library (the link fails otherwise).
#define KINDLING_CUDA_MISSING(X)

constexpr bool cuda_lacks(kernels::Kernel kernel) noexcept {
#define KINDLING_X(name) \
  if (kernel == kernels::Kernel::name) return true;
  KINDLING_CUDA_MISSING(KINDLING_X)
#undef KINDLING_X
  (void)kernel;
  return false;
}

const kernels::KernelTable& cuda_table() {
  static const kernels::KernelTable table = [] {
    kernels::KernelTable t;
    // A discarded `if constexpr` branch does not need its function defined ([stmt.if]).
#define KINDLING_X(name, kind, ret, params) \
  if constexpr (!cuda_lacks(kernels::Kernel::name)) t.name = static_cast<decltype(t.name)>(&name);
    KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
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
