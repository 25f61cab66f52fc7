// The HTML player: the page's structure, and the page driven in headless Chromium (Debian's
// `chromium`): it loads from file://, the buttons move between frames, and a screenshot is taken.
// Without Graphviz or Chromium the browser test says SKIPPED and returns.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "dot_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/html_player.hpp"
#include "kindling/explain/value_stepper.hpp"

namespace fs = std::filesystem;
using kindling::engine::PlayerFrame;

namespace {

// The opening tag of the element with id `id` in `html` ("<div class=... id=... hidden>").
std::string opening_tag(const std::string& html, const std::string& id) {
  const std::size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const std::size_t start = html.rfind('<', at);
  return html.substr(start, html.find('>', at) - start + 1);
}

// The frame index the page says it shows (<body data-frame="i">), or -1.
int shown_frame(const std::string& html) {
  const std::size_t body = html.find("<body");
  if (body == std::string::npos) return -1;
  const std::size_t at = html.find("data-frame=\"", body);
  if (at == std::string::npos) return -1;
  return std::atoi(html.c_str() + at + 12);
}

// Steps through the neuron of the issue and renders every frame with Graphviz.
std::vector<PlayerFrame> neuron_frames() {
  kindling::ExpressionVariables vars;
  for (const auto& [name, value] : std::initializer_list<std::pair<const char*, double>>{
           {"x1", 2.0}, {"x2", 0.0}, {"w1", -3.0}, {"w2", 1.0}, {"b", 6.8813735870195432}})
    vars.emplace(name, kindling::Value(value, name));
  kindling::Value out = kindling::parse_expression("tanh(x1*w1 + x2*w2 + b)", vars);
  out.set_label("out");
  kindling::ValueStepper stepper(out);
  std::vector<PlayerFrame> frames;
  for (std::size_t i = 0;; ++i) {
    if (i > 0) stepper.step();
    frames.push_back(
        {dot_test::render_svg(stepper.frame_dot(), "player_frame_" + std::to_string(i)),
         stepper.state_text()});
    if (stepper.done()) break;
  }
  return frames;
}

#ifdef KINDLING_CHROMIUM_PROGRAM
// Runs headless Chromium on `url` with extra flags (no shell: kindling_cli::run_program);
// returns its exit status. Root in a container needs --no-sandbox; a private profile keeps runs
// independent; `timeout` bounds a hung browser. Its stdout goes to `stdout_file`, its stderr to
// `stdout_file`.log.
int chromium(const std::vector<std::string>& flags, const std::string& url,
             const std::string& stdout_file) {
  std::vector<std::string> argv = {"timeout",
                                   "120",
                                   KINDLING_CHROMIUM_PROGRAM,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-background-networking",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--user-data-dir=" + dot_test::output_path("chromium-profile")};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(url);
  kindling_cli::SpawnOptions options;
  options.stdout_path = stdout_file;
  options.stderr_path = stdout_file + ".log";
  return kindling_cli::run_program(std::move(argv), options).exit_code;
}
#endif

}  // namespace

TEST_CASE("the player page inlines every frame and its text", "[player]") {
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"x\" \"y\">\n<!-- Generated -->\n"
      "<svg width=\"10pt\"><g id=\"graph0\"></g></svg>\n";
  const std::string html = kindling::engine::html_player(
      {{svg, "start <here> & \"there\""}, {svg, "step 1"}, {svg, "step 2"}}, "a < b", "legend");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<?xml") == std::string::npos);  // the SVG prolog is dropped
  CHECK(html.find("<!-- Generated") == std::string::npos);
  CHECK(html.find("<title>a &lt; b</title>") != std::string::npos);
  CHECK(html.find("start &lt;here&gt; &amp; &quot;there&quot;") != std::string::npos);
  CHECK(html.find("data-frames=\"3\"") != std::string::npos);
  CHECK(opening_tag(html, "kp-frame-0").find("hidden") == std::string::npos);
  CHECK(opening_tag(html, "kp-frame-2").find("hidden") != std::string::npos);
  CHECK(opening_tag(html, "kp-text-1").find("hidden") != std::string::npos);
  for (const char* button : {"kp-first", "kp-prev", "kp-play", "kp-next", "kp-last"})
    CHECK_FALSE(opening_tag(html, button).empty());
  CHECK(html.find("src=") == std::string::npos);  // self-contained: nothing loaded from outside
  CHECK(html.find("href=") == std::string::npos);
  CHECK_THROWS_AS(kindling::engine::html_player({}, "empty"), kindling::error);
  CHECK_THROWS_AS(kindling::engine::html_player({{"<p>not svg</p>", ""}}, "bad"), kindling::error);
}

