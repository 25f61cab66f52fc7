#!/usr/bin/env python3
"""PyTorch's side of bench/distributed: the same data-parallel epoch with torch's
DistributedDataParallel on gloo (Debian's torch has no MPI or NCCL), timed the same way.

  /usr/bin/python3 ddp_torch.py --world 2 --batch 64 --epochs 3 [--limit N] --data DIR

Starts `world` processes (1 thread each), which meet through a file:// rendezvous. Each epoch:
a barrier, every rank's shard of a DistributedSampler permutation in batches (indexing the
preloaded tensors, no per-sample DataLoader), a barrier. Prints one JSON line: the median epoch
time and the samples per epoch. The environment (GLIBC_TUNABLES, OPENBLAS_CORETYPE) is chosen by
the caller.
"""
import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data.distributed import DistributedSampler

# The IDX reader of bench/train_step's peer (gzipped big-endian IDX files).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train_step"))
from train_step_torch import read_idx  # noqa: E402


def worker(rank, args, rendezvous, results):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method="file://" + rendezvous, rank=rank,
                            world_size=args.world)
    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    x_all = torch.from_numpy(images.reshape(-1, 784).astype(np.float32) / 255.0)
    y_all = torch.from_numpy(labels.astype(np.int64))
    torch.manual_seed(0)
    model = DistributedDataParallel(torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10)))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    sampler = DistributedSampler(range(x_all.shape[0]), seed=1)

    def step(idx):
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x_all[idx]), y_all[idx]).backward()
        opt.step()

    warm = torch.arange(args.batch)
    for _ in range(20):
        step(warm)
    times = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler))
        dist.barrier()
        start = time.perf_counter()
        for i in range(0, order.shape[0], args.batch):
            step(order[i:i + args.batch])
        dist.barrier()
        times.append(time.perf_counter() - start)
    if rank == 0:
        results.put({"impl": "torch", "ranks": args.world, "torch": torch.__version__,
                     "epoch_s": statistics.median(times), "samples": int(x_all.shape[0])})
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--world", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    with tempfile.TemporaryDirectory() as folder:
        rendezvous = os.path.join(folder, "rendezvous")
        procs = [context.Process(target=worker, args=(r, args, rendezvous, results))
                 for r in range(args.world)]
        for p in procs:
            p.start()
        result = results.get(timeout=600)
        for p in procs:
            p.join()
    if any(p.exitcode != 0 for p in procs):
        sys.exit(1)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
