// kindling::error and KINDLING_CHECK: the one channel for user mistakes.
//
// Note [two error channels]
// A user mistake (mismatched shapes, a malformed file, log of a tensor on the wrong device) throws
// kindling::error with a message that names the operation and the offending shapes, values or file
// offset. Broken internal invariants are bugs in kindling and are guarded by assert(). The library
// never calls exit() or abort() on its own.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace kindling {

/// What the library throws for a user mistake (Note [two error channels]): mismatched shapes, a
/// malformed file, a call in the wrong state. what() names the operation first ("matmul: ..."),
/// then the offending shapes, values or file offset. Python's bindings raise it as
/// kindling.Error, a subclass of ValueError, with the same message.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
[[noreturn]] void throw_error(Parts&&... parts) {
  std::ostringstream message;
  (message << ... << std::forward<Parts>(parts));
  throw error(message.str());
}
}  // namespace detail

}  // namespace kindling

/// KINDLING_CHECK(cond, parts...): throws kindling::error built from `parts` (streamed together)
/// when `cond` is false. The message should name the op first: "matmul: (3,4) x (5,6): ...".
#define KINDLING_CHECK(cond, ...)                   \
  do {                                              \
    if (!(cond)) [[unlikely]]                       \
      ::kindling::detail::throw_error(__VA_ARGS__); \
  } while (false)
