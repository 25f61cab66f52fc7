"""Grad mode and anomaly mode as context managers (and decorators), over the C++ switches.

The switches are thread-local in C++, and a Python thread is an OS thread, so `with no_grad():`
affects the calling thread only, as in PyTorch. Each manager restores the mode it found, so they
nest.
"""

import contextlib

from . import _kindling


class _Switch(contextlib.ContextDecorator):
    _get = None
    _set = None
    _value = None

    def __enter__(self):
        self._previous = type(self)._get()
        type(self)._set(self._value)
        return self

    def __exit__(self, *exc_info):
        type(self)._set(self._previous)
        return False


class no_grad(_Switch):
    """Operations inside record no graph: results are leaves (for inference and updates)."""

    _get = staticmethod(_kindling.is_grad_enabled)
    _set = staticmethod(_kindling.set_grad_enabled)
    _value = False


class enable_grad(_Switch):
    """Records the graph again inside a no_grad region."""

    _get = staticmethod(_kindling.is_grad_enabled)
    _set = staticmethod(_kindling.set_grad_enabled)
    _value = True


class detect_anomaly(_Switch):
    """Every op raises kindling.Error (a ValueError) naming itself at the first NaN or Inf."""

    _get = staticmethod(_kindling.is_anomaly_enabled)
    _set = staticmethod(_kindling.set_anomaly_enabled)
    _value = True
