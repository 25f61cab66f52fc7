#!/usr/bin/env python3
"""Reference numbers for kindling's nn tests, computed by PyTorch.

Run with Debian's Python (python3-torch):  /usr/bin/python3 tests/reference/nn_reference.py
It rewrites tests/data/nn_reference.json, which tests/nn/test_nn_reference.cpp reads. Inputs are
written out in full, so the C++ side never needs PyTorch's random numbers.
"""
import json
import math
import os

import torch

torch.manual_seed(0)
F = torch.nn.functional


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def optimizer_cases():
    p0 = torch.randn(3, 4, dtype=torch.float64)
    grads = [torch.randn(3, 4, dtype=torch.float64) for _ in range(4)]
    configs = [
        ("sgd", torch.optim.SGD, dict(lr=0.1)),
        ("sgd_momentum_wd", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.05)),
        ("sgd_nesterov", torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
        ("adam", torch.optim.Adam, dict(lr=0.01)),
        ("adam_wd", torch.optim.Adam, dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
        ("adamw", torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
        ("rmsprop", torch.optim.RMSprop, dict(lr=0.01)),
        ("rmsprop_centered_momentum", torch.optim.RMSprop,
         dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
    ]
    cases = []
    for name, cls, kwargs in configs:
        p = p0.clone().requires_grad_(True)
        opt = cls([p], **kwargs)
        after = []
        for g in grads:
            opt.zero_grad()
            (p * g).sum().backward()  # gradient exactly g
            opt.step()
            after.append(flat(p))
        cases.append({"name": name, "options": {k: (list(v) if isinstance(v, tuple) else v)
                                                for k, v in kwargs.items()},
                      "after": after})
    return {"p0": flat(p0), "shape": [3, 4], "grads": [flat(g) for g in grads], "cases": cases}


def loss_cases():
    logits = torch.randn(4, 5, dtype=torch.float64)
    target = torch.tensor([1, 0, 4, 2])
    pred = torch.randn(3, 2, dtype=torch.float64)
    goal = torch.randn(3, 2, dtype=torch.float64)
    probs = torch.rand(3, 2, dtype=torch.float64)
    signs = torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    out = {"logits": flat(logits), "target": target.tolist(), "pred": flat(pred),
           "goal": flat(goal), "probs": flat(probs), "signs": flat(signs)}

    def record(name, fn, x):
        x = x.clone().requires_grad_(True)
        value = fn(x)
        value.backward()
        out[name] = {"value": value.item(), "grad": flat(x.grad)}

    record("cross_entropy", lambda z: F.cross_entropy(z, target), logits)
    record("cross_entropy_smooth", lambda z: F.cross_entropy(z, target, label_smoothing=0.1), logits)
    record("cross_entropy_sum", lambda z: F.cross_entropy(z, target, reduction="sum"), logits)
    record("nll", lambda z: F.nll_loss(F.log_softmax(z, 1), target), logits)
    record("mse", lambda z: F.mse_loss(z, goal), pred)
    record("l1", lambda z: F.l1_loss(z, goal), pred)
    record("bce_logits", lambda z: F.binary_cross_entropy_with_logits(z, probs), pred)
    record("hinge", lambda z: torch.clamp(1 - z * signs, min=0).mean(), pred)
    return out


def layer_cases():
    x = torch.randn(4, 6, dtype=torch.float64)
    w = torch.randn(6, dtype=torch.float64)
    b = torch.randn(6, dtype=torch.float64)
    upstream = torch.randn(4, 6, dtype=torch.float64)
    out = {"x": flat(x), "w": flat(w), "b": flat(b), "upstream": flat(upstream)}

    def run(module, name):
        xx = x.clone().requires_grad_(True)
        y = module(xx)
        (y * upstream).sum().backward()
        out[name] = {"y": flat(y), "dx": flat(xx.grad), "dw": flat(module.weight.grad),
                     "db": flat(module.bias.grad)}
        return module

    ln = torch.nn.LayerNorm(6).double()
    with torch.no_grad():
        ln.weight.copy_(w)
        ln.bias.copy_(b)
    run(ln, "layer_norm")
    bn = torch.nn.BatchNorm1d(6).double()
    with torch.no_grad():
        bn.weight.copy_(w)
        bn.bias.copy_(b)
    run(bn, "batch_norm")
    out["batch_norm"]["running_mean"] = flat(bn.running_mean)
    out["batch_norm"]["running_var"] = flat(bn.running_var)
    bn.eval()
    out["batch_norm"]["eval_y"] = flat(bn(x))
    xx = x.clone().requires_grad_(True)
    y = F.gelu(xx)
    (y * upstream).sum().backward()
    out["gelu"] = {"y": flat(y), "dx": flat(xx.grad)}
    return out


def scheduler_cases():
    def lrs(make, steps, metrics=None):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.5)
        sched = make(opt)
        seq = [opt.param_groups[0]["lr"]]
        for i in range(steps):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[i])
            seq.append(opt.param_groups[0]["lr"])
        return seq

    S = torch.optim.lr_scheduler
    plateau_metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85]
    return {
        "step": lrs(lambda o: S.StepLR(o, step_size=3, gamma=0.5), 10),
        "cosine": lrs(lambda o: S.CosineAnnealingLR(o, T_max=8, eta_min=0.01), 8),
        "warmup": lrs(lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 7),
        "plateau_metrics": plateau_metrics,
        "plateau": lrs(lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1),
                       len(plateau_metrics), plateau_metrics),
    }


def clip_cases():
    a = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, dtype=torch.float64, requires_grad=True)
    ga, gb = torch.randn(3, 3, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    a.grad, b.grad = ga.clone(), gb.clone()
    total = torch.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    return {"ga": flat(ga), "gb": flat(gb), "total": float(total),
            "clipped_a": flat(a.grad), "clipped_b": flat(b.grad)}


def main():
    data = {"torch_version": torch.__version__, "optimizers": optimizer_cases(),
            "losses": loss_cases(), "layers": layer_cases(), "schedulers": scheduler_cases(),
            "clip": clip_cases()}
    path = os.path.join(os.path.dirname(__file__), "..", "data", "nn_reference.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
