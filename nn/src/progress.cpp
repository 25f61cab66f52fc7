// ProgressBar: terminal bar or plain lines.
#include "kindling/nn/progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace kindling::nn {

ProgressBar::ProgressBar(std::size_t total, std::string title, std::FILE* stream)
    : total_(std::max<std::size_t>(total, 1)),
      title_(std::move(title)),
      stream_(stream),
      interactive_(isatty(fileno(stream)) != 0),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  finish();
}

std::string ProgressBar::render(std::size_t done, const std::string& status) const {
  constexpr std::size_t kWidth = 30;
  done = std::min(done, total_);
  const std::size_t filled = done * kWidth / total_;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char counts[96];
  std::snprintf(counts, sizeof counts, "] %zu/%zu %5.1fs", done, total_, seconds);
  std::string line =
      title_ + " [" + std::string(filled, '#') + std::string(kWidth - filled, '.') + counts;
  if (!status.empty()) line += "  " + status;
  return line;
}

void ProgressBar::update(std::size_t done, const std::string& status) {
  if (finished_) return;
  if (interactive_) {
    // \r back to the start, \033[K clears what a longer previous line left behind.
    std::fprintf(stream_, "\r%s\033[K", render(done, status).c_str());
  } else {
    // One line per tenth of the run, plus the last step.
    const std::size_t decile = std::min(done, total_) * 10 / total_;
    if (decile == last_plain_decile_ && done < total_) return;
    last_plain_decile_ = decile;
    std::fprintf(stream_, "%s\n", render(done, status).c_str());
  }
  std::fflush(stream_);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  if (interactive_) std::fputc('\n', stream_);
  std::fflush(stream_);
}

}  // namespace kindling::nn
