#!/usr/bin/env python3
"""PyTorch's side of bench/second_order: the gradient and the Hessian-vector product of the MLP's
loss with respect to its six parameters, timed the same way as the C++ side.

  /usr/bin/python3 second_order_torch.py --threads 1 --batch 64 --steps 50 --repeats 5

Prints one JSON line: the median time of a gradient, and of an hvp by each of PyTorch's ways
(torch.autograd.functional.hvp, its vhp, and grad of <grad, v> by hand), and which was fastest.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.autograd.functional as TF


def params_and_data(batch):
    torch.manual_seed(0)
    sizes = [784, 256, 128, 10]
    params = []
    for i in range(3):
        bound = 1.0 / sizes[i] ** 0.5
        params.append((torch.rand(sizes[i + 1], sizes[i]) * 2 - 1) * bound)
        params.append((torch.rand(sizes[i + 1]) * 2 - 1) * bound)
    x = torch.rand(batch, 784)
    y = torch.randint(0, 10, (batch,))
    v = [torch.randn_like(p) for p in params]
    return params, x, y, v


def loss_fn(x, y):
    def loss(w1, b1, w2, b2, w3, b3):
        h = torch.relu(x @ w1.T + b1)
        h = torch.relu(h @ w2.T + b2)
        return torch.nn.functional.cross_entropy(h @ w3.T + b3, y)
    return loss


def median_time(fn, steps, repeats):
    for _ in range(5):
        fn()
    times = []
    for _ in range(steps * repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params, x, y, v = params_and_data(args.batch)
    loss = loss_fn(x, y)
    leaves = [p.clone().requires_grad_() for p in params]

    def gradient():
        return torch.autograd.grad(loss(*leaves), leaves)

    def by_hand():
        g = torch.autograd.grad(loss(*leaves), leaves, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, v))
        return torch.autograd.grad(dot, leaves)

    ways = {
        "functional.hvp": lambda: TF.hvp(loss, tuple(params), tuple(v)),
        "functional.vhp": lambda: TF.vhp(loss, tuple(params), tuple(v)),
        "grad of <grad, v>": by_hand,
    }
    grad_s = median_time(gradient, args.steps, args.repeats)
    hvp_s = {name: median_time(fn, args.steps, args.repeats) for name, fn in ways.items()}
    best = min(hvp_s, key=hvp_s.get)
    print(json.dumps({"torch": torch.__version__, "grad_s": grad_s, "hvp_s": hvp_s[best],
                      "hvp_way": best, "all_hvp_s": hvp_s}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
