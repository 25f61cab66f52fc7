// kindling's explaining tools in one include (kindling::explain): the DOT writer and to_dot for
// Value and Tensor graphs, the DOT style of tensor graphs, the backward stepper with its scalar and
// tensor front ends, the expression parser, the HTML player and both gradchecks.
#pragma once

#include "kindling/explain/dot.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/gradcheck.hpp"
#include "kindling/explain/html_player.hpp"
#include "kindling/explain/stepper.hpp"
#include "kindling/explain/tensor_dot.hpp"
#include "kindling/explain/tensor_gradcheck.hpp"
#include "kindling/explain/tensor_graph_style.hpp"
#include "kindling/explain/tensor_stepper.hpp"
#include "kindling/explain/value_stepper.hpp"
