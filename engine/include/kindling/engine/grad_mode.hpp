// Grad mode: a thread-local switch that says whether new operations record a graph, and the RAII
// guards that flip it (no_grad, enable_grad), as in PyTorch.
#pragma once

namespace kindling {

namespace detail {
// Inline so that the check every op makes costs a thread-local load, not a call.
inline thread_local bool grad_enabled = true;
inline thread_local bool anomaly_enabled = false;
// Whether a Value dual level is alive on this thread (forward mode, engine/value_forward_ad.hpp).
inline thread_local bool value_forward_mode = false;
// anomaly_enabled || value_forward_mode: what sends a scalar op off its fast path, so that the op
// tests both with one load. backward()'s loop reads anomaly_enabled itself, as before.
inline thread_local bool scalar_op_checks = false;
inline void update_scalar_op_checks() noexcept {
  scalar_op_checks = anomaly_enabled || value_forward_mode;
}
}  // namespace detail

/// True when operations on this thread record the graph needed for backward() (on by default).
/// torch.is_grad_enabled().
inline bool is_grad_enabled() noexcept {
  return detail::grad_enabled;
}
/// Turns graph recording on this thread on or off until it is set again; prefer the guards
/// no_grad and enable_grad, which restore the previous mode. torch.set_grad_enabled().
inline void set_grad_enabled(bool enabled) noexcept {
  detail::grad_enabled = enabled;
}

/// Turns graph recording off for its lifetime on this thread and restores the previous mode after,
/// so guards nest: torch.no_grad(). An op's result made inside is a leaf (a Value) or a tensor
/// that does not require grad; evaluation and optimizer updates run this way.
/// @code
/// kindling::Value w(0.5, "w");
/// {
///   const kindling::no_grad guard;
///   kindling::Value y = w * 2.0;  // y.op() == kindling::ValueOp::leaf: no graph recorded
/// }
/// kindling::Value z = w * 2.0;  // recorded again
/// @endcode
class no_grad {
 public:
  /// Turns recording off, remembering the mode it was in.
  no_grad() noexcept : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  /// Restores the mode the guard found.
  ~no_grad() { set_grad_enabled(previous_); }
  no_grad(const no_grad&) = delete;
  no_grad& operator=(const no_grad&) = delete;

 private:
  bool previous_;
};

/// The inverse of no_grad: records the graph inside a no_grad region, and restores the previous
/// mode after. torch.enable_grad().
/// @code
/// const kindling::no_grad off;
/// {
///   const kindling::enable_grad on;
///   // ops here record their graph
/// }
/// @endcode
class enable_grad {
 public:
  /// Turns recording on, remembering the mode it was in.
  enable_grad() noexcept : previous_(is_grad_enabled()) { set_grad_enabled(true); }
  /// Restores the mode the guard found.
  ~enable_grad() { set_grad_enabled(previous_); }
  enable_grad(const enable_grad&) = delete;
  enable_grad& operator=(const enable_grad&) = delete;

 private:
  bool previous_;
};

/// Whether anomaly mode is on on this thread. When on (thread-local, off by default), every
/// scalar and tensor op checks that what it produced is finite and throws kindling::error naming
/// the op that produced the first NaN or Inf, forward or backward. Off, NaN and Inf propagate as
/// IEEE 754 says. torch.is_anomaly_enabled().
inline bool is_anomaly_enabled() noexcept {
  return detail::anomaly_enabled;
}
/// Turns anomaly mode on this thread on or off until it is set again; prefer the guard
/// detect_anomaly. torch.autograd.set_detect_anomaly().
inline void set_anomaly_enabled(bool enabled) noexcept {
  detail::anomaly_enabled = enabled;
  detail::update_scalar_op_checks();
}

/// Sets anomaly mode (is_anomaly_enabled()) on this thread for its lifetime, and restores the
/// previous mode after: torch.autograd.detect_anomaly(). Unlike PyTorch's, it does not record a
/// traceback of where each node was made: the error names the op and its inputs.
/// @code
/// const kindling::detect_anomaly guard;
/// kindling::Value x(0.0, "x");
/// try {
///   kindling::Value y = x.log();
/// } catch (const kindling::error& e) {
///   std::cout << e.what() << "\n";  // log: result is -inf for input a = 0 ...
/// }
/// @endcode
class detect_anomaly {
 public:
  /// On by default; detect_anomaly(false) turns it off, as the library's own checks do while
  /// they run ops of their own.
  explicit detect_anomaly(bool enabled = true) noexcept : previous_(is_anomaly_enabled()) {
    set_anomaly_enabled(enabled);
  }
  /// Restores the mode the guard found.
  ~detect_anomaly() { set_anomaly_enabled(previous_); }
  detect_anomaly(const detect_anomaly&) = delete;
  detect_anomaly& operator=(const detect_anomaly&) = delete;

 private:
  bool previous_;
};

}  // namespace kindling
