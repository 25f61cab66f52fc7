"""kindling.nn: neural networks. For now micrograd's scalar networks on kindling.Value.

    >>> from kindling import nn
    >>> model = nn.MLP(2, [16, 16, 1], seed=1)
    >>> score = model([0.5, -1.0])       # one output: a Value; several: a list of Values
    >>> loss = nn.svm_loss([score], [1.0], model.parameters())
    >>> model.zero_grad(); loss.backward(); nn.sgd_step(model.parameters(), lr=0.1)
"""

from .._kindling.nn import (  # noqa: F401  (re-exported)
    MLP,
    Layer,
    Module,
    Neuron,
    make_moons,
    manual_seed,
    mse_loss,
    sgd_step,
    sign_accuracy,
    svm_loss,
)

for _cls in (MLP, Layer, Module, Neuron):
    _cls.__module__ = "kindling.nn"
del _cls

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "make_moons",
    "manual_seed",
    "mse_loss",
    "sgd_step",
    "sign_accuracy",
    "svm_loss",
]
