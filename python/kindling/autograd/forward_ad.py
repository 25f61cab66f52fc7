"""Forward-mode AD, as torch.autograd.forward_ad: a tensor (or a Value) carries a tangent beside
its value, and each op computes its result's tangent as it runs.

    >>> import kindling
    >>> import kindling.autograd.forward_ad as fwAD
    >>> x = kindling.tensor([0.0, 1.0], dtype="float64")
    >>> with fwAD.dual_level():
    ...     y = kindling.exp(fwAD.make_dual(x, kindling.ones_like(x)))
    ...     tangent = fwAD.unpack_dual(y).tangent   # exp(x) * 1
    ...     v = fwAD.make_dual(kindling.Value(0.5), 1.0)
    ...     dv = fwAD.unpack_dual(v * v.exp()).tangent   # (1 + v) e^v, a float

For Values the tangent is a number, and make_dual gives a new leaf (as make_dual(x.detach(), t)).
"""

import collections
import contextlib

from .. import _kindling
from .._kindling import _autograd

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class dual_level(contextlib.ContextDecorator):
    """While inside, ops carry tangents; on exit every tangent made inside is dropped. One level
    per thread at a time, as in PyTorch."""

    def __enter__(self):
        # Tensors and Values each have their level (engine/value_forward_ad.hpp).
        self._level = _autograd._DualLevel()
        self._level.enter()
        self._value_level = _kindling._ValueDualLevel()
        try:
            self._value_level.enter()
        except BaseException:
            self._level.exit()
            raise
        return self

    def __exit__(self, *exc_info):
        self._value_level.exit()
        self._level.exit()
        return False


def make_dual(tensor, tangent, *, level=None):
    """A view of `tensor` carrying `tangent` (same shape, dtype and device, floating-point). For
    a Value, a new leaf with its data carrying the number `tangent`."""
    if isinstance(tensor, _kindling.Value):
        return _kindling._value_make_dual(tensor, float(tangent))
    return _autograd.make_dual(tensor, tangent)


def unpack_dual(tensor, *, level=None):
    """(primal, tangent); tangent is None when the tensor (or Value) carries none, a float for a
    Value."""
    if isinstance(tensor, _kindling.Value):
        primal, tangent = _kindling._value_unpack_dual(tensor)
    else:
        primal, tangent = _autograd.unpack_dual(tensor)
    return UnpackedDualTensor(primal, tangent)


def is_forward_ad_enabled():
    return _autograd.is_forward_ad_enabled()


__all__ = ["UnpackedDualTensor", "dual_level", "is_forward_ad_enabled", "make_dual", "unpack_dual"]
