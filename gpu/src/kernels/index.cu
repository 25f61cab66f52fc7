// CUDA index kernels: index_select and gather (reads), and their adjoints index_add and
// scatter_add (atomic accumulation, so repeated indices add up). CPU twins: the index kernels in
// tensor/src/cpu/linalg_index.cpp.
//
// A bad index is reported later, at a synchronisation: Note [deferred index errors] in
// common.cuh.
#include <mutex>
#include <vector>

#include "common.cuh"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;

namespace {

const char* index_op_name(int op) {
  switch (op) {
    case kIndexSelect:
      return "index_select";
    case kIndexAdd:
      return "index_add";
    case kGather:
      return "gather";
    case kScatterAdd:
      return "scatter_add";
    default:
      return "index";
  }
}

// The walk shared by the four ops: every element of the iterated tensor `it` (out for the reads,
// src for the adjoints) with its offset in `it`, in the index tensor, and in the indexed tensor
// `other` (x for the reads, dst for the adjoints) once the index along `axis` is known.
struct IndexArgs {
  int ndim = 0, axis = 0, op = kNoError;
  DeviceErrors* errors = nullptr;
  index_t numel = 1, axis_size = 0;
  index_t shape[kMaxDims] = {};
  index_t it_strides[kMaxDims] = {}, index_strides[kMaxDims] = {}, other_strides[kMaxDims] = {};
};

__device__ inline bool locate(const IndexArgs& g, index_t i, const std::int64_t* index,
                              index_t& it_off, index_t& other_off) {
  index_t idx_off = 0;
  it_off = other_off = 0;
  for (int d = g.ndim - 1; d >= 0; --d) {
    const index_t k = i % g.shape[d];
    i /= g.shape[d];
    it_off += k * g.it_strides[d];
    idx_off += k * g.index_strides[d];
    if (d != g.axis) other_off += k * g.other_strides[d];
  }
  const index_t j = index[idx_off];
  if (j < 0 || j >= g.axis_size) {
    record_error(g.errors, g.op, j, g.axis_size, -1);
    return false;
  }
  other_off += j * g.other_strides[g.axis];
  return true;
}

// out (it shape) = x[... index ...]: index_select and gather.
template <class T>
__global__ void index_read_kernel(IndexArgs g, T* out, const T* x, const std::int64_t* index) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < g.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t o, xo;
    if (locate(g, i, index, o, xo)) out[o] = x[xo];
  }
}

// dst[... index ...] += src (it shape): index_add and scatter_add.
template <class T>
__global__ void index_accumulate_kernel(IndexArgs g, T* dst, const T* src,
                                        const std::int64_t* index) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < g.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t s, d;
    if (locate(g, i, index, s, d)) atomic_add(&dst[d], src[s]);
  }
}

// `per_axis_index`: the index is 1-D along `axis` (index_select, index_add); otherwise it has the
// iterated tensor's shape (gather, scatter_add).
IndexArgs make_args(int op, const StridedView& it, const StridedView& other, int axis,
                    const StridedView& index, bool per_axis_index) {
  KINDLING_CHECK(index.dtype == DType::int64, index_op_name(op), ": the index must be int64");
  // The ops check that the index is on the input's device (tensor/src/ops_index.cpp).
  IndexArgs g;
  g.op = op;
  g.errors = device_errors();
  g.ndim = it.ndim;
  g.axis = axis;
  g.axis_size = other.shape[axis];
  for (int d = 0; d < it.ndim; ++d) {
    g.shape[d] = it.shape[d];
    g.numel *= it.shape[d];
    g.it_strides[d] = it.strides[d];
    g.other_strides[d] = other.strides[d];
    g.index_strides[d] = per_axis_index ? (d == axis ? index.strides[0] : 0) : index.strides[d];
  }
  return g;
}

