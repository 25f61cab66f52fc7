// kindling.cuda: whether a CUDA device is there, the current device, the caching allocator's
// statistics.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "kindling/gpu/cuda.hpp"

namespace kindling::python {

void bind_cuda(py::module_& c) {
  c.def("is_available", &gpu::is_available, "True when a CUDA device can be used now");
  c.def("device_count", &gpu::device_count);
  c.def("built_with_cuda", &gpu::built_with_cuda, "True when kindling was compiled with nvcc");
  c.def("unavailable_reason", &gpu::unavailable_reason,
        "Why is_available() is False ('' when it is True)");
  c.def("synchronize", &gpu::synchronize, "Waits for the queued device work; reports its errors");
  c.def("current_device", &gpu::current_device);
  c.def("set_device", &gpu::set_device, py::arg("index"));
  c.def("memory_stats", []() {
    const gpu::MemoryStats s = gpu::memory_stats();
    py::dict d;
    d["allocated_bytes"] = s.allocated_bytes;
    d["cached_bytes"] = s.cached_bytes;
    d["peak_allocated_bytes"] = s.peak_allocated_bytes;
    d["device_allocations"] = s.device_allocations;
    d["cache_hits"] = s.cache_hits;
    return d;
  });
  c.def("empty_cache", &gpu::release_cached_memory,
        "Returns the cached device blocks to the driver; the number of bytes released");
}

}  // namespace kindling::python