TEST_CASE("the player works in headless Chromium", "[player][chromium]") {
#ifndef KINDLING_CHROMIUM_PROGRAM
  WARN("SKIPPED: chromium is not installed (apt-get install chromium); player not driven");
  return;
#else
  if (!fs::exists(KINDLING_CHROMIUM_PROGRAM) || !dot_test::have_dot()) {
    WARN("SKIPPED: needs chromium (" << KINDLING_CHROMIUM_PROGRAM << ") and Graphviz's dot");
    return;
  }
  const std::vector<PlayerFrame> frames = neuron_frames();
  REQUIRE(frames.size() == 6);  // the start and five steps
  const std::string page = dot_test::output_path("player.html");
  kindling::engine::write_text_file(page, kindling::engine::html_player(frames, "neuron"));
  const std::string url = "file://" + fs::absolute(page).string();

  // The DOM after the clicks: which frame is shown, and that only that frame is visible.
  auto after_clicks = [&](const std::string& clicks) {
    const std::string dump = dot_test::output_path("player_dom_" + clicks + ".html");
    const int status =
        chromium({"--virtual-time-budget=4000", "--dump-dom"}, url + "?clicks=" + clicks, dump);
    INFO("chromium said: " << dot_test::read_text(dump + ".log"));
    REQUIRE(status == 0);
    return dot_test::read_text(dump);
  };

  const std::string loaded = after_clicks("none");
  CHECK(shown_frame(loaded) == 0);
  CHECK(loaded.find("<svg") != std::string::npos);

  const std::string moved = after_clicks("next,next,next,prev");
  CHECK(shown_frame(moved) == 2);
  CHECK(opening_tag(moved, "kp-frame-2").find("hidden") == std::string::npos);
  CHECK(opening_tag(moved, "kp-frame-0").find("hidden") != std::string::npos);
  CHECK(opening_tag(moved, "kp-text-2").find("hidden") == std::string::npos);
  CHECK(opening_tag(moved, "kp-text-1").find("hidden") != std::string::npos);

  CHECK(shown_frame(after_clicks("last,prev")) == 4);
  CHECK(shown_frame(after_clicks("prev,first")) == 0);  // prev at the start stays at 0
  // Play advances one frame a second (virtual time: 4 s budget) and stops at the end.
  const int played = shown_frame(after_clicks("play"));
  CHECK(played >= 2);
  CHECK(played <= 5);

  // Screenshots of two different frames: both real PNGs, and different pictures.
  auto screenshot = [&](const std::string& clicks) {
    const std::string png = dot_test::output_path("player_" + clicks + ".png");
    fs::remove(png);
    const int status = chromium({"--window-size=1400,700", "--screenshot=" + png},
                                url + "?clicks=" + clicks, png + ".out");
    INFO("chromium said: " << dot_test::read_text(png + ".out.log"));
    REQUIRE(status == 0);
    REQUIRE(fs::exists(png));
    return dot_test::read_text(png);
  };
  const std::string first = screenshot("none");
  const std::string third = screenshot("next,next,next");
  CHECK(first.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  CHECK(third.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  CHECK(first.size() > 5000);
  CHECK(first != third);
#endif
}
