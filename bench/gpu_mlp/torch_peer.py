"""PyTorch CUDA peer of bench_gpu_mlp: the same MLP step (784-256-128-10, ReLU, cross-entropy,
AdamW with lr 1e-3 and weight decay 1e-2), timed with PyTorch's default multi-tensor AdamW and
its fused one; the faster is the figure.

Usage: torch_peer.py BATCH STEPS; prints "ms_per_step <x>". Exits 1 without CUDA.
"""
import sys
import time

import torch


def time_step(batch: int, steps: int, fused: bool) -> tuple[float, float]:
    """Milliseconds per step and the last loss, for one AdamW implementation."""
    dev = torch.device("cuda")
    torch.manual_seed(5)
    x = torch.rand(batch, 784, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10)).to(dev)
    extra = {"fused": True} if fused else {}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2, **extra)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(10):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1e3 / steps, loss.item()


def main() -> int:
    batch, steps = int(sys.argv[1]), int(sys.argv[2])
    if not torch.cuda.is_available():
        print("torch: CUDA is not available")
        return 1
    # PyTorch at its best: the default (multi-tensor) AdamW and the fused one, the faster counts.
    best = None
    for fused in (False, True):
        try:
            ms, loss = time_step(batch, steps, fused)
        except (RuntimeError, TypeError) as e:  # an old torch without fused AdamW
            print(f"torch fused={fused}: {e}")
            continue
        print(f"torch {torch.__version__} AdamW fused={fused}: {ms:.4f} ms/step, loss {loss:.4f}")
        best = ms if best is None else min(best, ms)
    if best is None:
        return 1
    print(f"ms_per_step {best:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
