// Progress display for training loops: a one-line bar redrawn in place on a terminal, plain
// lines (one every tenth of the run) when the output is a file or a pipe, so logs stay readable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace kindling::nn {

class ProgressBar {
 public:
  // `total` steps; `title` starts the line. Writes to `stream` (stderr by default); the mode is
  // chosen by whether that stream is a terminal, or forced with set_interactive().
  ProgressBar(std::size_t total, std::string title, std::FILE* stream = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Records that `done` steps are complete, with a short status such as "loss 0.31 acc 92%".
  void update(std::size_t done, const std::string& status = {});
  // Ends the bar's line (called by the destructor if not before).
  void finish();
  void set_interactive(bool interactive) noexcept { interactive_ = interactive; }
  bool interactive() const noexcept { return interactive_; }
  // The text of the line for `done` steps, without the carriage return: what update() draws.
  std::string render(std::size_t done, const std::string& status) const;

 private:
  std::size_t total_;
  std::string title_;
  std::FILE* stream_;
  bool interactive_;
  bool finished_ = false;
  std::size_t last_plain_decile_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kindling::nn
