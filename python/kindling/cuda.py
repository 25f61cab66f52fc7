"""kindling.cuda: is a CUDA device there, which one is current, and the allocator's figures, as torch.cuda.

Tensors and modules move with ``t.to("cuda")`` / ``model.to("cuda")``. Every function here works
in every build: without CUDA (a CPU-only build, or no driver or device) ``is_available()`` is
False, ``device_count()`` is 0 and ``unavailable_reason()`` says why.

    >>> import kindling
    >>> available = kindling.cuda.is_available()   # False without a GPU or in a CPU-only build
    >>> available == (kindling.cuda.unavailable_reason() == "")
    True
"""

from ._kindling.cuda import (  # noqa: F401  (re-exported)
    built_with_cuda,
    current_device,
    device_count,
    empty_cache,
    is_available,
    memory_stats,
    set_device,
    synchronize,
    unavailable_reason,
)

__all__ = ["built_with_cuda", "current_device", "device_count", "empty_cache", "is_available",
           "memory_stats", "set_device", "synchronize", "unavailable_reason"]
