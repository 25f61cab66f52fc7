#!/usr/bin/env python3
"""PyTorch's side of bench/train_step: the same MLP step, timed the same way.

  /usr/bin/python3 train_step_torch.py --threads 1 --batch 64 [--epoch DATA_DIR]

Prints one JSON line: the median time of a step (each of steps x repeats timed), the OpenBLAS kernel in use, and,
with --epoch, the time of one epoch over Fashion-MNIST's training set (batch 64, shuffled).
The environment (OPENBLAS_CORETYPE, GLIBC_TUNABLES) is chosen by the caller.
"""
import argparse
import ctypes
import gzip
import json
import os
import statistics
import sys
import time

import numpy as np
import torch


def openblas_core():
    for name in ("libopenblas.so.0", "libopenblasp.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return "unknown"


def model_and_optimizer():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    return model, torch.optim.AdamW(model.parameters(), lr=1e-3)


def step(model, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def time_steps(batch, steps, repeats):
    model, opt = model_and_optimizer()
    x = torch.rand(batch, 784)
    y = torch.randint(0, 10, (batch,))
    for _ in range(20):
        step(model, opt, x, y)
    # Each step timed on its own, the median taken (as the C++ side does).
    per_step = []
    for _ in range(steps * repeats):
        start = time.perf_counter()
        step(model, opt, x, y)
        per_step.append(time.perf_counter() - start)
    return statistics.median(per_step)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def time_epoch(folder, batch):
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz"))
    x_all = torch.from_numpy(images.reshape(-1, 784).astype(np.float32) / 255.0)
    y_all = torch.from_numpy(labels.astype(np.int64))
    model, opt = model_and_optimizer()
    generator = torch.Generator().manual_seed(1)
    start = time.perf_counter()
    order = torch.randperm(x_all.shape[0], generator=generator)
    for i in range(0, x_all.shape[0], batch):
        idx = order[i:i + batch]
        step(model, opt, x_all[idx], y_all[idx])
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epoch", default="")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = {"threads": args.threads, "batch": args.batch, "torch": torch.__version__,
              "openblas_core": openblas_core(),
              "step_s": time_steps(args.batch, args.steps, args.repeats)}
    if args.epoch:
        result["epoch_s"] = time_epoch(args.epoch, args.batch)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
