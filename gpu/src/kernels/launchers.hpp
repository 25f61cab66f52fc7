// The host launchers of the CUDA kernels: each sizes a grid for its `x_kernel`, launches it on the
// default stream of the current device and checks the launch. Their signatures are those of the
// KernelTable entries (kindling/tensor/kernels.hpp), whose CPU versions in tensor/src/cpu/ are
// their CPU twins. Plain C++ here, so register.cpp and runtime.cpp need no nvcc.
#pragma once

#include <cstdint>

#include "kindling/tensor/kernels.hpp"

namespace kindling::gpu {

using kernels::AdamHyper;
using kernels::AdamTensors;
using kernels::BinaryKernel;
using kernels::ConvGeometry;
using kernels::ReduceKernel;
using kernels::RmspropHyper;
using kernels::SgdHyper;
using kernels::StridedView;
using kernels::UnaryKernel;

// Every KernelTable entry, declared from the table's list (Note [kernel table] in
// kindling/tensor/kernels.hpp): the memory entries are in runtime.cpp, the launchers in
// elementwise.cu (copy, fill, unary, binary, where), reduce.cu, gemm.cu (matmul), index.cu
// (index_select, index_add, gather, scatter_add), softmax.cu (softmax, cross_entropy and their
// backwards), conv.cu (im2col, col2im, max_pool2d and its backward) and optim.cu (the fused
// optimizer steps). An entry CUDA lacks is on KINDLING_CUDA_MISSING in register.cpp and has no
// definition; any other without one fails to link.
#define KINDLING_X(name, kind, ret, params) ret name params;
KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X

// Throws (and clears) the first index or target error a kernel recorded on the current device
// (Note [deferred index errors] in common.cuh).
void check_deferred_errors();
}  // namespace kindling::gpu
