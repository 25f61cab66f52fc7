"""Display helpers for the backward stepper: a frame of the pass as a DotGraph, and the whole pass
as the engine's HTML player (buttons to step back and forth), inline in Jupyter.

The C++ stepper writes each frame's DOT text and assembles the player page; Graphviz's `dot`
draws the frames, so the player needs it (a frame alone falls back to its DOT text without it).
"""

import html

from . import _kindling
from ._dot import DotGraph


def frame(stepper, rankdir="LR"):
    """The graph as the stepper has left it: the node just stepped in amber, done nodes grey,
    complete gradients green and solid, partial ones dashed, edges labelled with what they
    carried (kindling.FRAME_LEGEND says it in words)."""
    return DotGraph(stepper._frame_dot(rankdir))


class Player:
    """A self-contained HTML page stepping through a backward pass, shown by Jupyter in an iframe
    (the page carries its own script and styles, which must not leak into the notebook)."""

    def __init__(self, page, height=520):
        self.page = page
        self.height = height

    def save(self, path):
        _kindling._write_text_file(str(path), self.page)
        return path

    def _repr_html_(self):
        return '<iframe srcdoc="%s" style="width: 100%%; height: %dpx; border: 0"></iframe>' % (
            html.escape(self.page, quote=True),
            self.height,
        )


def player(root, title="backward pass", rankdir="LR", height=520):
    """Steps a fresh ValueStepper over `root` from the first frame to the last and returns the
    HTML player of the frames. The graph's gradients are left as backward() leaves them."""
    stepper = _kindling.ValueStepper(root)
    frames = []
    while True:
        svg = frame(stepper, rankdir).pipe("svg").decode("utf-8")
        frames.append((svg, stepper.state_text()))
        if stepper.done():
            break
        stepper.step()
    return Player(_kindling._html_player(frames, title, _kindling.FRAME_LEGEND), height)


_kindling.ValueStepper.frame = frame