template <bool kRead>
void launch(int op, const StridedView& it, const StridedView& other, int axis,
            const StridedView& index, bool per_axis_index) {
  const IndexArgs g = make_args(op, it, other, axis, index, per_axis_index);
  if (g.numel == 0) return;
  const auto* idx = static_cast<const std::int64_t*>(index.data);
  with_dtype(it.dtype, [&]<class T>() {
    if constexpr (kRead)
      index_read_kernel<T><<<grid_for(g.numel), kThreads>>>(g, static_cast<T*>(it.data),
                                                            static_cast<const T*>(other.data), idx);
    else
      index_accumulate_kernel<T><<<grid_for(g.numel), kThreads>>>(
          g, static_cast<T*>(other.data), static_cast<const T*>(it.data), idx);
  });
  KINDLING_CUDA_CHECK_LAUNCH(kRead ? "index_read_kernel" : "index_accumulate_kernel");
}

}  // namespace

void index_select(const StridedView& x, int axis, const StridedView& index,
                  const StridedView& out) {
  launch<true>(kIndexSelect, out, x, axis, index, true);
}

void index_add(const StridedView& dst, int axis, const StridedView& index, const StridedView& src) {
  launch<false>(kIndexAdd, src, dst, axis, index, true);
}

void gather(const StridedView& x, int axis, const StridedView& index, const StridedView& out) {
  launch<true>(kGather, out, x, axis, index, false);
}

void scatter_add(const StridedView& dst, int axis, const StridedView& index,
                 const StridedView& src) {
  launch<false>(kScatterAdd, src, dst, axis, index, false);
}

namespace {
// One record per device, freed at exit (errors then, with the runtime going away, are moot).
struct ErrorRecords {
  std::mutex mutex;
  std::vector<DeviceErrors*> per_device;
  ~ErrorRecords() {
    for (DeviceErrors* record : per_device)
      if (record != nullptr) (void)cudaFree(record);
  }
};
ErrorRecords& error_records() {
  static ErrorRecords records;
  return records;
}
int current_device_index() {
  int device = 0;
  KINDLING_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}
}  // namespace

namespace device {
DeviceErrors* device_errors() {
  const int device = current_device_index();
  ErrorRecords& records = error_records();
  const std::lock_guard lock(records.mutex);
  if (records.per_device.size() <= static_cast<std::size_t>(device))
    records.per_device.resize(static_cast<std::size_t>(device) + 1, nullptr);
  DeviceErrors*& record = records.per_device[static_cast<std::size_t>(device)];
  if (record == nullptr) {
    DeviceErrors* made = nullptr;
    KINDLING_CUDA_CHECK(cudaMalloc(&made, sizeof(DeviceErrors)));
    KINDLING_CUDA_CHECK(cudaMemset(made, 0, sizeof(DeviceErrors)));
    record = made;
  }
  return record;
}
}  // namespace device

void check_deferred_errors() {
  DeviceErrors* record = nullptr;
  {
    const int device = current_device_index();
    ErrorRecords& records = error_records();
    const std::lock_guard lock(records.mutex);
    if (records.per_device.size() > static_cast<std::size_t>(device))
      record = records.per_device[static_cast<std::size_t>(device)];
  }
  if (record == nullptr) return;  // no kernel that can defer an error has run on this device
  DeviceErrors found{};
  KINDLING_CUDA_CHECK(cudaMemcpy(&found, record, sizeof found, cudaMemcpyDeviceToHost));
  if (found.op == kNoError) return;
  KINDLING_CUDA_CHECK(cudaMemset(record, 0, sizeof found));  // reported once
  const char* later =
      " (found by a CUDA kernel, reported at the next synchronisation; set KINDLING_CUDA_SYNC=1 to "
      "stop at the launching op)";
  KINDLING_CHECK(found.op != kCrossEntropy, "cross_entropy: target ", found.index, " of sample ",
                 found.sample, " is out of range for ", found.size, " classes", later);
  KINDLING_CHECK(false, index_op_name(found.op), ": index ", found.index,
                 " is out of range for a dimension of size ", found.size, later);
}

}  // namespace kindling::gpu
