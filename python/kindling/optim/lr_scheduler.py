"""kindling.optim.lr_scheduler: the learning-rate schedulers under torch's module name.

Each sets its optimizer's lr on step() from a closed form of the step count (ReduceLROnPlateau's
step takes the metric); the same classes are in kindling.optim.

    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.MultiStepLR(opt, milestones=[2], gamma=0.1)
    >>> for epoch in range(3):
    ...     sched.step()
    >>> round(opt.lr, 6)
    0.1
"""

from .._kindling.optim import (  # noqa: F401  (re-exported)
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LinearWarmup,
    MultiStepLR,
    OneCycleLR,
    LRScheduler,
    ReduceLROnPlateau,
    StepLR,
)

for _cls in (CosineAnnealingLR, ExponentialLR, LambdaLR, LinearLR, MultiStepLR, OneCycleLR,
             LinearWarmup, LRScheduler, ReduceLROnPlateau, StepLR):
    _cls.__module__ = "kindling.optim.lr_scheduler"
del _cls

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR",
           "LinearWarmup", "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau", "StepLR"]
