"""kindling.distributed on 2 ranks: run as
``mpirun -np 2 python3 -m pytest tests/dist/test_distributed.py`` (ctest dist.python does). Every
test is collective: each rank runs the same tests in the same order. References are computed
here from the ranks' known inputs, or by one process training with the whole batch."""

import kindling
import kindling.distributed as dist
import kindling.nn as nn
import pytest

if not dist.is_initialized():
    dist.init_process_group(timeout=30.0)


def mlp(seed):
    kindling.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


def test_collectives():
    n, r = dist.get_world_size(), dist.get_rank()
    assert n >= 2
    t = kindling.full([3], r + 1.0)
    dist.all_reduce(t)
    assert t.tolist() == [n * (n + 1) / 2] * 3
    m = kindling.full([2], r + 1.0)
    dist.all_reduce(m, dist.ReduceOp.AVG)
    assert m.tolist() == [(n + 1) / 2] * 2
    b = kindling.full([2], 10.0 * r)
    dist.broadcast(b, src=n - 1)
    assert b.tolist() == [10.0 * (n - 1)] * 2
    parts = [kindling.zeros([2]) for _ in range(n)]
    dist.all_gather(parts, kindling.full([2], float(r)))
    assert [p.tolist() for p in parts] == [[float(k)] * 2 for k in range(n)]
    dist.barrier()
    with pytest.raises(kindling.Error, match="differ across ranks"):
        dist.all_reduce(kindling.zeros([3 if r == 1 else 2]))


def test_ddp_matches_one_process_with_the_whole_batch():
    n, r = dist.get_world_size(), dist.get_rank()
    per_rank, steps = 32, 5
    kindling.manual_seed(42)
    x = kindling.randn([steps * per_rank * n, 6])
    y = kindling.randint(0, 3, [steps * per_rank * n])
    model = dist.DistributedDataParallel(mlp(1 + r))  # rank 0's weights everywhere
    reference = mlp(1)
    opt = kindling.optim.SGD(model.parameters(), lr=0.1)
    ref_opt = kindling.optim.SGD(reference.parameters(), lr=0.1)
    for step in range(steps):
        start = step * per_rank * n
        mine = slice(start + r * per_rank, start + (r + 1) * per_rank)
        nn.functional.cross_entropy(model(x[mine]), y[mine]).backward()
        opt.step()
        opt.zero_grad()
        whole = slice(start, start + per_rank * n)
        nn.functional.cross_entropy(reference(x[whole]), y[whole]).backward()
        ref_opt.step()
        ref_opt.zero_grad()
    for (name, p), q in zip(model.module.named_parameters(), reference.parameters()):
        assert (p - q).abs().max().item() < 1e-5, name
    assert model.all_reduces_started() == steps


def test_no_sync_and_sampler():
    n, r = dist.get_world_size(), dist.get_rank()
    model = dist.DistributedDataParallel(mlp(3))
    x = kindling.randn([4, 6])
    with model.no_sync():
        model(x).sum().backward()
    assert model.all_reduces_started() == 0
    sampler = dist.DistributedSampler(10, seed=5)
    sampler.set_epoch(2)
    mine = list(sampler)
    assert len(mine) == len(sampler) == 5
    everyone = dist.all_gather(None, kindling.tensor(mine, dtype=kindling.int64))
    assert sorted(i for t in everyone for i in t.tolist()) == list(range(10))
