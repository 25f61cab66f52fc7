// kindling's nn library in one include: modules and layers, initialisers, losses, optimizers and
// schedulers, data sets and readers, metrics, safetensors and checkpoints; with the tensor library
// (kindling/tensor.hpp) and the explaining tools that draw and step its graphs
// (kindling/explain.hpp: to_dot, tensor_graph_style, the steppers, gradcheck).
#pragma once

#include "kindling/explain.hpp"
#include "kindling/nn/checkpoint.hpp"
#include "kindling/nn/conv.hpp"
#include "kindling/nn/data.hpp"
#include "kindling/nn/functional.hpp"
#include "kindling/nn/init.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/metrics.hpp"
#include "kindling/nn/module.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/progress.hpp"
#include "kindling/nn/readers.hpp"
#include "kindling/nn/safetensors.hpp"
#include "kindling/nn/scheduler.hpp"
#include "kindling/nn/state_dict.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor.hpp"
