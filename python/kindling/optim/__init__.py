"""kindling.optim: optimizers with PyTorch's update rules, and learning-rate schedulers.

    >>> opt = kindling.optim.AdamW(model.parameters(), lr=1e-3)
    >>> loss.backward(); opt.step(); opt.zero_grad()

The schedulers are here and in kindling.optim.lr_scheduler, as in torch.
"""

from .._kindling.optim import (  # noqa: F401  (re-exported)
    SGD,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LinearWarmup,
    MultiStepLR,
    NAdam,
    OneCycleLR,
    RAdam,
    LRScheduler,
    Optimizer,
    ReduceLROnPlateau,
    RMSprop,
    StepLR,
)
from . import lr_scheduler  # noqa: F401

for _cls in (SGD, Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer, RAdam, RMSprop):
    _cls.__module__ = "kindling.optim"
del _cls

__all__ = ["SGD", "Adagrad", "Adam", "Adamax", "AdamW", "CosineAnnealingLR", "ExponentialLR",
           "LRScheduler", "LambdaLR", "LinearLR", "LinearWarmup", "MultiStepLR", "NAdam",
           "OneCycleLR", "Optimizer", "RAdam", "RMSprop", "ReduceLROnPlateau", "StepLR",
           "lr_scheduler"]
