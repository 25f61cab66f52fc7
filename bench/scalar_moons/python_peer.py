#!/usr/bin/env python3
"""The peer for bench/scalar_moons: the same training written as a plain-Python scalar autograd
engine (micrograd's design: one object per node, a closure per op, a recursive topological sort),
written here for the comparison. Prints one line: `python_ms_per_step <ms> nodes_per_step <n>`.

usage: python_peer.py STEPS [SCHEDULE]  (reads the moons data, one `x y label` row per line, from
stdin; SCHEDULE, default 100, is the learning-rate schedule's length, lr = 1 - 0.9 * step / SCHEDULE)
"""
import math
import random
import sys
import time


class Scalar:
    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data, prev=()):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = prev

    def __add__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        out = Scalar(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        out = Scalar(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def relu(self):
        out = Scalar(self.data if self.data > 0 else 0.0, (self,))

        def backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for parent in node._prev:
                    visit(parent)
                order.append(node)
        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        return len(order)


def main():
    sys.setrecursionlimit(100000)
    steps = int(sys.argv[1])
    schedule = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rows = [tuple(map(float, line.split())) for line in sys.stdin if line.strip()]
    rng = random.Random(1337)
    sizes = [2, 16, 16, 1]
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers.append([([Scalar(rng.uniform(-1, 1)) for _ in range(fan_in)], Scalar(0.0))
                       for _ in range(fan_out)])
    params = [p for layer in layers for w, b in layer for p in w + [b]]

    def model(x):
        for index, layer in enumerate(layers):
            outputs = []
            for w, b in layer:
                act = b
                for wi, xi in zip(w, x):
                    act = act + wi * xi
                outputs.append(act.relu() if index + 1 < len(layers) else act)
            x = outputs
        return x[0]

    times, nodes = [], 0
    for k in range(steps):
        start = time.perf_counter()
        scores = [model([Scalar(x), Scalar(y)]) for x, y, _ in rows]
        data_loss = 0.0
        for (_, _, label), score in zip(rows, scores):
            data_loss = data_loss + (1 + (-label) * score).relu()
        data_loss = data_loss * (1.0 / len(rows))
        reg = 0.0
        for p in params:
            reg = reg + p * p
        total = data_loss + 1e-4 * reg
        for p in params:
            p.grad = 0.0
        nodes = total.backward()
        lr = 1.0 - 0.9 * k / schedule
        for p in params:
            p.data -= lr * p.grad
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"python_ms_per_step {1000 * times[len(times) // 2]:.1f} nodes_per_step {nodes}")


if __name__ == "__main__":
    main()
