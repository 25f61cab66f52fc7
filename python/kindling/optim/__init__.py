"""kindling.optim: optimizers with PyTorch's update rules, and learning-rate schedulers.

SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam and RAdam take a list of parameters (no
parameter groups) and keep their whole state in a flat state_dict() for checkpoints. The
schedulers are here and in kindling.optim.lr_scheduler, as in torch.

    >>> model = kindling.nn.Linear(3, 1, seed=0)
    >>> opt = kindling.optim.AdamW(model.parameters(), lr=1e-3)
    >>> sched = kindling.optim.lr_scheduler.StepLR(opt, step_size=10)
    >>> loss = model(kindling.ones(4, 3)).pow(2).mean()
    >>> loss.backward(); opt.step(); opt.zero_grad(); sched.step()
    >>> opt.step_count, sched.last_epoch
    (1, 1)
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
