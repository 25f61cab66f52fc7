// ProgressBar: what it draws, and plain lines when the stream is not a terminal.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "kindling/nn/progress.hpp"

namespace {
std::string read_all(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, file))
    text += buffer;
  return text;
}
}  // namespace

TEST_CASE("the bar shows the fraction done and the status", "[progress]") {
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink);
  kindling::nn::ProgressBar bar(100, "train", sink);
  const std::string half = bar.render(50, "loss 0.5");
  CHECK(half.rfind("train [###############...............] 50/100", 0) == 0);
  CHECK(half.find("loss 0.5") != std::string::npos);
  CHECK(bar.render(200, "").find("100/100") != std::string::npos);  // clamped
  std::fclose(sink);
}

TEST_CASE("not a terminal: one plain line per tenth, no carriage returns", "[progress]") {
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink);
  {
    kindling::nn::ProgressBar bar(50, "epoch", sink);
    CHECK_FALSE(bar.interactive());
    for (int i = 1; i <= 50; ++i)
      bar.update(i, "x");
  }
  const std::string text = read_all(sink);
  CHECK(text.find('\r') == std::string::npos);
  int lines = 0;
  for (char c : text)
    lines += c == '\n';
  CHECK(lines == 10);
  CHECK(text.find("50/50") != std::string::npos);
  std::fclose(sink);
}

TEST_CASE("a terminal: redrawn in place on one line", "[progress]") {
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink);
  {
    kindling::nn::ProgressBar bar(3, "t", sink);
    bar.set_interactive(true);
    for (int i = 1; i <= 3; ++i)
      bar.update(i);
  }
  const std::string text = read_all(sink);
  int returns = 0, newlines = 0;
  for (char c : text) {
    returns += c == '\r';
    newlines += c == '\n';
  }
  CHECK(returns == 3);
  CHECK(newlines == 1);
  std::fclose(sink);
}
