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
    """Whether kindling was built with MPI (kindling::dist), as torch.distributed.is_available.

    Where it is False every other function raises kindling.Error saying how to get it.

    Example:
        >>> isinstance(kindling.distributed.is_available(), bool)
        True
    """
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

    class ReduceOp:
        """How all_reduce combines the ranks' tensors (SUM or AVG); this build has no MPI."""

        SUM = "SUM"
        AVG = "AVG"


def init_process_group(backend="mpi", timeout=300.0):
    """Starts the process group of all ranks from mpirun's environment, as torch.distributed.init_process_group.

    MPI_Finalize runs at interpreter exit (or at :func:`destroy_process_group`); MPI cannot start
    again in the same process afterwards. Under ``mpirun -np 1`` training is plain one-process
    training.

    Args:
        backend (str): ``'mpi'``, the only one (torch's gloo and nccl are not available).
        timeout (float): seconds a collective waits for the other ranks before it raises
            kindling.Error (default 300; torch takes a timedelta).

    Raises:
        kindling.Error: for another backend, outside mpirun (saying how to start the program),
            when the group was started before in this process, for a timeout that is not
            positive, and where kindling was built without MPI.

    Example (under ``mpirun -np 2 python3 train.py``, so not run here)::

        import kindling.distributed as dist
        dist.init_process_group()
        print(dist.get_rank(), dist.get_world_size())   # 0 2 and 1 2
    """
    if backend != "mpi":
        raise _kindling.Error(
            f"init_process_group: backend {backend!r} is not available; kindling runs on MPI"
        )
    _module().init(float(timeout))
    atexit.register(destroy_process_group)


def destroy_process_group():
    """Ends the process group (MPI_Finalize), as torch.distributed.destroy_process_group; a no-op when there is none.

    The group cannot be started again in this process (an MPI rule).
    """
    if _d is not None:
        _d.destroy_process_group()


def is_initialized():
    """Whether the process group is running: between init_process_group and its end, as torch.distributed.is_initialized.

    Example:
        >>> isinstance(kindling.distributed.is_initialized(), bool)
        True
    """
    return _d is not None and _d.is_initialized()


def get_rank():
    """This process's rank, 0 to world size - 1, as torch.distributed.get_rank.

    Raises:
        kindling.Error: before init_process_group, once the group is broken, or without MPI.
    """
    return _module().rank()


def get_world_size():
    """How many ranks the group has, as torch.distributed.get_world_size.

    Raises:
        kindling.Error: before init_process_group, once the group is broken, or without MPI.
    """
    return _module().world_size()


def all_reduce(tensor, op=ReduceOp.SUM):
    """In place: every rank's ``tensor`` becomes the sum (ReduceOp.SUM) or mean (ReduceOp.AVG) over the ranks, as torch.distributed.all_reduce.

    Collective: every rank calls it. The GIL is released while it waits.

    Args:
        tensor (Tensor): float32, float64 or int64 (AVG: floating only), the same dtype and
            shape on every rank, on any device.
        op (ReduceOp): SUM (default) or AVG.

    Raises:
        kindling.Error: for a bool tensor, AVG of an int64 tensor, dtypes or shapes that differ
            across ranks (naming the first rank that differs), before init_process_group, on a
            time-out or an MPI error, once the group is broken, and without MPI.

    Example (under mpirun, so not run here)::

        t = kindling.full((3,), float(dist.get_rank()))
        dist.all_reduce(t, dist.ReduceOp.AVG)            # (world_size - 1) / 2 everywhere
    """
    _module().all_reduce(tensor, op)


def broadcast(tensor, src=0):
    """In place: every rank's ``tensor`` becomes rank ``src``'s, as torch.distributed.broadcast.

    Collective: every rank calls it with the same src.

    Args:
        tensor (Tensor): float32, float64, int64 or bool, the same dtype and shape on every rank.
        src (int): the rank whose tensor is sent (default 0).

    Raises:
        kindling.Error: for a src that is not a rank, dtypes or shapes that differ across ranks,
            and as :func:`all_reduce`.
    """
    _module().broadcast(tensor, src)


def all_gather(tensor_list, tensor):
    """Gathers every rank's ``tensor``, in rank order, as torch.distributed.all_gather.

    Collective. torch's form fills ``tensor_list[r]`` with rank r's tensor (``copy_``); pass None for
    a new list of new tensors, which is returned.

    Args:
        tensor_list (list of Tensor or None): one tensor per rank, of tensor's shape, or None.
        tensor (Tensor): this rank's tensor, the same dtype and shape on every rank.

    Returns:
        list of Tensor: tensor_list, or the new list.

    Raises:
        kindling.Error: for a tensor_list of another length than the world size, dtypes or
            shapes that differ across ranks, and as :func:`all_reduce`.
    """
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
    """Returns once every rank has called it, as torch.distributed.barrier.

    Raises:
        kindling.Error: before init_process_group, on a time-out or an MPI error, once the group
            is broken, and without MPI.
    """
    _module().barrier()


