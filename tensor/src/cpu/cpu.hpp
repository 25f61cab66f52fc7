// The CPU kernel table's entries, declared from the table's list (Note [kernel table] in
// kindling/tensor/kernels.hpp) and defined across tensor/src/cpu/*.cpp: a missing definition
// fails to link.
#pragma once

#include "kindling/tensor/kernels.hpp"

namespace kindling::kernels::cpu {

#define KINDLING_X(name, kind, ret, params) ret name params;
KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X

}  // namespace kindling::kernels::cpu
