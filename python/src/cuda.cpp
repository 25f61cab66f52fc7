// kindling.cuda: whether a CUDA device is there, the current device, the caching allocator's
// statistics.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "kindling/gpu/cuda.hpp"

namespace kindling::python {

void bind_cuda(py::module_& c) {
  c.def(
      "is_available", &gpu::is_available,
      R"(Whether a CUDA device can be used now: kindling was built with CUDA, and a driver and at least one device are there, as torch.cuda.is_available.

Example:
    >>> isinstance(kindling.cuda.is_available(), bool)
    True

With a device (not run here)::

    if kindling.cuda.is_available():
        x = kindling.randn(64, 784).to("cuda")
        y = (x * 2).sum().item()
)");
  c.def(
      "device_count", &gpu::device_count,
      R"(The number of usable CUDA devices, as torch.cuda.device_count: 0 without a driver, a device or CUDA support.

Example:
    >>> kindling.cuda.device_count() >= 0
    True
)");
  c.def(
      "built_with_cuda", &gpu::built_with_cuda,
      R"(Whether kindling was compiled with nvcc (its CUDA kernels exist), whether or not a device is there.

Example:
    >>> isinstance(kindling.cuda.built_with_cuda(), bool)
    True
)");
  c.def(
      "unavailable_reason", &gpu::unavailable_reason,
      R"(Why :func:`is_available` is False, in words ("kindling was built without CUDA", the CUDA runtime's error); ``''`` when it is True.

Example:
    >>> (kindling.cuda.unavailable_reason() == "") == kindling.cuda.is_available()
    True
)");
  c.def(
      "synchronize", &gpu::synchronize,
      R"(Waits for all work queued on the current device, then reports the first error a kernel deferred (an index out of range in gather, index_select, ...), as torch.cuda.synchronize.

Does nothing without a device.

Raises:
    kindling.Error: for such a deferred error, or when the CUDA runtime fails.
)");
  c.def("current_device", &gpu::current_device,
        R"(The index of the device kernels launch on now, as torch.cuda.current_device.

Raises:
    kindling.Error: without a device ("no CUDA device is available", in every build), or when
        the CUDA runtime fails.
)");
  c.def("set_device", &gpu::set_device, py::arg("index"),
        R"(Makes GPU ``index`` the device kernels launch on, as torch.cuda.set_device.

Every op makes its tensors' device current first, so a tensor on ``cuda:i`` is computed on GPU i
whatever is current; this matters for new tensors made with ``'cuda'``.

Args:
    index (int): the device.

Raises:
    kindling.Error: without a device (in every build), for an index out of range, or when the
        CUDA runtime fails.
)");
  c.def(
      "memory_stats",
      []() {
        const gpu::MemoryStats s = gpu::memory_stats();
        py::dict d;
        d["allocated_bytes"] = s.allocated_bytes;
        d["cached_bytes"] = s.cached_bytes;
        d["peak_allocated_bytes"] = s.peak_allocated_bytes;
        d["device_allocations"] = s.device_allocations;
        d["cache_hits"] = s.cache_hits;
        return d;
      },
      R"(The CUDA caching allocator's figures, every device together: torch.cuda.memory_stats' main entries, as a dict of ints.

``allocated_bytes`` (held by live tensors, rounded to size classes), ``cached_bytes`` (freed
blocks kept for reuse), ``peak_allocated_bytes``, ``device_allocations`` (cudaMalloc calls) and
``cache_hits``. All 0 in a CPU-only build, without a device, or with KINDLING_GPU_NO_CACHE=1.

Example:
    >>> sorted(kindling.cuda.memory_stats())
    ['allocated_bytes', 'cache_hits', 'cached_bytes', 'device_allocations', 'peak_allocated_bytes']
)");
  c.def(
      "empty_cache", &gpu::release_cached_memory,
      R"(Returns every cached (unused) device block to the driver, after waiting for the queued work; live tensors are untouched, as torch.cuda.empty_cache.

Returns:
    int: the number of bytes released (0 without a device; torch returns None).

Raises:
    kindling.Error: when the CUDA runtime fails.
)");
}

}  // namespace kindling::python
