// Test seams for the autograd engine's own checks; nothing a program needs.
//
//   const kindling::testing::ReplaceBackward wrong(kindling::TensorOp::mul,
//       [](const Tensor& g, const std::vector<Tensor>&) {
//         return std::vector<Tensor>{g, kindling::sum(g, {0})};
//       });
//   kindling::sum(a * b).backward();  // throws: mul's gradient for input 1 has the wrong shape
//
// The engine checks every gradient a backward step gives (Note [gradient contract] in
// tensor/src/tensor.cpp), but the ops' own backwards are correct, so only a deliberately wrong one
// can show that the check runs. ReplaceBackward installs one for one op, on this thread, for its
// lifetime; its contributions go through the same checks as an op's own.
#pragma once

#include <functional>
#include <vector>

#include "kindling/tensor/op_list.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::testing {

/// Installs `backward` in place of op's own backward on this thread, for its lifetime (see the
/// file comment); they nest, the innermost winning.
/// @code
/// using kindling::Tensor;
/// const Tensor a = kindling::ones({2, 3}).set_requires_grad();
/// const Tensor b = kindling::ones({2, 3}).set_requires_grad();
/// const kindling::testing::ReplaceBackward wrong(
///     kindling::TensorOp::mul, [](const Tensor& g, const std::vector<Tensor>&) {
///       return std::vector<Tensor>{g, kindling::sum(g, {0})};  // (3) for a (2, 3) input
///     });
/// try {
///   kindling::sum(a * b).backward();
/// } catch (const kindling::error& e) {
///   std::cout << e.what() << "\n";  // ... the gradient for input 1 has shape (3) ...
/// }
/// @endcode
class ReplaceBackward {
 public:
  /// Gets the node's upstream gradient and its inputs; returns one contribution per input (an
  /// undefined Tensor gives that input nothing). Inputs that do not require grad are skipped.
  using Backward =
      std::function<std::vector<Tensor>(const Tensor& grad, const std::vector<Tensor>& inputs)>;

  /// Replaces op's backward on this thread until destroyed.
  ReplaceBackward(TensorOp op, Backward backward);
  /// Restores the replacement (or the op's own backward) that was active before.
  ~ReplaceBackward();
  ReplaceBackward(const ReplaceBackward&) = delete;
  ReplaceBackward& operator=(const ReplaceBackward&) = delete;

  /// The op whose backward this replaces.
  TensorOp op() const noexcept { return op_; }
  /// The replacement.
  const Backward& backward() const noexcept { return backward_; }
  /// The replacement active on this thread before this one (null for none).
  const ReplaceBackward* previous() const noexcept { return previous_; }

 private:
  TensorOp op_;
  Backward backward_;
  const ReplaceBackward* previous_;  // the one this replaces on this thread, restored at the end
};

}  // namespace kindling::testing
