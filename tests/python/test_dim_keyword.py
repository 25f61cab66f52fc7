# torch's `dim` keyword where kindling's bindings say `axis` (python/kindling/_dim.py): the same
# results as torch for the calls a PyTorch user types, and no function that takes an axis is left
# without the alias.
import numpy as np
import pytest
import torch

import kindling
import kindling.nn.functional as F
from kindling import _dim


def data():
    values = np.arange(12, dtype=np.float64).reshape(3, 4) / 7.0 - 0.6
    return kindling.tensor(values.tolist(), dtype="float64"), torch.tensor(values)


@pytest.mark.parametrize("name", ["sum", "mean", "softmax", "log_softmax", "logsumexp", "argmax"])
def test_dim_gives_torchs_results(name):
    x, t = data()
    for dim in (0, 1, -1):
        ours = getattr(x, name)(dim=dim) if hasattr(x, name) else getattr(kindling, name)(x, dim=dim)
        theirs = getattr(t, name)(dim=dim)
        np.testing.assert_allclose(np.array(ours.tolist()), theirs.numpy(), rtol=1e-12)
        functional = getattr(kindling, name)(x, dim=dim)
        np.testing.assert_allclose(np.array(functional.tolist()), theirs.numpy(), rtol=1e-12)


def test_dim_in_concat_stack_and_keepdim():
    x, t = data()
    assert kindling.concat([x, x], dim=1).shape == tuple(torch.cat([t, t], dim=1).shape)
    assert kindling.stack([x, x], dim=2).shape == tuple(torch.stack([t, t], dim=2).shape)
    assert x.sum(dim=1, keepdim=True).shape == tuple(t.sum(dim=1, keepdim=True).shape)
    assert x.sum(1).shape == (3,)  # positional calls are untouched


def test_dim_and_axis_together_is_an_error():
    x, _ = data()
    with pytest.raises(TypeError, match="got both dim and axis"):
        x.sum(dim=0, axis=0)


def test_every_function_taking_an_axis_accepts_dim():
    missing = []
    for namespace, label in ((kindling.Tensor, "Tensor"), (kindling, "kindling"), (F, "F")):
        for name in dir(namespace):
            function = getattr(namespace, name, None)
            if name.startswith("_") or not callable(function) or isinstance(function, type):
                continue
            if _dim._axis_keyword(function) and not getattr(function, "_kindling_accepts_dim",
                                                            False):
                missing.append(f"{label}.{name}")
    assert not missing, missing
