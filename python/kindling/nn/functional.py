"""kindling.nn.functional: the losses on tensors, as torch.nn.functional, and gradient clipping.

Each loss takes ``reduction`` = "mean" (default), "sum" or "none"; targets of cross_entropy and
nll_loss are int64 class indices.
"""

from .._kindling.nn.functional import (  # noqa: F401  (re-exported)
    binary_cross_entropy_with_logits,
    clip_grad_norm,
    clip_grad_value,
    cross_entropy,
    elu,
    hinge_loss,
    leaky_relu,
    l1_loss,
    mse_loss,
    nll_loss,
    softplus,
)

__all__ = ["binary_cross_entropy_with_logits", "clip_grad_norm", "clip_grad_value",
           "cross_entropy", "elu", "hinge_loss", "l1_loss", "leaky_relu", "mse_loss", "nll_loss",
           "softplus"]
