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
    """A context manager (and decorator) inside which operations record no graph, as torch.no_grad.

    Results computed inside are leaves that do not require grad: for inference, and for updates of
    parameters (in-place writes into tensors that require grad are allowed only here). The mode is
    thread-local and restored on exit, so managers nest. Applies to tensors and Values.

    Example:
        >>> w = kindling.ones(2, requires_grad=True)
        >>> with kindling.no_grad():
        ...     y = w * 2
        ...     _ = w.fill_(0.5)          # an update: allowed under no_grad
        >>> y.requires_grad, w
        (False, tensor([0.5000, 0.5000], requires_grad=True))
        >>> @kindling.no_grad()
        ... def predict(x):
        ...     return x * w
        >>> predict(kindling.ones(2)).requires_grad
        False
    """

    _get = staticmethod(_kindling.is_grad_enabled)
    _set = staticmethod(_kindling.set_grad_enabled)
    _value = False


class enable_grad(_Switch):
    """A context manager (and decorator) that records the graph again inside a no_grad region, as torch.enable_grad.

    Example:
        >>> w = kindling.ones(1, requires_grad=True)
        >>> with kindling.no_grad():
        ...     with kindling.enable_grad():
        ...         y = w * 2
        >>> y.requires_grad
        True
    """

    _get = staticmethod(_kindling.is_grad_enabled)
    _set = staticmethod(_kindling.set_grad_enabled)
    _value = True


class detect_anomaly(_Switch):
    """A context manager (and decorator) for anomaly mode, as torch.autograd.detect_anomaly.

    Inside, every op (forward and backward, tensors and Values) raises kindling.Error, naming
    itself, at the first NaN or Inf it produces; outside, they propagate silently. It slows every
    op down, so use it to find where a NaN starts.

    Example:
        >>> with kindling.detect_anomaly():
        ...     try:
        ...         kindling.log(kindling.tensor([-1.0]))
        ...     except kindling.Error as e:
        ...         print("raised by", str(e).split(":")[0])
        raised by log
    """

    _get = staticmethod(_kindling.is_anomaly_enabled)
    _set = staticmethod(_kindling.set_anomaly_enabled)
    _value = True
