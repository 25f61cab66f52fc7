"""kindling.distributed: data-parallel training over MPI, with torch.distributed's names.

Run the script under mpirun (``mpirun -np 2 python3 train.py``; as root add
``--allow-run-as-root``, and ``--oversubscribe`` for more ranks than cores)::

    import kindling.distributed as dist
    dist.init_process_group()                 # from mpirun's environment
    model = dist.DistributedDataParallel(net)  # rank 0's parameters on every rank
    sampler = dist.DistributedSampler(train, seed=1)
    sampler.set_epoch(epoch)
    shard = kindling.nn.Subset(train, list(sampler))
    loss.backward()                           # returns with the gradients averaged over ranks

Every collective waits at most the timeout (``init_process_group(timeout=...)``, seconds): a rank
that failed makes the others raise kindling.Error instead of hanging. The process group ends at
interpreter exit (MPI_Finalize) or at ``destroy_process_group()``; it cannot start again after.
It exists where kindling was built with MPI (``is_available()``).
"""

import atexit

from . import _kindling

_d = getattr(_kindling, "_distributed", None)

__all__ = [
    "DistributedDataParallel",
    "DistributedSampler",
    "ReduceOp",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
]


def is_available():
    """True where kindling was built with MPI (kindling::dist)."""
    return _d is not None


def _module():
    if _d is None:
        raise _kindling.Error(
            "kindling.distributed: this kindling was built without MPI; install Open MPI "
            "(libopenmpi-dev openmpi-bin) and rebuild"
        )
    return _d


if _d is not None:
    ReduceOp = _d.ReduceOp
else:  # the names exist, so that the module imports everywhere

    class ReduceOp:  # noqa: D101
        SUM = "SUM"
        AVG = "AVG"


def init_process_group(backend="mpi", timeout=300.0):
    """Starts MPI from mpirun's environment; kindling.Error outside mpirun (saying how to run)."""
    if backend != "mpi":
        raise _kindling.Error(
            f"init_process_group: backend {backend!r} is not available; kindling runs on MPI"
        )
    _module().init(float(timeout))
    atexit.register(destroy_process_group)


def destroy_process_group():
    """Ends the process group (MPI_Finalize); a no-op when there is none."""
    if _d is not None:
        _d.destroy_process_group()


def is_initialized():
    return _d is not None and _d.is_initialized()


def get_rank():
    return _module().rank()


def get_world_size():
    return _module().world_size()


def all_reduce(tensor, op=ReduceOp.SUM):
    """In place: tensor becomes the sum (ReduceOp.SUM) or mean (ReduceOp.AVG) over the ranks."""
    _module().all_reduce(tensor, op)


def broadcast(tensor, src=0):
    """In place: tensor becomes rank src's."""
    _module().broadcast(tensor, src)


def all_gather(tensor_list, tensor):
    """torch's form: tensor_list[r] is filled with rank r's tensor (pass None for a new list,
    which is returned)."""
    gathered = _module().all_gather(tensor)
    if tensor_list is None:
        return gathered
    if len(tensor_list) != len(gathered):
        raise _kindling.Error(
            f"all_gather: tensor_list has {len(tensor_list)} tensors for {len(gathered)} ranks"
        )
    for out, part in zip(tensor_list, gathered):
        out.copy_(part)
    return tensor_list


def barrier():
    _module().barrier()


if _d is not None:

    class DistributedDataParallel(_d.DistributedDataParallel):
        """torch.nn.parallel.DistributedDataParallel: module's parameters broadcast from rank 0,
        gradients averaged in buckets during backward (docs/distributed.md)."""

        def no_sync(self):
            """A context: backward passes inside it accumulate gradients locally."""
            return _d._NoSync(self)

    class DistributedSampler:
        """torch.utils.data.distributed.DistributedSampler over range(len(dataset)): this rank's
        share, the same permutation on every rank for one seed and epoch."""

        def __init__(
            self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False
        ):
            size = dataset if isinstance(dataset, int) else len(dataset)
            self._sampler = _d.DistributedSampler(
                size,
                -1 if num_replicas is None else num_replicas,
                -1 if rank is None else rank,
                shuffle,
                seed,
                drop_last,
            )

        def set_epoch(self, epoch):
            self._sampler.set_epoch(epoch)

        def __iter__(self):
            return iter(self._sampler.indices())

        def __len__(self):
            return len(self._sampler)

        @property
        def num_replicas(self):
            return self._sampler.num_replicas

        @property
        def rank(self):
            return self._sampler.rank

        @property
        def total_size(self):
            return self._sampler.total_size

else:

    def DistributedDataParallel(*args, **kwargs):  # noqa: N802, D103
        _module()

    def DistributedSampler(*args, **kwargs):  # noqa: N802, D103
        _module()
