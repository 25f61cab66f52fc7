#!/usr/bin/env python3
"""Reference values and gradients for the scalar engine's tests, computed by PyTorch in float64.

Run with Debian's Python (python3-torch):  /usr/bin/python3 tests/reference/value_reference.py
It rewrites tests/data/value_reference.json, which tests/engine/test_torch_reference.cpp reads.
The expressions mirror, line for line, the ones the C++ test builds with kindling::Value.
"""
import json
import math
import os

import torch


def leaf(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def sanity():
    # micrograd's test_sanity_check expression.
    x = leaf(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return {"y": y.item(), "x_grad": x.grad.item()}


def more_ops():
    # micrograd's test_more_ops expression.
    a = leaf(-4.0)
    b = leaf(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    return {"g": g.item(), "a_grad": a.grad.item(), "b_grad": b.grad.item()}


def neuron():
    # The tanh neuron of micrograd's lecture.
    x1, x2, w1, w2 = leaf(2.0), leaf(0.0), leaf(-3.0), leaf(1.0)
    b = leaf(6.8813735870195432)
    o = torch.tanh(x1 * w1 + x2 * w2 + b)
    o.backward()
    return {"o": o.item(), "x1_grad": x1.grad.item(), "x2_grad": x2.grad.item(),
            "w1_grad": w1.grad.item(), "w2_grad": w2.grad.item(), "b_grad": b.grad.item()}


def unary_mix():
    # Every unary op and division once: sigmoid, exp, log, pow, div, neg, sub.
    a, b = leaf(0.8), leaf(-1.7)
    s = torch.sigmoid(a * b)
    t = torch.exp(b / 3.0) - torch.log(a + 2.0)
    u = (s + t) ** 3 / (1.0 + a**2)
    v = -u + torch.tanh(b) * s
    v.backward()
    return {"v": v.item(), "a_grad": a.grad.item(), "b_grad": b.grad.item()}


def main():
    torch.set_default_dtype(torch.float64)
    data = {
        "generator": "tests/reference/value_reference.py with torch " + torch.__version__,
        "sanity": sanity(),
        "more_ops": more_ops(),
        "neuron": neuron(),
        "unary_mix": unary_mix(),
    }
    for case in data.values():
        if isinstance(case, dict):
            assert all(math.isfinite(v) for v in case.values())
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "data", "value_reference.json")
    with open(path, "w") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
