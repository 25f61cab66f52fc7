"""Reference values and gradients for the tensor engine's composite expressions.

Each case draws its inputs from a seeded NumPy generator, evaluates one expression with torch in
float64, and stores the inputs, the output and the gradient of sum(output) with respect to every
float input in tests/data/tensor_reference.json. tests/tensor/test_torch_reference.cpp rebuilds
the same expressions with kindling and compares. Run with Debian's Python (python3-torch):

    /usr/bin/python3 tests/reference/tensor_reference.py
"""
import json
import os

import numpy as np
import torch

rng = np.random.default_rng(20261123)


def normal(*shape):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)


def positive(*shape):
    return torch.tensor(rng.uniform(0.5, 2.0, shape), dtype=torch.float64, requires_grad=True)


def index(high, *shape):
    return torch.tensor(rng.integers(0, high, shape), dtype=torch.int64)


def case(name, inputs, fn):
    out = fn(**inputs)
    out.sum().backward()
    entry = {"inputs": {}, "output": {"shape": list(out.shape),
                                      "data": out.detach().reshape(-1).tolist()}, "grads": {}}
    for key, t in inputs.items():
        entry["inputs"][key] = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
                                "data": t.detach().reshape(-1).tolist()}
        if t.requires_grad:
            entry["grads"][key] = t.grad.reshape(-1).tolist()
    return name, entry


cases = dict([
    case("mlp_cross_entropy",
         {"x": normal(4, 3), "w1": normal(3, 5), "b1": normal(5), "w2": normal(5, 3),
          "t": index(3, 4)},
         lambda x, w1, b1, w2, t: torch.nn.functional.cross_entropy(
             torch.relu(x @ w1 + b1) @ w2, t)),
    case("softmax_weighted", {"x": normal(3, 4), "y": normal(3, 4)},
         lambda x, y: (torch.softmax(x, 1) * y).sum(0)),
    case("logsumexp_var", {"x": normal(3, 5)},
         lambda x: torch.logsumexp(x, 1) + torch.var(x, 1)),
    case("gelu_tanh_sigmoid", {"x": normal(2, 3), "y": normal(2, 3)},
         lambda x, y: torch.nn.functional.gelu(x) * torch.tanh(y) + torch.sigmoid(x * y)),
    case("broadcast_div_pow", {"a": normal(2, 3, 4), "b": normal(4)},
         lambda a, b: (a / (b.abs() + 1.0)) ** 2),
    case("batched_matmul_max", {"a": normal(2, 3, 4), "b": normal(4, 5)},
         lambda a, b: torch.amax(a @ b, -1)),
    case("gather_concat", {"x": normal(2, 3), "y": normal(1, 3), "i": index(3, 3, 2)},
         lambda x, y, i: torch.cat([x, y], 0).gather(1, i)),
    case("clamp_where", {"x": normal(3, 4)},
         lambda x: torch.where(x > 0, torch.clamp(x, -0.5, 0.5), torch.exp(x))),
    case("std_min_mean", {"x": normal(4, 3)},
         lambda x: torch.std(x, 0) + torch.amin(x, 1).mean() + x.mean()),
    case("log_softmax_pick", {"x": normal(3, 5), "i": index(5, 3)},
         lambda x, i: torch.log_softmax(x, 1).index_select(1, i)),
    case("sqrt_log_stack", {"p": positive(2, 3), "q": positive(2, 3)},
         lambda p, q: torch.stack([torch.sqrt(p), torch.log(q), p.transpose(0, 1).reshape(2, 3)], 1)),
    case("matvec_minimum", {"m": normal(3, 4), "v": normal(4), "c": normal(3)},
         lambda m, v, c: torch.minimum(m @ v, c) - torch.maximum(c, torch.tensor(0.1, dtype=torch.float64))),
])

path = os.path.join(os.path.dirname(__file__), "..", "data", "tensor_reference.json")
with open(path, "w") as f:
    json.dump({"generator": "tests/reference/tensor_reference.py with torch " + torch.__version__,
               "cases": cases}, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", os.path.normpath(path), "with", len(cases), "cases")
