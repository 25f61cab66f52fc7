// Collective checkpoints (kindling/dist/checkpoint.hpp).
#include "kindling/dist/checkpoint.hpp"

#include <exception>
#include <vector>

#include "group.hpp"
#include "kindling/engine/error.hpp"

namespace kindling::dist {

namespace {

// Every rank's failure message ("" for success), gathered; throws on every rank when any failed.
void agree(const std::string& failure, const char* what) {
  const std::vector<std::string> all = detail::all_gather_bytes(failure, what);
  for (std::size_t r = 0; r < all.size(); ++r)
    KINDLING_CHECK(all[r].empty(), what, ": failed on rank ", r, ": ", all[r]);
}

std::string message_of(const std::exception& e) {
  const std::string text = e.what();
  return text.empty() ? std::string("unknown error") : text;
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::Checkpoint& checkpoint) {
  constexpr const char* what = "kindling::dist::save_checkpoint";
  const detail::Group& g = detail::group(what);
  std::string failure;
  if (g.rank == 0) {
    try {
      nn::save_checkpoint(path, checkpoint);
    } catch (const error& e) {
      failure = message_of(e);
    }
  }
  agree(failure, what);  // the others return once the file is complete
}

void load_checkpoint(const std::string& path, nn::Checkpoint& into) {
  constexpr const char* what = "kindling::dist::load_checkpoint";
  detail::group(what);
  std::string failure;
  try {
    nn::load_checkpoint(path, into);
  } catch (const error& e) {
    failure = message_of(e);
  }
  agree(failure, what);
}

}  // namespace kindling::dist
