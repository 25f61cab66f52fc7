"""kindling.optim: optimizers with PyTorch's update rules, and learning-rate schedulers.

    >>> opt = kindling.optim.AdamW(model.parameters(), lr=1e-3)
    >>> loss.backward(); opt.step(); opt.zero_grad()

The schedulers are here and in kindling.optim.lr_scheduler, as in torch.
"""

from .._kindling.optim import (  # noqa: F401  (re-exported)
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LinearWarmup,
    LRScheduler,
    Optimizer,
    ReduceLROnPlateau,
    RMSprop,
    StepLR,
)
from . import lr_scheduler  # noqa: F401

for _cls in (SGD, Adam, AdamW, Optimizer, RMSprop):
    _cls.__module__ = "kindling.optim"
del _cls

__all__ = ["SGD", "Adam", "AdamW", "CosineAnnealingLR", "LRScheduler", "LinearWarmup", "Optimizer",
           "RMSprop", "ReduceLROnPlateau", "StepLR", "lr_scheduler"]
