// kindling's tensor library in one include: Tensor, creation, ops. The explaining tools (to_dot,
// TensorStepper, gradcheck) are kindling::explain's: kindling/explain.hpp. The xtensor interop
// (kindling/tensor/xtensor.hpp) is not in it: it needs xtensor, and the kindling::xtensor_interop
// target that brings it.
#pragma once

#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/autograd.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"
#include "kindling/tensor/threads.hpp"
