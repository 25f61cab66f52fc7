"""ProgressBar: the C++ kindling::nn::ProgressBar's display for Python training loops.

On a terminal one line is redrawn in place; into a file, a pipe or a notebook's captured stream it
writes a plain line every tenth of the run (and at the end), so logs stay readable. The line is
the C++ bar's: ``title [#########.....................] 3/10   1.2s  loss 0.31``.
"""

import sys
import time

_WIDTH = 30


class ProgressBar:
    """A progress line for training loops, as the C++ kindling::nn::ProgressBar draws it.

    ``ProgressBar(total, title)`` then ``update(done, status)`` and ``finish()``; or wrap an
    iterable with a length: ``for batch in ProgressBar(loader, "epoch 1"): ...``. It is also a
    context manager that finishes the line on exit. On a terminal one line is redrawn in place;
    into a file, a pipe or a notebook it writes a plain line every tenth of the run (and at the
    end), so logs stay readable.

    Args:
        total (int or sized iterable): the step count, or an iterable whose len() it is.
        title (str): shown before the bar.
        file (file-like, optional): where to write (default sys.stderr).
        interactive (bool, optional): redraw in place (default: whether file is a terminal).

    Raises:
        ValueError: for a negative total.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> for batch in kindling.nn.ProgressBar(range(3), "run", file=out):
        ...     pass
        >>> print(out.getvalue().splitlines()[-1].split("]")[0] + "]")
        run [##############################]
    """

    def __init__(self, total, title="", file=None, interactive=None):
        """Makes the bar (see the class docstring for the arguments)."""
        self._iterable = None
        if not isinstance(total, int):
            self._iterable = total
            total = len(total)
        if total < 0:
            raise ValueError(f"ProgressBar: total must be >= 0, got {total}")
        self.total = max(total, 1)
        self.title = title
        self.file = sys.stderr if file is None else file
        if interactive is None:
            isatty = getattr(self.file, "isatty", None)
            interactive = bool(isatty and isatty())
        self.interactive = interactive
        self._finished = False
        self._last_decile = 0
        self._start = time.monotonic()

    def render(self, done, status=""):
        """The text of the line for ``done`` steps (what update draws): title, bar, count, seconds so far and status.

        Example:
            >>> import io
            >>> bar = kindling.nn.ProgressBar(4, "epoch 1", file=io.StringIO())
            >>> bar.render(2, "loss 0.5").split("]")[0]
            'epoch 1 [###############...............'
        """
        done = min(done, self.total)
        filled = done * _WIDTH // self.total
        seconds = time.monotonic() - self._start
        line = (f"{self.title} [{'#' * filled}{'.' * (_WIDTH - filled)}] {done}/{self.total} "
                f"{seconds:5.1f}s")
        return line + ("  " + status if status else "")

    def update(self, done, status=""):
        """Records that ``done`` steps are complete, with a short status such as ``'loss 0.31'``, and draws the line (when due).

        Nothing happens after finish().
        """
        if self._finished:
            return
        if self.interactive:
            # \r back to the start, \033[K clears what a longer previous line left behind.
            self.file.write("\r" + self.render(done, status) + "\033[K")
        else:
            decile = min(done, self.total) * 10 // self.total
            if decile == self._last_decile and done < self.total:
                return
            self._last_decile = decile
            self.file.write(self.render(done, status) + "\n")
        self.file.flush()

    def finish(self):
        """Ends the bar's line (also done by ``with`` and at the end of an iteration)."""
        if self._finished:
            return
        self._finished = True
        if self.interactive:
            self.file.write("\n")
        self.file.flush()

    def __iter__(self):
        if self._iterable is None:
            raise TypeError("ProgressBar: iterate over a bar made from an iterable")
        for done, item in enumerate(self._iterable, start=1):
            yield item
            self.update(done)
        self.finish()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.finish()
        return False
