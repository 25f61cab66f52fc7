"""PyTorch CUDA peer of bench_gpu_mlp: the same MLP step (784-256-10, ReLU, cross-entropy, SGD).

Usage: torch_peer.py BATCH STEPS; prints "ms_per_step <x>". Exits 1 without CUDA.
"""
import sys
import time

import torch


def main() -> int:
    batch, steps = int(sys.argv[1]), int(sys.argv[2])
    if not torch.cuda.is_available():
        print("torch: CUDA is not available")
        return 1
    dev = torch.device("cuda")
    torch.manual_seed(5)
    x = torch.randn(batch, 784, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    torch.cuda.synchronize()
    ms = (time.perf_counter() - start) * 1e3 / steps
    print(f"torch {torch.__version__}, loss {loss.item():.4f}")
    print(f"ms_per_step {ms:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
