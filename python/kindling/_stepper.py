"""Display helpers for the backward stepper: a frame of the pass as a DotGraph, and the whole pass
as the engine's HTML player (buttons to step back and forth), inline in Jupyter.

The C++ stepper writes each frame's DOT text and assembles the player page; Graphviz's `dot`
draws the frames, so the player needs it (a frame alone falls back to its DOT text without it).
"""

import html

from . import _kindling
from ._dot import DotGraph


def frame(stepper, rankdir="LR"):
    """The graph as the stepper has left it, as a :class:`DotGraph` (``ValueStepper.frame``).

    The node just stepped is amber, done nodes grey, complete gradients green and solid, partial
    ones dashed, and the edges are labelled with what they carried (kindling.FRAME_LEGEND says it
    in words).

    Args:
        rankdir (str): ``'LR'`` (default) or ``'TB'``.

    Raises:
        kindling.Error: for another rankdir.

    Example:
        >>> x = kindling.Value(3.0, "x")
        >>> stepper = kindling.ValueStepper(x * x)
        >>> _ = stepper.step()
        >>> stepper.frame().source.startswith("digraph")
        True
    """
    return DotGraph(stepper._frame_dot(rankdir))


class Player:
    """A self-contained HTML page that steps through a backward pass: what :func:`player` returns.

    Jupyter shows it in an iframe (the page carries its own script and styles, which must not leak
    into the notebook); ``save(path)`` writes it for a browser. ``page`` is the HTML text.
    """

    def __init__(self, page, height=520):
        """Wraps ``page`` (the HTML text), shown ``height`` pixels high in a notebook."""
        self.page = page
        self.height = height

    def save(self, path):
        """Writes the page to ``path`` (an .html file opens in any browser) and returns ``path``.

        Raises:
            kindling.Error: when the file cannot be written.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "pass.html")
            >>> kindling.Player("<html></html>").save(path) == path
            True
        """
        _kindling._write_text_file(str(path), self.page)
        return path

    def _repr_html_(self):
        return '<iframe srcdoc="%s" style="width: 100%%; height: %dpx; border: 0"></iframe>' % (
            html.escape(self.page, quote=True),
            self.height,
        )


def player(root, title="backward pass", rankdir="LR", height=520):
    """The backward pass of ``root`` as an HTML :class:`Player`, one frame per step.

    Steps a fresh ValueStepper over ``root`` from the first frame to the last, drawing each frame
    with Graphviz (so it needs ``dot``); the page has buttons to step back and forth. The graph's
    gradients are left as backward() leaves them.

    Args:
        root (Value): the Value to differentiate.
        title (str): the page's title.
        rankdir (str): ``'LR'`` (default) or ``'TB'``.
        height (int): the iframe's height in a notebook, in pixels.

    Raises:
        RuntimeError: without Graphviz's ``dot`` on PATH.

    Example:
        >>> x = kindling.Value(3.0, "x")
        >>> if kindling.dot_available():        # the frames are drawn by Graphviz
        ...     page = kindling.player(x * x, title="x squared").page
        ...     print(page.startswith("<!DOCTYPE html>"), x.grad)
        ... else:
        ...     print(True, 6.0)
        True 6.0
    """
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
