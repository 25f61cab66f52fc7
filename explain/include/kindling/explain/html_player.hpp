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

/// One frame of the player: a picture and the text beside it.
struct PlayerFrame {
  /// The frame's picture: Graphviz SVG output (`dot -Tsvg`); what comes before its `<svg` (the
  /// XML prolog, doctype and comments) is dropped.
  std::string svg;
  std::string text;  ///< What the frame shows beside the picture, plain text (escaped here).
};

/// The player page, as a string: one self-contained HTML file (no network, no external file)
/// with the frames' SVG inlined, first / previous / play / next / last buttons (and the arrow
/// keys), and each frame's text beside its picture. The page can be driven by URL (Note [player
/// scripting]).
/// @param frames the frames in order, the first shown on load.
/// @param title the page's title and heading, plain text.
/// @param notes plain text kept under the frame texts, e.g. what the colours mean
///   (engine::kFrameLegend).
/// @throws kindling::error when there are no frames or a frame's SVG has no `<svg` element.
/// @code
/// kindling::ValueStepper stepper(out);
/// std::vector<kindling::engine::PlayerFrame> frames;
/// for (std::size_t i = 0;; ++i) {
///   if (i > 0) stepper.step();
///   // render_svg: the caller's own `dot -Tsvg` (kindling::explain needs no Graphviz)
///   frames.push_back({render_svg(stepper.frame_dot()), stepper.state_text()});
///   if (stepper.done()) break;
/// }
/// const std::string page =
///     kindling::engine::html_player(frames, "out", kindling::engine::kFrameLegend);
/// kindling::engine::write_text_file("player.html", page);
/// @endcode
std::string html_player(const std::vector<PlayerFrame>& frames, std::string_view title,
                        std::string_view notes = {});

/// The SVG element of a Graphviz SVG file: from the first `<svg` on, without the XML
/// declaration, doctype and comments before it, which must not appear inside HTML. A view into
/// `svg`.
/// @throws kindling::error when `svg` has no `<svg`.
std::string_view svg_element(std::string_view svg);

/// Escapes `&`, `<`, `>` and `"` for HTML text and attribute values.
std::string escape_html(std::string_view text);

}  // namespace kindling::engine
