// kindling.distributed's compiled half, _kindling._distributed: the process group and its
// collectives, DistributedDataParallel and DistributedSampler of kindling::dist (dist/). Built
// only where kindling::dist is (MPI found); kindling/distributed.py says so otherwise.
#include <pybind11/chrono.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

#include "bindings.hpp"
#include "kindling/dist.hpp"
#include "nn_support.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {

// The process group's owner: init() fills it, destroy_process_group() (or the interpreter's
// exit, through kindling/distributed.py's atexit) empties it, which finalizes MPI.
std::optional<dist::Environment>& environment() {
  static auto* env = new std::optional<dist::Environment>();  // leaked: see destroy()
  return *env;
}

// DistributedDataParallel::NoSync for a `with` block.
struct NoSyncScope {
  dist::DistributedDataParallel* ddp;
  std::unique_ptr<dist::DistributedDataParallel::NoSync> active;
};

}  // namespace

void bind_distributed(py::module_& m) {
  py::module_ d = m.def_submodule("_distributed", "kindling::dist (kindling.distributed)");
  py::enum_<dist::ReduceOp>(
      d, "ReduceOp",
      R"(How ``all_reduce`` combines the ranks' tensors, as torch.distributed.ReduceOp.

Only SUM and AVG exist (torch also has PRODUCT, MIN, MAX, ...).)")
      .value("SUM", dist::ReduceOp::Sum, "The elementwise sum over the ranks.")
      .value("AVG", dist::ReduceOp::Average,
             "The elementwise mean over the ranks (floating-point tensors only).");
  d.def(
      "init",
      [](double timeout_s) {
        dist::InitOptions options;
        options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000.0));
        environment().emplace(dist::init(options));
      },
      py::arg("timeout_s") = 300.0);
  d.def("destroy_process_group", [] { environment().reset(); });
  d.def("is_initialized", &dist::is_initialized);
  d.def("rank", &dist::rank);
  d.def("world_size", &dist::world_size);
  d.def(
      "set_timeout",
      [](double timeout_s) {
        dist::set_timeout(std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000.0)));
      },
      py::arg("timeout_s"));
  // The collectives release the GIL: a rank waiting up to the timeout lets other threads run.
  d.def(
      "all_reduce",
      [](const Tensor& t, dist::ReduceOp op) {
        const py::gil_scoped_release release;
        dist::all_reduce(t, op);
      },
      py::arg("tensor"), py::arg("op") = dist::ReduceOp::Sum);
  d.def(
      "broadcast",
      [](const Tensor& t, int src) {
        const py::gil_scoped_release release;
        dist::broadcast(t, src);
      },
      py::arg("tensor"), py::arg("src") = 0);
  d.def(
      "all_gather",
      [](const Tensor& t) {
        std::vector<Tensor> out;
        {
          const py::gil_scoped_release release;
          out = dist::all_gather(t);
        }
        return tensor_list(out);
      },
      py::arg("tensor"));
  d.def("barrier", [] {
    const py::gil_scoped_release release;
    dist::barrier();
  });

  py::class_<dist::DistributedDataParallel, nn::Module,
             std::shared_ptr<dist::DistributedDataParallel>>(
      d, "DistributedDataParallel",
      "kindling::dist::DistributedDataParallel; kindling.distributed.DistributedDataParallel "
      "documents it.")
      .def(
          py::init([](std::shared_ptr<nn::Module> module, double bucket_cap_mb,
                      double first_bucket_cap_mb, bool broadcast_buffers) {
            return std::make_shared<dist::DistributedDataParallel>(
                std::move(module),
                dist::DdpOptions{bucket_cap_mb, first_bucket_cap_mb, broadcast_buffers});
          }),
          py::arg("module"), py::arg("bucket_cap_mb") = 25.0, py::arg("first_bucket_cap_mb") = 1.0,
          py::arg("broadcast_buffers") = true,
          py::keep_alive<1, 2>(),  // the Python module object (its forward may be Python's)
          R"(Wraps ``module`` (collective: every rank makes one). See kindling.distributed.DistributedDataParallel.

Args:
    module (Module): the model, with the same parameter names, dtypes and shapes on every rank.
    bucket_cap_mb (float): the cap of every gradient bucket but the first, in MiB (default 25).
    first_bucket_cap_mb (float): the first bucket's cap, in MiB (default 1).
    broadcast_buffers (bool): copy rank 0's buffers (BatchNorm's statistics) to every rank at
        construction (default True).

Raises:
    kindling.Error: before init_process_group, for a bucket cap that is not positive, a parameter
        that is not float32 or float64, models that differ across ranks (naming the first
        parameter and rank), and when a collective times out or fails.
)")
      .def_property_readonly(
          "module", [](const dist::DistributedDataParallel& ddp) { return ddp.shared_module(); },
          "The wrapped module (what a checkpoint saves), as torch's ``ddp.module``.")
      .def(
          "finish_gradient_synchronization",
          &dist::DistributedDataParallel::finish_gradient_synchronization,
          R"(A no-op after a complete backward pass (whose last gradient hook already synchronized everything), or before any gradient of a pass arrived.

Raises:
    kindling.Error: naming the first parameter still without its gradient, when a pass gave
        gradients to some parameters only.
)")
      .def("bucket_count", &dist::DistributedDataParallel::bucket_count,
           "How many gradient buckets the parameters are packed into (int).")
      .def("bucket_parameter_names", &dist::DistributedDataParallel::bucket_parameter_names,
           "The parameter names of each bucket, in bucket order (list of lists of str).")
      .def("all_reduces_started", &dist::DistributedDataParallel::all_reduces_started,
           "How many bucket all-reduces were started so far (int).")
      .def("all_reduces_overlapped", &dist::DistributedDataParallel::all_reduces_overlapped,
           "How many of them started while backward still had gradients to compute: the "
           "overlap of communication with computation, counted, not timed (int).");

  py::class_<NoSyncScope>(d, "_NoSync")
      .def(py::init([](dist::DistributedDataParallel& ddp) {
             return NoSyncScope{&ddp, nullptr};
           }),
           py::keep_alive<1, 2>())
      .def("__enter__",
           [](NoSyncScope& s) {
             s.active = std::make_unique<dist::DistributedDataParallel::NoSync>(*s.ddp);
           })
      .def("__exit__", [](NoSyncScope& s, const py::args&) { s.active.reset(); });

  py::class_<dist::DistributedSampler>(d, "DistributedSampler")
      .def(py::init([](std::size_t size, int num_replicas, int rank, bool shuffle,
                       std::uint64_t seed, bool drop_last) {
             return dist::DistributedSampler(size, {num_replicas, rank, shuffle, seed, drop_last});
           }),
           py::arg("dataset_size"), py::arg("num_replicas") = -1, py::arg("rank") = -1,
           py::arg("shuffle") = true, py::arg("seed") = 0, py::arg("drop_last") = false)
      .def("set_epoch", &dist::DistributedSampler::set_epoch, py::arg("epoch"))
      .def_property_readonly("epoch", &dist::DistributedSampler::epoch)
      .def("indices", &dist::DistributedSampler::indices)
      .def("__len__", &dist::DistributedSampler::size)
      .def_property_readonly("total_size", &dist::DistributedSampler::total_size)
      .def_property_readonly("num_replicas", &dist::DistributedSampler::num_replicas)
      .def_property_readonly("rank", &dist::DistributedSampler::rank);
}

}  // namespace kindling::python
