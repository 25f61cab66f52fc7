"""kindling.nn.functional: activations, layers and losses on tensors, as torch.nn.functional,
and gradient clipping.

Each loss takes ``reduction`` = "mean" (default), "sum" or "none" (kl_div also "batchmean");
targets of cross_entropy and nll_loss are int64 class indices, in torch's shapes: (N, C) with
(N,), (C,) with a 0-d target, or (N, C, d1, ...) with (N, d1, ...). mse_loss, l1_loss and
smooth_l1_loss broadcast input and target as torch does, with torch's warning when their shapes
differ.

    >>> import kindling.nn.functional as F
    >>> logits = kindling.tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, kindling.tensor([0, 1]))
    >>> loss.backward()
    >>> logits.grad.shape
    (2, 2)
"""

import warnings

from .. import _kindling
from .._kindling.nn.functional import (  # noqa: F401  (re-exported)
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    clip_grad_norm,
    clip_grad_value,
    conv2d,
    cross_entropy,
    dropout,
    dropout2d,
    elu,
    embedding,
    fold,
    gelu,
    hinge_loss,
    layer_norm,
    leaky_relu,
    linear,
    max_pool2d,
    nll_loss,
    normalize,
    pad,
    relu,
    sigmoid,
    silu,
    softplus,
    tanh,
    unfold,
)
from .._kindling.nn import functional as _f

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "clip_grad_norm", "clip_grad_value",
           "conv2d", "cross_entropy", "dropout", "dropout2d", "elu", "embedding",
           "fold", "gelu", "hinge_loss", "kl_div", "l1_loss", "layer_norm",
           "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss", "nll_loss",
           "normalize", "pad", "relu", "sigmoid", "silu", "smooth_l1_loss", "softmax",
           "softplus", "tanh", "unfold"]


def _shape(x):
    return tuple(x.shape) if isinstance(x, _kindling.Tensor) else None


def _warn_if_broadcast(input, target):
    # torch's warning, word for word: the shapes broadcast, which is rarely what was meant.
    a, b = _shape(input), _shape(target)
    if a is not None and b is not None and a != b:
        warnings.warn(f"Using a target size ({b}) that is different to the input size ({a}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def mse_loss(input, target, reduction="mean"):
    """The mean squared error ``mean((input - target)^2)``, as torch.nn.functional.mse_loss.

    The shapes broadcast, with torch's UserWarning when they differ (rarely what was meant).

    Args:
        input (Tensor): predictions, floating.
        target (Tensor): broadcastable to input.
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Raises:
        kindling.Error: for shapes that do not broadcast, or an unknown reduction.

    Example:
        >>> import kindling.nn.functional as F
        >>> F.mse_loss(kindling.tensor([1.0, 2.0]), kindling.tensor([1.0, 4.0]))
        tensor(2.0000)
        >>> F.mse_loss(kindling.tensor([1.0, 2.0]), kindling.tensor([1.0, 4.0]), reduction="none")
        tensor([0.0000, 4.0000])
    """
    _warn_if_broadcast(input, target)
    return _f._mse_loss(input, target, reduction)


def l1_loss(input, target, reduction="mean"):
    """The mean absolute error ``mean(|input - target|)``, as torch.nn.functional.l1_loss.

    The shapes broadcast, with torch's UserWarning when they differ.

    Args:
        input (Tensor): predictions, floating.
        target (Tensor): broadcastable to input.
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Raises:
        kindling.Error: for shapes that do not broadcast, or an unknown reduction.

    Example:
        >>> import kindling.nn.functional as F
        >>> F.l1_loss(kindling.tensor([1.0, 2.0]), kindling.tensor([1.0, 4.0]), reduction="sum")
        tensor(2.0000)
    """
    _warn_if_broadcast(input, target)
    return _f._l1_loss(input, target, reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """The Huber-like loss ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target), as torch.nn.functional.smooth_l1_loss.

    ``beta=0`` is l1_loss. The shapes broadcast, with torch's UserWarning when they differ.

    Args:
        input (Tensor): predictions, floating.
        target (Tensor): broadcastable to input.
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.
        beta (float): the threshold (default 1.0).

    Raises:
        kindling.Error: for shapes that do not broadcast, or an unknown reduction.

    Example:
        >>> import kindling.nn.functional as F
        >>> F.smooth_l1_loss(kindling.tensor([0.0, 0.0]), kindling.tensor([0.5, 3.0]), reduction="none")
        tensor([0.1250, 2.5000])
    """
    _warn_if_broadcast(input, target)
    return _f._smooth_l1_loss(input, target, reduction, beta)


def kl_div(input, target, reduction="mean", log_target=False):
    """The Kullback-Leibler divergence of ``target`` from the log-probabilities ``input``, as torch.nn.functional.kl_div.

    The terms are ``target * (log target - input)``, 0 where target is 0. ``reduction='batchmean'``
    (the sum over the batch size) is the true KL divergence; ``'mean'`` averages over every
    element, with torch's warning.

    Args:
        input (Tensor): log-probabilities (e.g. log_softmax's output).
        target (Tensor): probabilities, or log-probabilities with log_target.
        reduction (str): ``'mean'`` (default), ``'batchmean'``, ``'sum'`` or ``'none'``.
        log_target (bool): the target holds log-probabilities (default False).

    Raises:
        kindling.Error: for shapes that differ, or an unknown reduction.

    Example:
        >>> import kindling.nn.functional as F
        >>> q = kindling.log(kindling.tensor([[0.5, 0.5]]))
        >>> F.kl_div(q, kindling.tensor([[0.25, 0.75]]), reduction="batchmean")
        tensor(0.1308)
    """
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    return _f._kl_div(input, target, reduction, log_target)


def _softmax_dim(name, ndim):
    # torch's implicit choice for a call without dim (deprecated there, with this warning).
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None):
    """``exp(x) / sum(exp(x))`` along ``dim``, as torch.nn.functional.softmax.

    Without a dim it takes torch's implicit one (0 for inputs of 0, 1 or 3 dimensions, else 1),
    with torch's deprecation warning. torch's ``dtype`` argument is not supported.

    Args:
        input (Tensor): floating.
        dim (int, optional): the dimension that sums to 1.

    Raises:
        kindling.Error: for an int64 or bool input, or a dim out of range.

    Example:
        >>> import kindling.nn.functional as F
        >>> F.softmax(kindling.tensor([[1.0, 1.0]]), dim=1)
        tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _softmax_dim("softmax", len(_shape(input) or ()))
    return _f._softmax(input, dim)


def log_softmax(input, dim=None):
    """``x - logsumexp(x)`` along ``dim``, as torch.nn.functional.log_softmax.

    Without a dim it takes torch's implicit one (0 for inputs of 0, 1 or 3 dimensions, else 1),
    with torch's deprecation warning.

    Args:
        input (Tensor): floating.
        dim (int, optional): the dimension.

    Raises:
        kindling.Error: for an int64 or bool input, or a dim out of range.

    Example:
        >>> import kindling.nn.functional as F
        >>> F.log_softmax(kindling.tensor([0.0, 0.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dim is None:
        dim = _softmax_dim("log_softmax", len(_shape(input) or ()))
    return _f._log_softmax(input, dim)
