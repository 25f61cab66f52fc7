// The HTML player for stepped graphs: one self-contained page (no network, no external file) with
// the SVG frames inlined, next / previous / play buttons and each frame's text beside the picture.
//
// The SVG comes from Graphviz (the caller renders each frame's DOT with `dot -Tsvg` or libgvc);
// this file only assembles the page, so kindling::explain needs no Graphviz.
//
// Note [player scripting]
// The page reads `?clicks=next,next,prev` (ids without the "kp-" prefix: first, prev, play, next,
// last) and clicks those buttons once loaded, and it mirrors the frame shown in
// <body data-frame="i">. That lets a headless browser drive and check the buttons with nothing but
// a URL (chromium --headless --dump-dom / --screenshot), as the tests do.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kindling::engine {

struct PlayerFrame {
  std::string svg;   // the frame's picture: Graphviz SVG output (its XML prolog is dropped)
  std::string text;  // what the frame shows beside the picture, plain text
};

// The page, as a string; `notes` (plain text, e.g. what the colours mean) stays under the frame
// texts. Throws kindling::error when there are no frames or a frame's SVG has no <svg> element.
std::string html_player(const std::vector<PlayerFrame>& frames, std::string_view title,
                        std::string_view notes = {});

// The SVG element of a Graphviz SVG file: from "<svg" on, without the XML declaration, doctype
// and comments before it, which must not appear inside HTML.
std::string_view svg_element(std::string_view svg);

// Escapes &, <, > and " for HTML text and attribute values.
std::string escape_html(std::string_view text);

}  // namespace kindling::engine