if _d is not None:

    class DistributedDataParallel(_d.DistributedDataParallel):
        """The same model on every rank, the gradients averaged over the ranks during backward, as torch.nn.parallel.DistributedDataParallel (over MPI).

        Construction is collective: it checks that every rank's model has the same parameter
        names, dtypes and shapes, then copies rank 0's parameters (and buffers) to the others.
        The parameters are packed into buckets (the first up to first_bucket_cap_mb, the others
        up to bucket_cap_mb, torch's sizes); each bucket's all-reduce starts as soon as backward
        has completed its gradients, overlapping communication with the rest of backward, and
        backward returns with the averaged gradients in ``.grad``. Every parameter must receive a
        gradient in every synchronized pass (torch's default, without find_unused_parameters);
        the next forward fails naming the first one that did not. The parameters are named
        ``module.<name>``, as in torch. See docs/distributed.md.

        Args:
            module (Module): the model.
            bucket_cap_mb (float): default 25.
            first_bucket_cap_mb (float): default 1.
            broadcast_buffers (bool): copy rank 0's buffers at construction (default True).

        Raises:
            kindling.Error: as the constructor says (``help(DistributedDataParallel.__init__)``).

        Example (under mpirun, so not run here)::

            model = dist.DistributedDataParallel(net)
            opt = kindling.optim.SGD(model.parameters(), lr=0.1)
            loss = kindling.nn.functional.mse_loss(model(x_of_this_rank), y_of_this_rank)
            loss.backward()                      # returns with the averaged gradients
            opt.step()
        """

        def no_sync(self):
            """A context manager inside which backward passes accumulate gradients locally, as torch's ``no_sync()``.

            The first synchronized pass after it averages the sums (gradient accumulation).
            Whether a pass synchronizes is decided at its forward; the contexts nest.

            Example (under mpirun, so not run here)::

                with model.no_sync():
                    loss_fn(model(x1), y1).backward()   # accumulates locally
                loss_fn(model(x2), y2).backward()       # averages the sum of both passes
            """
            return _d._NoSync(self)

    class DistributedSampler:
        """This rank's share of a data set's indices, as torch.utils.data.distributed.DistributedSampler.

        Every rank draws the same permutation of ``range(len(dataset))`` (from seed + epoch) and
        takes every num_replicas-th index from its rank on, so the shards are disjoint. Without
        drop_last the permutation is padded with its own first indices up to a multiple of
        num_replicas (some samples are seen twice per epoch); with it, it is cut down. Iterating
        gives the indices; ``len()`` is the samples per rank.

        Args:
            dataset (Dataset or int): the data set, or its size.
            num_replicas (int, optional): how many ranks share it (default the world size).
            rank (int, optional): this rank's share (default the process's rank).
            shuffle (bool): a new permutation each epoch (default True).
            seed (int): the same on every rank (default 0).
            drop_last (bool): cut instead of padding (default False).

        Raises:
            kindling.Error: for num_replicas below 1 or a rank not below it, and, without them,
                before init_process_group.

        Example:
            >>> import kindling.distributed as dist
            >>> sampler = dist.DistributedSampler(10, num_replicas=3, rank=1, shuffle=False)
            >>> list(sampler), len(sampler), sampler.total_size
            ([1, 4, 7, 0], 4, 12)
        """

        def __init__(
            self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False
        ):
            """Makes the sampler (see the class docstring for the arguments)."""
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
            """Chooses the epoch whose permutation the next iteration draws (seed + epoch), as torch's.

            Call it at the start of every epoch, with the same epoch on every rank.

            Example:
                >>> import kindling.distributed as dist
                >>> sampler = dist.DistributedSampler(10, num_replicas=2, rank=0, seed=1)
                >>> list(sampler)
                [3, 1, 0, 2, 4]
                >>> sampler.set_epoch(1)
                >>> list(sampler)
                [3, 0, 7, 5, 6]
            """
            self._sampler.set_epoch(epoch)

        def __iter__(self):
            return iter(self._sampler.indices())

        def __len__(self):
            return len(self._sampler)

        @property
        def num_replicas(self):
            """How many ranks share the data set (int)."""
            return self._sampler.num_replicas

        @property
        def rank(self):
            """This sampler's share, 0 to num_replicas - 1 (int)."""
            return self._sampler.rank

        @property
        def total_size(self):
            """The samples over all ranks: ``len(sampler) * num_replicas`` (int)."""
            return self._sampler.total_size

else:

    def DistributedDataParallel(*args, **kwargs):  # noqa: N802
        """torch.nn.parallel.DistributedDataParallel over MPI; this build has no MPI.

        Raises:
            kindling.Error: always, saying how to rebuild kindling with MPI.
        """
        _module()

    def DistributedSampler(*args, **kwargs):  # noqa: N802
        """torch.utils.data.distributed.DistributedSampler; this build has no MPI.

        Raises:
            kindling.Error: always, saying how to rebuild kindling with MPI.
        """
        _module()
