"""kindling.cuda: is a CUDA device there, and the device's memory figures.

    >>> import kindling
    >>> kindling.cuda.is_available()        # False on a machine without a GPU (or a CPU-only build)
    >>> kindling.cuda.unavailable_reason()  # why not, in words

Tensors and modules move with ``t.to("cuda")`` / ``model.to("cuda")``; every function here works
in every build (without CUDA, is_available() is False and device_count() is 0).
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
