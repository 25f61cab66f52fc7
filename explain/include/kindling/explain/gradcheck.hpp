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

/// One node's gradient against its finite difference.
struct NodeGradcheck {
  Value node;             ///< The node checked.
  double analytic = 0.0;  ///< The node's grad, as the backward pass left it.
  double numeric = 0.0;   ///< `(root(x + h) - root(x - h)) / 2h`, h the report's step.
  /// `|analytic - numeric| / max(|analytic|, |numeric|, 1e-8)`; infinity where that is NaN.
  double relative_error = 0.0;
};

/// What gradcheck() found, node by node.
struct GradcheckReport {
  std::vector<NodeGradcheck> nodes;  ///< In topological order (the DOT ids n0, n1, ...).
  double max_relative_error = 0.0;   ///< The largest relative_error of `nodes`.
  double step = 0.0;                 ///< The finite-difference step h used.
};

/// Relative errors below `good` colour a node green, below `suspect` yellow, and red above.
struct GradcheckThresholds {
  double good = 1e-6;     ///< Below this: green.
  double suspect = 1e-3;  ///< Below this (and not below `good`): yellow; red from here up.
};

/// Checks the gradients currently stored in the graph of `root` against central differences of
/// the root with respect to every node, leaves and interior nodes alike: call it after one
/// backward() (leaf grads accumulate, so zero them first when the graph has been through a pass
/// before). Every node's data is restored afterwards, also when a recompute throws.
/// @param root the output; its graph is recomputed by the op table's forward, no graph is built.
/// @param step the finite-difference step h.
/// @throws kindling::error when `step` is not positive and finite.
/// @code
/// kindling::Value x(0.5, "x");
/// kindling::Value out = (x * x).tanh();
/// out.backward();
/// const kindling::GradcheckReport report = kindling::gradcheck(out);
/// // report.max_relative_error is about 1e-12: the backward formulas agree
/// kindling::engine::write_text_file("check.dot", kindling::gradcheck_dot(out, report));
/// @endcode
GradcheckReport gradcheck(const Value& root, double step = 1e-6);

/// The graph with each record filled by its node's relative error (green, yellow, red, as
/// `thresholds` say) and an external label with the finite difference and the error
/// (`fd 0.9400, err 1.3e-12`).
/// @param root the root `report` was made for.
/// @param report what gradcheck(root) returned.
/// @param options the layout.
/// @param thresholds where green turns yellow and yellow turns red.
/// @throws kindling::error when a node of the graph has no entry in `report` (a report made for
///   another graph).
std::string gradcheck_dot(const Value& root, const GradcheckReport& report,
                          const engine::DotOptions& options = {},
                          const GradcheckThresholds& thresholds = {});

}  // namespace kindling
