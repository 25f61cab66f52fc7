// kindling::dist in one include: the process group and its collectives on tensors, and
// data-parallel training with DistributedDataParallel and DistributedSampler. Programs using it
// run under mpirun (docs/distributed.md).
#pragma once

#include "kindling/dist/checkpoint.hpp"
#include "kindling/dist/ddp.hpp"
#include "kindling/dist/process_group.hpp"
#include "kindling/dist/sampler.hpp"
