#!/usr/bin/env python3
"""PyTorch's side of bench/conv: the same convolutions and CNN training step, timed the same way.

  /usr/bin/python3 conv_torch.py --threads 1 --reps 50

Prints one flat JSON line: per case, <case>_s (the median seconds of the fastest variant) and
<case>_variant (its name).
Each case runs every variant this build offers (oneDNN on and off, NCHW and channels_last
memory formats) and keeps the fastest, so the peer is at its best on this CPU. The environment
(GLIBC_TUNABLES) is chosen by the caller.
"""
import argparse
import json
import statistics
import sys
import time

import torch

CONVS = {"conv1": ((64, 1, 28, 28), (32, 1, 3, 3)), "conv2": ((64, 32, 14, 14), (64, 32, 3, 3))}


def median_time(fn, reps):
    for _ in range(5):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cnn():
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Flatten(), tnn.Dropout(0.25), tnn.Linear(64 * 7 * 7, 128),
                          tnn.ReLU(), tnn.Linear(128, 10))


def cases(reps, memory_format):
    torch.manual_seed(0)
    out = {}
    for name, (xs, ws) in CONVS.items():
        x = torch.randn(xs).to(memory_format=memory_format).requires_grad_()
        w = torch.randn(ws).to(memory_format=memory_format).requires_grad_()
        b = torch.randn(ws[0]).requires_grad_()
        out[name + "_forward"] = median_time(
            lambda: torch.nn.functional.conv2d(x, w, b, padding=1), reps)
        g = torch.randn(torch.nn.functional.conv2d(x, w, b, padding=1).shape)

        def backward():
            y = torch.nn.functional.conv2d(x, w, b, padding=1)
            start = time.perf_counter()
            y.backward(g)
            return time.perf_counter() - start

        for _ in range(5):
            backward()
        out[name + "_backward"] = statistics.median(backward() for _ in range(reps))
    model = cnn().to(memory_format=memory_format)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(64, 1, 28, 28).to(memory_format=memory_format)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    out["train_step_b64"] = median_time(step, reps)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    best = {}
    for mkldnn in (True, False):
        if mkldnn and not torch.backends.mkldnn.is_available():
            continue
        for fmt_name, fmt in (("nchw", torch.contiguous_format),
                              ("channels_last", torch.channels_last)):
            with torch.backends.mkldnn.flags(enabled=mkldnn):
                timed = cases(args.reps, fmt)
            variant = ("onednn" if mkldnn else "native") + "/" + fmt_name
            for case, seconds in timed.items():
                if case not in best or seconds < best[case][0]:
                    best[case] = (seconds, variant)
    result = {"threads": args.threads, "torch": torch.__version__}
    for case, (seconds, variant) in best.items():  # flat, as kindling_cli/json_line.hpp reads
        result[case + "_s"] = seconds
        result[case + "_variant"] = variant
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
