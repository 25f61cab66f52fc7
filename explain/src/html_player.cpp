// The HTML player page (html_player.hpp): style, markup with the frames inlined, and the script.
#include "kindling/explain/html_player.hpp"

#include "kindling/engine/error.hpp"

namespace kindling::engine {

namespace {

constexpr std::string_view kStyle = R"(<style>
body { margin: 0; font-family: Helvetica, Arial, sans-serif; display: flex; flex-direction: column;
       height: 100vh; }
header { display: flex; gap: 6px; align-items: center; padding: 8px; border-bottom: 1px solid #ccc; }
header h1 { font-size: 15px; margin: 0 12px 0 0; font-family: monospace; }
main { display: flex; flex: 1; min-height: 0; }
#kp-picture { flex: 3; overflow: auto; padding: 8px; }
#kp-picture svg { max-width: 100%; height: auto; }
#kp-texts { flex: 1; min-width: 24em; overflow: auto; padding: 8px; border-left: 1px solid #ccc; }
#kp-notes { margin-top: 16px; color: #555; font-size: 12px; white-space: pre-wrap; }
#kp-texts pre { margin: 0; white-space: pre-wrap; font-size: 13px; }
#kp-counter { margin-left: 8px; font-variant-numeric: tabular-nums; }
</style>
)";

// Plain ES5, no library: shows one frame and its text, the rest hidden; see Note [player
// scripting].
constexpr std::string_view kScript = R"(<script>
(function () {
  var frames = document.querySelectorAll('#kp-picture > .kp-frame');
  var texts = document.querySelectorAll('#kp-texts > .kp-text');
  var button = function (id) { return document.getElementById('kp-' + id); };
  var current = 0, timer = null;
  function show(i) {
    i = Math.max(0, Math.min(frames.length - 1, i));
    frames[current].hidden = true; texts[current].hidden = true;
    current = i;
    frames[i].hidden = false; texts[i].hidden = false;
    document.body.setAttribute('data-frame', String(i));
    button('counter').textContent = 'step ' + i + ' / ' + (frames.length - 1);
    button('first').disabled = button('prev').disabled = (i === 0);
    button('last').disabled = button('next').disabled = (i === frames.length - 1);
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    button('play').textContent = 'play';
  }
  button('first').onclick = function () { stop(); show(0); };
  button('prev').onclick = function () { stop(); show(current - 1); };
  button('next').onclick = function () { stop(); show(current + 1); };
  button('last').onclick = function () { stop(); show(frames.length - 1); };
  button('play').onclick = function () {
    if (timer !== null) { stop(); return; }
    if (current === frames.length - 1) show(0);
    button('play').textContent = 'pause';
    timer = setInterval(function () {
      if (current >= frames.length - 1) { stop(); } else { show(current + 1); }
    }, 1000);
  };
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight') button('next').click();
    if (e.key === 'ArrowLeft') button('prev').click();
  });
  show(0);
  var clicks = new URLSearchParams(window.location.search).get('clicks');
  if (clicks) {
    clicks.split(',').forEach(function (id) { var b = button(id); if (b) b.click(); });
  }
})();
</script>
)";

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view svg_element(std::string_view svg) {
  const std::size_t start = svg.find("<svg");
  KINDLING_CHECK(start != std::string_view::npos,
                 "html_player: a frame's SVG has no <svg> element");
  return svg.substr(start);
}

std::string html_player(const std::vector<PlayerFrame>& frames, std::string_view title,
                        std::string_view notes) {
  KINDLING_CHECK(!frames.empty(), "html_player: no frames");
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  out.append(escape_html(title)).append("</title>\n").append(kStyle).append("</head>\n");
  out.append("<body data-frame=\"0\" data-frames=\"").append(std::to_string(frames.size()));
  out += "\">\n<header>\n<h1>";
  out.append(escape_html(title)).append("</h1>\n");
  out +=
      "<button id=\"kp-first\">&#x00AB; first</button>\n"
      "<button id=\"kp-prev\">&#x25C0; previous</button>\n"
      "<button id=\"kp-play\">play</button>\n"
      "<button id=\"kp-next\">next &#x25B6;</button>\n"
      "<button id=\"kp-last\">last &#x00BB;</button>\n"
      "<span id=\"kp-counter\"></span>\n</header>\n<main>\n<div id=\"kp-picture\">\n";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    out.append("<div class=\"kp-frame\" id=\"kp-frame-").append(std::to_string(i)).append("\"");
    if (i > 0) out += " hidden";
    out.append(">\n").append(svg_element(frames[i].svg)).append("\n</div>\n");
  }
  out += "</div>\n<div id=\"kp-texts\">\n";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    out.append("<pre class=\"kp-text\" id=\"kp-text-").append(std::to_string(i)).append("\"");
    if (i > 0) out += " hidden";
    out.append(">").append(escape_html(frames[i].text)).append("</pre>\n");
  }
  if (!notes.empty())
    out.append("<div id=\"kp-notes\">").append(escape_html(notes)).append("</div>\n");
  out.append("</div>\n</main>\n").append(kScript).append("</body>\n</html>\n");
  return out;
}

}  // namespace kindling::engine
