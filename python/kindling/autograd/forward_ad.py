"""Forward-mode AD, as torch.autograd.forward_ad: a tensor carries a tangent beside its value, and
each op computes its result's tangent as it runs.

    >>> import kindling
    >>> import kindling.autograd.forward_ad as fwAD
    >>> x = kindling.tensor([0.0, 1.0], dtype="float64")
    >>> with fwAD.dual_level():
    ...     y = kindling.exp(fwAD.make_dual(x, kindling.ones_like(x)))
    ...     tangent = fwAD.unpack_dual(y).tangent   # exp(x) * 1
"""

import collections
import contextlib

from .._kindling import _autograd

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class dual_level(contextlib.ContextDecorator):
    """While inside, ops carry tangents; on exit every tangent made inside is dropped. One level
    per thread at a time, as in PyTorch."""

    def __enter__(self):
        self._level = _autograd._DualLevel()
        self._level.enter()
        return self

    def __exit__(self, *exc_info):
        self._level.exit()
        return False


def make_dual(tensor, tangent, *, level=None):
    """A view of `tensor` carrying `tangent` (same shape, dtype and device, floating-point)."""
    return _autograd.make_dual(tensor, tangent)


def unpack_dual(tensor, *, level=None):
    """(primal, tangent); tangent is None when the tensor carries none."""
    primal, tangent = _autograd.unpack_dual(tensor)
    return UnpackedDualTensor(primal, tangent)


def is_forward_ad_enabled():
    return _autograd.is_forward_ad_enabled()


__all__ = ["UnpackedDualTensor", "dual_level", "is_forward_ad_enabled", "make_dual", "unpack_dual"]
