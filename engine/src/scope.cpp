// The checks before a name scope opens (Note [scope depth limit] in scope.hpp): the depth limit,
// and the room left on the thread's stack, read once per thread from its pthread attributes.
#include "kindling/engine/scope.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdint>

namespace kindling::engine::detail {

namespace {

// The thread's stack: its lowest address and its size; {0, 0} where the platform does not say.
struct StackBounds {
  std::uintptr_t low = 0;
  std::size_t size = 0;
};

StackBounds query_stack_bounds() noexcept {
#if defined(__GLIBC__)
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) != 0) return {};
  void* low = nullptr;
  std::size_t size = 0;
  const bool known = pthread_attr_getstack(&attributes, &low, &size) == 0;
  pthread_attr_destroy(&attributes);
  if (!known) return {};
  return {reinterpret_cast<std::uintptr_t>(low), size};
#else
  return {};
#endif
}

constexpr std::size_t kMaxStackReserve = std::size_t{1} << 20;

}  // namespace

void check_scope_room(std::size_t depth, const std::string& name) {
  KINDLING_CHECK(depth <= kMaxScopeDepth, "NameScope: module nesting deeper than ", kMaxScopeDepth,
                 " (opening '", name, "'); a forward this deep would overflow the stack");
  thread_local const StackBounds stack = query_stack_bounds();
  if (stack.low == 0) return;
  // The frame address, not a local's: under AddressSanitizer locals may live on a fake stack.
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  const std::size_t reserve = std::min(kMaxStackReserve, stack.size / 4);
  const std::size_t left = here > stack.low ? here - stack.low : 0;
  KINDLING_CHECK(left >= reserve, "NameScope: module nesting ", depth, " deep (opening '", name,
                 "') has nearly used up this thread's stack (", left, " of ", stack.size,
                 " bytes left); a deeper forward would overflow it");
}

}  // namespace kindling::engine::detail
