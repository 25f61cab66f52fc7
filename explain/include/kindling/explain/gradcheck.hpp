// Gradcheck for scalar graphs, and the graph coloured by it: every node's gradient (as a backward
// pass left it) against a central difference of the root with respect to that node, so that a
// wrong backward formula shows up as the place where the colours turn from green to red.
//
//   kindling::Value out = ...;
//   out.backward();                                    // from zero leaf grads
//   auto report = kindling::gradcheck(out);
//   kindling::engine::write_text_file("check.dot", kindling::gradcheck_dot(out, report));
//
// The finite difference nudges one node's data by +-h and recomputes the nodes after it with the
// op table's forward (forward_value in value.hpp, the functions the ops themselves compute with;
// no graph is built), then restores every value; it costs one forward per node, O(nodes^2) for
// the whole graph, which suits the small graphs one draws.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kindling/engine/value.hpp"
#include "kindling/explain/dot.hpp"

namespace kindling {

struct NodeGradcheck {
  Value node;
  double analytic = 0.0;        // the node's grad
  double numeric = 0.0;         // (root(x + h) - root(x - h)) / 2h
  double relative_error = 0.0;  // |analytic - numeric| / max(|analytic|, |numeric|, 1e-8)
};

struct GradcheckReport {
  std::vector<NodeGradcheck> nodes;  // in topological order (the DOT ids n0, n1, ...)
  double max_relative_error = 0.0;
  double step = 0.0;
};

// Relative errors below `good` colour a node green, below `suspect` yellow, and red above.
struct GradcheckThresholds {
  double good = 1e-6;
  double suspect = 1e-3;
};

// Checks the gradients currently stored in the graph of `root`: call it after one backward()
// (leaf grads accumulate, so zero them first when the graph has been through a pass before).
// Throws kindling::error when `step` is not positive.
GradcheckReport gradcheck(const Value& root, double step = 1e-6);

// The graph with each record filled by its node's relative error (green, yellow, red) and an
// external label with the finite difference and the error.
std::string gradcheck_dot(const Value& root, const GradcheckReport& report,
                          const engine::DotOptions& options = {},
                          const GradcheckThresholds& thresholds = {});

}  // namespace kindling
