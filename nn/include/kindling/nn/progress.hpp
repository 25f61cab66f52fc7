// Progress display for training loops: a one-line bar redrawn in place on a terminal, plain
// lines (one every tenth of the run) when the output is a file or a pipe, so logs stay readable.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace kindling::nn {

/// A progress display for a loop of `total` steps, as tqdm: on a terminal, a one-line bar
/// redrawn in place ("title [######......] 120/469   3.2s  loss 0.31"); on a file or a pipe,
/// plain lines, one every tenth of the run and one at the end, so logs stay readable.
/// @code
/// kindling::nn::ProgressBar bar(loader.size(), "epoch 1");
/// std::size_t done = 0;
/// for (const kindling::nn::Batch& batch : loader) {
///   // ... train on the batch ...
///   bar.update(++done, "loss 0.31");
/// }
/// bar.finish();
/// @endcode
class ProgressBar {
 public:
  /// `total` steps (0 counts as 1); `title` starts the line. Writes to `stream` (stderr by
  /// default); the mode is chosen by whether that stream is a terminal, or forced with
  /// set_interactive(). The clock for the elapsed time starts now.
  ProgressBar(std::size_t total, std::string title, std::FILE* stream = stderr);
  /// Calls finish().
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Records that `done` steps are complete (more than total counts as total), with a short
  /// status such as "loss 0.31 acc 92%", and draws; nothing once finished.
  void update(std::size_t done, const std::string& status = {});
  /// Ends the bar's line (called by the destructor if not before); later updates draw nothing.
  void finish();
  /// Forces the terminal form (true) or plain lines (false).
  void set_interactive(bool interactive) noexcept { interactive_ = interactive; }
  /// True when drawing the terminal form.
  bool interactive() const noexcept { return interactive_; }
  /// The text of the line for `done` steps, without the carriage return: what update() draws.
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
