// kindling's tensor library in one include: Tensor, creation, ops, gradcheck, xtensor interop.
#pragma once

#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/gradcheck.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"
#include "kindling/tensor/xtensor.hpp"
