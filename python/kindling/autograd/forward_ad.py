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
    >>> tangent, round(dv, 4)
    (tensor([1.0000, 2.7183], dtype=float64), 2.4731)

For Values the tangent is a number, and make_dual gives a new leaf (as make_dual(x.detach(), t)).
"""

import collections
import contextlib

from .. import _kindling
from .._kindling import _autograd

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = """What :func:`unpack_dual` returns: the named tuple ``(primal, tangent)``, as torch's.

Example:
    >>> import kindling.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     d = fwAD.unpack_dual(fwAD.make_dual(kindling.Value(2.0), 1.0))
    >>> d.primal.data, d.tangent
    (2.0, 1.0)
"""
UnpackedDualTensor.primal.__doc__ = "The value without its tangent (a Tensor or a Value)."
UnpackedDualTensor.tangent.__doc__ = ("The tangent: a Tensor of the primal's shape, a float for a "
                                      "Value, or None when it carries none.")


class dual_level(contextlib.ContextDecorator):
    """A context manager (and decorator) inside which ops carry tangents, as torch.autograd.forward_ad.dual_level.

    On exit every tangent made inside is dropped. One level per thread at a time, as in PyTorch
    (nested levels are not supported). Tensors and Values each have their level; this enters both.

    Raises:
        kindling.Error: when a level is already active on this thread.

    Example:
        >>> import kindling.autograd.forward_ad as fwAD
        >>> x = kindling.tensor([1.0, 2.0])
        >>> with fwAD.dual_level():
        ...     y = fwAD.make_dual(x, kindling.ones(2)) ** 2
        ...     fwAD.unpack_dual(y).tangent        # 2 x
        tensor([2.0000, 4.0000])
    """

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
    """``tensor`` carrying ``tangent`` for forward mode, as torch.autograd.forward_ad.make_dual.

    For a Tensor, a view of it carrying the tangent; for a Value, a new leaf with its data and
    label carrying the number ``tangent``. Only inside :class:`dual_level`.

    Args:
        tensor (Tensor or Value): the primal; a floating tensor.
        tangent (Tensor or float): the direction: of the tensor's shape, dtype and device, or a
            number for a Value.
        level: accepted for torch's signature; there is one level.

    Raises:
        kindling.Error: outside a dual_level, or for a tangent of another shape, dtype or device,
            or a tensor that is not floating.

    Example:
        >>> import kindling.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     v = fwAD.make_dual(kindling.Value(3.0), 1.0)
        ...     fwAD.unpack_dual(v * v).tangent    # 2 v
        6.0
    """
    if isinstance(tensor, _kindling.Value):
        return _kindling._value_make_dual(tensor, float(tangent))
    return _autograd.make_dual(tensor, tangent)


def unpack_dual(tensor, *, level=None):
    """The primal and tangent of ``tensor``, as torch.autograd.forward_ad.unpack_dual.

    Args:
        tensor (Tensor or Value): a result computed inside a dual_level, or any tensor.
        level: accepted for torch's signature; there is one level.

    Returns:
        UnpackedDualTensor: ``(primal, tangent)``; the tangent is None when the tensor carries
        none, a float for a Value.

    Example:
        >>> import kindling.autograd.forward_ad as fwAD
        >>> fwAD.unpack_dual(kindling.ones(1)).tangent is None
        True
    """
    if isinstance(tensor, _kindling.Value):
        primal, tangent = _kindling._value_unpack_dual(tensor)
    else:
        primal, tangent = _autograd.unpack_dual(tensor)
    return UnpackedDualTensor(primal, tangent)


def is_forward_ad_enabled():
    """Whether a dual level is active on this thread (for tensors), as torch's.

    Example:
        >>> import kindling.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     fwAD.is_forward_ad_enabled()
        True
        >>> fwAD.is_forward_ad_enabled()
        False
    """
    return _autograd.is_forward_ad_enabled()


__all__ = ["UnpackedDualTensor", "dual_level", "is_forward_ad_enabled", "make_dual", "unpack_dual"]
