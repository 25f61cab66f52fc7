"""kindling.optim.lr_scheduler: the schedulers under torch's module name (each sets its
optimizer's lr on step(); ReduceLROnPlateau.step takes the metric)."""

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
