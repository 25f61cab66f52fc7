// Thread-local state behind grad mode and anomaly mode.
#include "kindling/engine/grad_mode.hpp"

namespace kindling {
namespace {
thread_local bool grad_enabled = true;
thread_local bool anomaly_check_enabled = false;
}  // namespace

bool is_grad_enabled() noexcept {
  return grad_enabled;
}
void set_grad_enabled(bool enabled) noexcept {
  grad_enabled = enabled;
}
bool is_anomaly_check_enabled() noexcept {
  return anomaly_check_enabled;
}
void set_anomaly_check_enabled(bool enabled) noexcept {
  anomaly_check_enabled = enabled;
}

}  // namespace kindling
