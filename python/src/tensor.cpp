// kindling.Tensor for Python: NumPy in and out, the operators with broadcasting and PyTorch's
// promotion (numbers are wrapped numbers; comparisons give bool masks), the Python protocol (bool,
// int, float, len, hashing by identity), indexing with ints and slices, the methods and
// backward(). The free functions (creation, ops) are in tensor_functions.cpp.
//
// Note [numpy sharing]
// kindling.from_numpy(a) shares a's memory when it can, as torch.from_numpy does: a C-contiguous,
// aligned, native-order array of float32, float64, int64 or bool becomes a Tensor over the same
// bytes (kindling::from_blob), holding a reference to the array until the last tensor using it is
// gone. Other arrays, and kindling.tensor(a) always, are copied. To NumPy, nothing is copied:
// Tensor.numpy() (and __array__) returns a view of the tensor's storage, with the tensor's strides,
// whose base object is a Tensor handle, so the storage lives as long as the array does. Writing
// through such a view changes the tensor, as with torch's .numpy(); broadcast views (a stride of
// 0) come back read-only, as NumPy's own broadcast_to does.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/autograd.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"
#include "tensor_docs.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

DType parse_dtype(const std::string& name) {
  if (name == "float32") return DType::float32;
  if (name == "float64") return DType::float64;
  if (name == "int64") return DType::int64;
  if (name == "bool") return DType::bool_;
  detail::throw_error("dtype: expected 'float32', 'float64', 'int64' or 'bool', got '", name, "'");
}

Device parse_device(const std::string& name) {
  if (name == "cpu") return kCPU;
  if (name == "cuda") return Device::cuda(0);
  if (name.rfind("cuda:", 0) == 0) {
    try {
      return Device::cuda(std::stoi(name.substr(5)));
    } catch (const std::exception&) {
      // Falls through to the error below: "cuda:x" is as wrong as "tpu".
    }
  }
  detail::throw_error("device: expected 'cpu', 'cuda' or 'cuda:<index>', got '", name, "'");
}

Reduction parse_reduction(const std::string& name) {
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  if (name == "none") return Reduction::none;
  detail::throw_error("reduction: expected 'mean', 'sum' or 'none', got '", name, "'");
}

namespace {

// The kindling dtype a NumPy array becomes by default: its own when kindling has it (bool
// included); other integer arrays become int64, other floating arrays float32.
DType dtype_for(const py::array& array) {
  const py::dtype dt = array.dtype();
  if (dt.is(py::dtype::of<float>())) return DType::float32;
  if (dt.is(py::dtype::of<double>())) return DType::float64;
  const char kind = dt.kind();
  if (kind == 'b') return DType::bool_;
  if (kind == 'i' || kind == 'u') return DType::int64;
  KINDLING_CHECK(kind == 'f', "tensor: cannot make a tensor from a NumPy array of dtype ",
                 dt.attr("name").cast<std::string>());
  return DType::float32;
}

// Note [python data]
// kindling.tensor(data) lets NumPy turn data into an array. When NumPy cannot (ragged nested
// lists), or makes an array of something that is not a number (strings, None: dtype 'U' or 'O'),
// pybind11's ensure() returns null with the Python error already cleared, so the reason is gone.
// Then describe_bad_data walks the nested lists itself, with an explicit stack (no recursion, and
// at most kMaxDims levels), and names the first problem by its position:
//   tensor: the list at [1] has 2 items, expected 1 (ragged nested lists)
//   tensor: the item at [0][2] is a str, not a number
// For other objects it asks NumPy again, for NumPy's own message.

bool is_nested_list(const py::handle& object) {
  return py::isinstance<py::list>(object) || py::isinstance<py::tuple>(object);
}

std::string type_name(const py::handle& object) {
  return Py_TYPE(object.ptr())->tp_name;
}

// "[1][0]" for the indices of a position in nested lists.
std::string position_string(const std::vector<std::size_t>& position) {
  // Built with += only: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
  std::string text;
  for (std::size_t i : position) {
    text += '[';
    text += std::to_string(i);
    text += ']';
  }
  return text;
}

// What NumPy takes as one element: ints, floats, bools and NumPy scalars (or anything with
// __float__ or __index__), not strings, complex numbers or None.
bool is_number(const py::handle& object) {
  PyObject* o = object.ptr();
  return PyFloat_Check(o) || PyLong_Check(o) || PyIndex_Check(o) ||
         (PyNumber_Check(o) && !PyComplex_Check(o) && !PyUnicode_Check(o) && !PyBytes_Check(o));
}

// Throws kindling::error naming the first ragged list, non-number or too-deep nesting in
// `data` (a list or tuple); returns when it finds none.
void check_nested_lists(const py::handle& data) {
  // The expected shape, from the first item of every level.
  Shape shape;
  std::vector<std::size_t> position;
  py::handle level = data;
  while (is_nested_list(level)) {
    KINDLING_CHECK(shape.size() < static_cast<std::size_t>(kMaxDims), "tensor: the lists at ",
                   position_string(position), " are nested deeper than ", kMaxDims,
                   " levels (a tensor has at most ", kMaxDims, " dimensions)");
    const auto n = static_cast<std::int64_t>(py::len(level));
    shape.push_back(n);
    if (n == 0) break;
    level = level[py::int_(0)];
    position.push_back(0);
  }
  // Every item, depth first, against that shape.
  struct Frame {
    py::object list;
    std::size_t next;
  };
  std::vector<Frame> stack{{py::reinterpret_borrow<py::object>(data), 0}};
  position.assign(1, 0);
  while (!stack.empty()) {
    Frame& top = stack.back();
    const std::size_t depth = stack.size();  // of the items in top.list
    if (top.next == static_cast<std::size_t>(py::len(top.list))) {
      stack.pop_back();
      position.pop_back();
      continue;
    }
    position.back() = top.next;
    const py::object item = top.list[py::int_(top.next)];
    ++top.next;
    if (depth < shape.size()) {
      const auto expected = static_cast<std::size_t>(shape[depth]);
      KINDLING_CHECK(is_nested_list(item), "tensor: the item at ", position_string(position),
                     " is a ", type_name(item), ", expected a list of ", expected,
                     " items (ragged nested lists)");
      const auto items = static_cast<std::size_t>(py::len(item));
      KINDLING_CHECK(items == expected, "tensor: the list at ", position_string(position), " has ",
                     items, " items, expected ", expected, " (ragged nested lists)");
      stack.push_back({item, 0});
      position.push_back(0);
    } else {
      KINDLING_CHECK(!is_nested_list(item), "tensor: the item at ", position_string(position),
                     " is a ", type_name(item), ", expected a number (ragged nested lists)");
      KINDLING_CHECK(is_number(item), "tensor: the item at ", position_string(position), " is a ",
                     type_name(item), ", not a number");
    }
  }
}

// Why `data` cannot become an array of `dtype` (or of its own type when null), as a
// kindling::error naming the position in nested lists, or NumPy's reason.
[[noreturn]] void describe_bad_data(const py::handle& data, const py::object& dtype) {
  if (is_nested_list(data)) check_nested_lists(data);
  std::string reason = "NumPy cannot make an array of it";
  try {
    py::module_::import("numpy").attr("asarray")(data, dtype);
  } catch (py::error_already_set& e) {
    reason = e.what();
  }
  detail::throw_error("tensor: cannot make a tensor from a ", type_name(data), ": ", reason);
}

// NumPy reads any nonzero byte of a bool array as True (a uint8 array viewed as bool can hold 2);
// kindling's bool bytes are 0 or 1 (Note [bool storage] in creation.hpp).
bool bool_bytes_valid(const void* data, py::ssize_t count) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (py::ssize_t i = 0; i < count; ++i)
    if (bytes[i] > 1) return false;
  return true;
}
void normalize_bool_bytes(void* data, py::ssize_t count) {
  auto* bytes = static_cast<unsigned char*>(data);
  for (py::ssize_t i = 0; i < count; ++i)
    bytes[i] = bytes[i] != 0;
}

template <class T>
Tensor copy_array(const py::handle& object, DType dtype) {
  // ensure() converts to T and to C order only when needed (forcecast, c_style).
  auto array = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(object);
  if (!array) describe_bad_data(object, py::dtype::of<T>());
  Shape shape(array.shape(), array.shape() + array.ndim());
  Tensor result = kindling::empty(shape, dtype, kCPU, "tensor");
  if (array.size() > 0) std::memcpy(result.raw_data(), array.data(), array.nbytes());
  if constexpr (std::is_same_v<T, bool>) normalize_bool_bytes(result.raw_data(), array.size());
  return result;
}

}  // namespace

// An array of numbers made from `data` (anything np.asarray takes), or kindling::error saying
// why not (Note [python data]).
py::array numeric_array(const py::handle& data) {
  py::array array = py::array::ensure(data);
  if (!array) describe_bad_data(data, py::none());
  const char kind = array.dtype().kind();
  if (is_nested_list(data) && kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f')
    check_nested_lists(data);  // strings or None among the numbers: say where
  return array;
}

// The array's memory as a Tensor, without a copy, or an undefined Tensor when it cannot be shared
// (Note [numpy sharing]).
Tensor share_numpy(const py::handle& object) {
  if (!py::isinstance<py::array>(object)) return {};
  auto array = py::reinterpret_borrow<py::array>(object);
  const int kShareable = static_cast<int>(py::array::c_style) |
                         static_cast<int>(py::detail::npy_api::NPY_ARRAY_ALIGNED_);
  if ((array.flags() & kShareable) != kShareable || !array.writeable()) return {};
  const py::dtype dt = array.dtype();
  if (dt.attr("isnative").cast<bool>() == false) return {};
  DType dtype;
  if (dt.is(py::dtype::of<float>())) {
    dtype = DType::float32;
  } else if (dt.is(py::dtype::of<double>())) {
    dtype = DType::float64;
  } else if (dt.is(py::dtype::of<std::int64_t>())) {
    dtype = DType::int64;
  } else if (dt.is(py::dtype::of<bool>())) {
    // Shared only when every byte is 0 or 1; other bytes are copied as True (as NumPy reads them).
    if (!bool_bytes_valid(array.data(), array.size())) return {};
    dtype = DType::bool_;
  } else {
    return {};
  }
  Shape shape(array.shape(), array.shape() + array.ndim());
  // The reference to the array lives on the heap, dropped (under the GIL) with the storage.
  auto* keep_alive = new py::object(array);
  return kindling::from_blob(array.size() > 0 ? array.mutable_data() : nullptr, shape, dtype,
                             [keep_alive] {
                               py::gil_scoped_acquire gil;
                               delete keep_alive;
                             });
}

// A copy of a NumPy array (or anything np.asarray takes) as a Tensor (Note [numpy sharing]).
Tensor from_numpy(const py::handle& object, std::optional<std::string> dtype_name) {
  const py::array array = numeric_array(object);
  const DType dtype = dtype_name ? parse_dtype(*dtype_name) : dtype_for(array);
  switch (dtype) {
    case DType::float32:
      return copy_array<float>(array, dtype);
    case DType::float64:
      return copy_array<double>(array, dtype);
    case DType::int64:
      return copy_array<std::int64_t>(array, dtype);
    case DType::bool_:
      return copy_array<bool>(array, dtype);  // NumPy's cast to bool gives 0 and 1
  }
  return {};
}

namespace {

py::dtype numpy_dtype(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return py::dtype::of<float>();
    case DType::float64:
      return py::dtype::of<double>();
    case DType::int64:
      return py::dtype::of<std::int64_t>();
    case DType::bool_:
      return py::dtype::of<bool>();
  }
  return py::dtype::of<float>();
}

// A NumPy view of the tensor's storage, kept alive by a Tensor handle (Note [numpy sharing]).
py::array to_numpy(const Tensor& t) {
  KINDLING_CHECK(t.device() == kCPU, "numpy: the tensor is on ", to_string(t.device()),
                 "; copy it to the CPU first with .to('cpu')");
  const auto itemsize = static_cast<py::ssize_t>(dtype_size(t.dtype()));
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  std::vector<py::ssize_t> strides;
  bool broadcast = false;
  for (std::int64_t stride : t.strides()) {
    strides.push_back(stride * itemsize);
    broadcast = broadcast || stride == 0;
  }
  py::array array(numpy_dtype(t.dtype()), shape, strides, t.numel() > 0 ? t.raw_data() : nullptr,
                  py::cast(t));
  if (broadcast) array.attr("flags").attr("writeable") = false;
  return array;
}

}  // namespace

namespace {

// Whether nested lists or tuples (already an array, so at most NumPy's 32 levels deep) hold a
// NumPy floating scalar of 64 bits or more. torch.tensor gives Python floats its default dtype,
// float32, and a NumPy scalar its own: a list holding an np.float64 is float64, one of np.float32
// and Python floats float32. An explicit stack, no recursion.
bool holds_numpy_float64(const py::handle& data) {
  const py::object floating = py::module_::import("numpy").attr("floating");
  std::vector<py::handle> pending{data};
  while (!pending.empty()) {
    const py::handle item = pending.back();
    pending.pop_back();
    if (py::isinstance<py::list>(item) || py::isinstance<py::tuple>(item)) {
      for (const py::handle inner : item)
        pending.push_back(inner);
    } else if (py::isinstance(item, floating) && item.attr("itemsize").cast<int>() >= 8) {
      return true;
    }
  }
  return false;
}

}  // namespace

Tensor from_python_data(const py::handle& data) {
  const py::array array = numeric_array(data);
  const bool float32 = array.dtype().kind() == 'f' && !holds_numpy_float64(data);
  return from_numpy(array, float32 ? std::optional<std::string>("float32") : std::nullopt);
}

Tensor as_tensor(const py::handle& object) {
  if (py::isinstance<Tensor>(object)) return object.cast<Tensor>();
  if (py::isinstance<py::array>(object)) return from_numpy(object, std::nullopt);
  return from_python_data(object);
}

namespace {

// Python's index rules for one axis: negative from the end, IndexError outside.
std::int64_t normalize_index(std::int64_t index, std::int64_t size, std::int64_t axis) {
  const std::int64_t normalized = index < 0 ? index + size : index;
  if (normalized < 0 || normalized >= size) {
    raise_index_error("index " + std::to_string(index) + " is out of bounds for axis " +
                      std::to_string(axis) + " with size " + std::to_string(size));
  }
  return normalized;
}

// Note [python indexing]
// t[key] follows NumPy (and torch, which it extends with negative steps): ints, slices, None (a
// new axis of size 1), Ellipsis, and advanced indices: int64 or bool tensors, NumPy arrays and
// lists. Without advanced indices or negative steps the result is a view. A negative step flips
// the axis first (a copy), then slices it. Advanced indices are broadcast together (an int counts
// as one of them once any is present, as in NumPy); a bool index of k dimensions stands for the k
// int64 index lists of its true elements. The result's dimensions from the advanced indices take
// the place of the indexed axes when those are adjacent, and come first otherwise. They are
// computed by one index_select over the indexed axes merged into one, so gradients add up at
// repeated indices. t[key] = value writes through the view (copy_) when the key makes one, and
// otherwise with put_ at the positions the same key selects from arange(numel): either way an
// in-place write, which bumps the version (Note [in-place writes]).

// One item of an index key, classified.
struct IndexItem {
  enum Kind { integer, range, new_axis, ellipsis, tensor } kind;
  py::object object;           // the item itself (for range and integer)
  Tensor index;                // for tensor: int64 or bool
  std::int64_t dims() const {  // the axes of the indexed tensor it consumes
    if (kind == integer || kind == range) return 1;
    if (kind == tensor) return index.dtype() == DType::bool_ ? index.dim() : 1;
    return 0;
  }
};

std::string item_type(const py::handle& item) {
  return py::str(item.get_type().attr("__name__")).cast<std::string>();
}

std::vector<IndexItem> index_items(const py::object& key) {
  std::vector<py::object> objects;
  if (py::isinstance<py::tuple>(key)) {
    for (py::handle item : key)
      objects.push_back(py::reinterpret_borrow<py::object>(item));
  } else {
    objects.push_back(key);
  }
  std::vector<IndexItem> items;
  bool has_ellipsis = false;
  for (const py::object& item : objects) {
    if (item.is(py::ellipsis())) {
      if (has_ellipsis) raise_index_error("an index can only have a single ellipsis ('...')");
      has_ellipsis = true;
      items.push_back({IndexItem::ellipsis, item, {}});
    } else if (item.is_none()) {
      items.push_back({IndexItem::new_axis, item, {}});
    } else if (py::isinstance<py::slice>(item)) {
      items.push_back({IndexItem::range, item, {}});
    } else if (PyBool_Check(item.ptr())) {
      raise_index_error("a Python bool as an index is not supported; use a bool tensor");
    } else if (PyIndex_Check(item.ptr()) && !py::isinstance<py::array>(item) &&
               !py::isinstance<Tensor>(item)) {
      items.push_back({IndexItem::integer, item, {}});
    } else if (py::isinstance<Tensor>(item) || py::isinstance<py::list>(item) ||
               py::isinstance<py::tuple>(item) || py::isinstance<py::array>(item)) {
      Tensor index = as_tensor(item);
      // NumPy makes [] a float64 array; as an index it selects nothing.
      if (index.numel() == 0 && is_floating(index.dtype())) index = index.to(DType::int64);
      if (index.dtype() != DType::int64 && index.dtype() != DType::bool_) {
        raise_index_error("tensors used as indices must be int64 or bool, got " +
                          std::string(dtype_name(index.dtype())));
      }
      if (index.dtype() == DType::bool_ && index.dim() == 0)
        raise_index_error("a 0-d bool index is not supported");
      items.push_back({IndexItem::tensor, item, index});
    } else {
      throw py::type_error(
          "tensor indices must be integers, slices, None, '...', or int64 or bool tensors, not " +
          item_type(item));
    }
  }
  return items;
}

// The positions of the true elements of a bool mask, one int64 vector per dimension.
std::vector<std::vector<std::int64_t>> true_positions(const Tensor& mask) {
  const std::vector<bool> bits = mask.to_vector<bool>();
  const Shape& shape = mask.shape();
  std::vector<std::vector<std::int64_t>> coords(shape.size());
  for (std::size_t i = 0; i < bits.size(); ++i) {
    if (!bits[i]) continue;
    std::size_t rest = i;
    for (std::size_t d = shape.size(); d-- > 0;) {
      coords[d].push_back(static_cast<std::int64_t>(rest % static_cast<std::size_t>(shape[d])));
      rest /= static_cast<std::size_t>(shape[d]);
    }
  }
  return coords;
}

// One advanced index, applied to axis `axis` of the partly indexed tensor: its int64 values
// (row-major, of `shape`).
struct AdvancedIndex {
  std::int64_t axis;
  Shape shape;
  std::vector<std::int64_t> values;
};

// x[key] for one axis of a slice with a negative step: the axis flipped, then sliced.
Tensor negative_step_slice(const Tensor& x, std::int64_t axis, py::ssize_t start, py::ssize_t step,
                           py::ssize_t length) {
  if (length == 0) return slice(x, axis, 0, 0);
  const std::int64_t n = x.size(axis);
  const std::int64_t first = n - 1 - start, stride = -step;
  return slice(flip(x, {axis}), axis, first, first + (length - 1) * stride + 1, stride);
}

// Whether t[key] is a view of t (no advanced index, no negative step), so that assignment can
// write through it.
bool indexes_a_view(const std::vector<IndexItem>& items) {
  for (const IndexItem& item : items) {
    if (item.kind == IndexItem::tensor) return false;
    if (item.kind == IndexItem::range) {
      const auto s = py::reinterpret_borrow<py::slice>(item.object);
      const py::object step = s.attr("step");
      if (!step.is_none() && step.cast<py::ssize_t>() < 0) return false;
    }
  }
  return true;
}

Tensor index_with(const Tensor& t, const std::vector<IndexItem>& items) {
  bool has_advanced = false;
  std::int64_t explicit_axes = 0;
  for (const IndexItem& item : items) {
    has_advanced = has_advanced || item.kind == IndexItem::tensor;
    explicit_axes += item.dims();
  }
  if (explicit_axes > t.dim()) {
    raise_index_error("too many indices: the tensor has " + std::to_string(t.dim()) +
                      " dimensions but " + std::to_string(explicit_axes) + " were indexed");
  }
  Tensor result = t;
  std::int64_t axis = 0;         // the axis of `result` the next item applies to
  std::int64_t source_axis = 0;  // ... and of `t`, for messages (ints drop axes from `result`)
  std::vector<AdvancedIndex> advanced;
  for (const IndexItem& item : items) {
    switch (item.kind) {
      case IndexItem::ellipsis: {
        const std::int64_t skipped = t.dim() - explicit_axes;
        axis += skipped;
        source_axis += skipped;
        break;
      }
      case IndexItem::new_axis:
        result = unsqueeze(result, axis);
        ++axis;
        break;
      case IndexItem::range: {
        py::ssize_t start = 0, stop = 0, step = 0, length = 0;
        if (!py::reinterpret_borrow<py::slice>(item.object)
                 .compute(static_cast<py::ssize_t>(result.size(axis)), &start, &stop, &step,
                          &length)) {
          throw py::error_already_set();
        }
        result = step > 0 ? slice(result, axis, start, start + length * step, step)
                          : negative_step_slice(result, axis, start, step, length);
        ++axis;
        ++source_axis;
        break;
      }
      case IndexItem::integer: {
        const std::int64_t i =
            normalize_index(item.object.cast<std::int64_t>(), result.size(axis), source_axis);
        if (has_advanced) {  // a 0-d advanced index, broadcast with the others
          advanced.push_back({axis, {}, {i}});
          ++axis;
        } else {
          result = squeeze(slice(result, axis, i, i + 1), axis);
        }
        ++source_axis;
        break;
      }
      case IndexItem::tensor: {
        const Tensor& index = item.index;
        if (index.dtype() == DType::bool_) {
          for (std::int64_t d = 0; d < index.dim(); ++d) {
            if (index.shape()[d] != result.size(axis + d)) {
              raise_index_error("the shape of the mask " + shape_string(index.shape()) +
                                " does not match the indexed dimensions of the tensor " +
                                shape_string(t.shape()) + " from dimension " +
                                std::to_string(source_axis));
            }
          }
          std::vector<std::vector<std::int64_t>> coords = true_positions(index);
          const auto count = static_cast<std::int64_t>(coords.empty() ? 0 : coords[0].size());
          for (std::int64_t d = 0; d < index.dim(); ++d)
            advanced.push_back({axis + d, {count}, std::move(coords[d])});
        } else {
          std::vector<std::int64_t> values = index.to_vector<std::int64_t>();
          for (std::int64_t& v : values)
            v = normalize_index(v, result.size(axis), source_axis);
          advanced.push_back({axis, index.shape(), std::move(values)});
        }
        axis += item.dims();
        source_axis += item.dims();
        break;
      }
    }
  }
  if (advanced.empty()) return result;

  // The advanced indices broadcast together, then one flat index into their merged axes.
  Shape shape;
  for (const AdvancedIndex& a : advanced)
    shape = broadcast_shapes(shape, a.shape, "index");
  const std::int64_t count = checked_numel(shape, "index");
  std::vector<std::int64_t> flat(static_cast<std::size_t>(count), 0);
  for (const AdvancedIndex& a : advanced) {
    const std::int64_t size = result.size(a.axis);
    // Position i of the broadcast shape reads a.values at the same multi-index, with the
    // broadcast dimensions (size 1 or missing on the left) pinned at 0.
    const std::size_t lead = shape.size() - a.shape.size();
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t rest = i, source = 0, stride = 1;
      for (std::size_t d = shape.size(); d-- > lead;) {
        const std::int64_t coord = rest % shape[d];
        rest /= shape[d];
        const std::int64_t own = a.shape[d - lead];
        source += (own == 1 ? 0 : coord) * stride;
        stride *= own;
      }
      flat[static_cast<std::size_t>(i)] =
          flat[static_cast<std::size_t>(i)] * size + a.values[static_cast<std::size_t>(source)];
    }
  }
  bool adjacent = true;
  for (std::size_t j = 1; j < advanced.size(); ++j)
    adjacent = adjacent && advanced[j].axis == advanced[j - 1].axis + 1;
  // The indexed axes moved together (where the first is, or to the front) and merged into one.
  Shape order, merged_shape;
  const std::int64_t first = adjacent ? advanced.front().axis : 0;
  std::int64_t merged = 1;
  for (const AdvancedIndex& a : advanced)
    merged = checked_mul(merged, result.size(a.axis), "index");
  auto is_advanced = [&advanced](std::int64_t d) {
    for (const AdvancedIndex& a : advanced)
      if (a.axis == d) return true;
    return false;
  };
  for (std::int64_t d = 0; d < result.dim(); ++d) {
    if (static_cast<std::int64_t>(order.size()) == first) {
      for (const AdvancedIndex& a : advanced)
        order.push_back(a.axis);
      merged_shape.push_back(merged);
    }
    if (is_advanced(d)) continue;
    order.push_back(d);
    merged_shape.push_back(result.size(d));
  }
  if (static_cast<std::int64_t>(order.size()) < result.dim()) {  // the block is last
    for (const AdvancedIndex& a : advanced)
      order.push_back(a.axis);
    merged_shape.push_back(merged);
  }
  const Tensor block = reshape(permute(result, order), merged_shape);
  Tensor positions = from_vector(flat, {count});
  if (t.device() != kCPU) positions = positions.to(t.device());
  const Tensor picked = index_select(block, first, positions);
  Shape final_shape(picked.shape().begin(), picked.shape().begin() + first);
  final_shape.insert(final_shape.end(), shape.begin(), shape.end());
  final_shape.insert(final_shape.end(), picked.shape().begin() + first + 1, picked.shape().end());
  return reshape(picked, final_shape);
}

Tensor index(const Tensor& t, const py::object& key) {
  return index_with(t, index_items(key));
}

// t[key] = value (Note [python indexing]).
void set_index(const Tensor& t, const py::object& key, const py::object& value) {
  Tensor source;
  if (py::isinstance<Tensor>(value)) {
    source = value.cast<Tensor>();
  } else if (const std::optional<Scalar> s = as_scalar(value)) {
    source = full({}, *s, t.dtype(), t.device());
  } else {
    source = as_tensor(value);
  }
  // The write is checked against the indexed tensor itself (a view of a leaf is no leaf).
  if (is_grad_enabled() && t.requires_grad()) {
    KINDLING_CHECK(!t.is_leaf(), "setitem: a leaf tensor that requires grad (shape ",
                   shape_string(t.shape()),
                   ") is being used in an in-place operation; wrap it in no_grad, or write into "
                   "detach()");
    detail::throw_error("setitem: the tensor of shape ", shape_string(t.shape()), " came from ",
                        op_name(t.op()),
                        " and requires grad; in-place writes are not recorded in the graph "
                        "(write under no_grad, into detach(), or make a new tensor)");
  }
  const std::vector<IndexItem> items = index_items(key);
  if (indexes_a_view(items)) {
    index_with(t, items).copy_(source);
    return;
  }
  const Tensor positions = index_with(arange(t.numel(), DType::int64).reshape(t.shape()), items);
  bool fits = true;
  try {
    fits = broadcast_shapes(positions.shape(), source.shape(), "setitem") == positions.shape();
  } catch (const kindling::error&) {
    fits = false;
  }
  KINDLING_CHECK(fits, "setitem: a value of shape ", shape_string(source.shape()),
                 " cannot be broadcast to the indexed shape ", shape_string(positions.shape()));
  t.put_(positions, expand(source, positions.shape()));
}

py::tuple shape_tuple(const Shape& shape) {
  py::tuple tuple(shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i)
    tuple[i] = shape[i];
  return tuple;
}

}  // namespace

std::optional<Scalar> as_scalar(const py::handle& object) {
  if (PyBool_Check(object.ptr())) return Scalar(object.ptr() == Py_True);
  if (PyLong_Check(object.ptr())) {
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(object.ptr(), &overflow);
    KINDLING_CHECK(overflow == 0, "the Python int ", py::str(object).cast<std::string>(),
                   " does not fit int64");
    return Scalar(value);
  }
  if (PyFloat_Check(object.ptr())) return Scalar(PyFloat_AsDouble(object.ptr()));
  // NumPy scalars (np.float32(0.5), np.int32(2), np.bool_(True)) are numbers too.
  static const py::handle numpy_scalar =
      py::object(py::module_::import("numpy").attr("generic")).release();  // kept for the process
  if (!py::isinstance(object, numpy_scalar)) return std::nullopt;
  const std::string kind = object.attr("dtype").attr("kind").cast<std::string>();
  if (kind != "b" && kind != "i" && kind != "u" && kind != "f") return std::nullopt;
  return as_scalar(object.attr("item")());
}

// The single value as a Python int (int64), bool (bool) or float; `who` names the caller in the
// error for another element count.
py::object scalar_to_python(const Tensor& t, const char* who) {
  KINDLING_CHECK(t.numel() == 1, who, ": the tensor has shape ", shape_string(t.shape()), " (",
                 t.numel(), " elements), not one element (only one element tensors can be ",
                 "converted to Python scalars)");
  switch (t.dtype()) {
    case DType::int64:
      return py::int_(t.to_vector<std::int64_t>()[0]);
    case DType::bool_:
      return py::bool_(t.item() != 0.0);
    default:
      break;
  }
  return py::float_(t.item());
}

Axes to_axes(const py::object& axis) {
  if (axis.is_none()) return {};
  if (PyIndex_Check(axis.ptr())) return {axis.cast<std::int64_t>()};
  return axis.cast<Axes>();
}

// Note [python shapes]
// pybind11's own conversion of a shape to std::vector<int64_t> rejects an int past int64 as a
// TypeError about "incompatible function arguments", which hides what was wrong. to_shape reads
// each size with PyNumber_Index and PyLong_AsLongLongAndOverflow instead, and names the op and
// the position; sizes inside int64 then go through the op's own checks (Note [checked shape
// arithmetic]), so (2**31, 2**31) and (-1, 3) get the same errors as in C++.
Shape to_shape(const py::handle& object, const char* op) {
  auto size_of = [op](const py::handle& item, std::size_t position) -> std::int64_t {
    if (!PyIndex_Check(item.ptr())) {
      throw py::type_error(std::string(op) + ": the shape must be an int or a sequence of ints; " +
                           "item " + std::to_string(position) + " is a " + type_name(item));
    }
    const auto index = py::reinterpret_steal<py::object>(PyNumber_Index(item.ptr()));
    if (!index) throw py::error_already_set();
    int overflow = 0;
    const long long value = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
    KINDLING_CHECK(overflow == 0, op, ": size ", py::str(index).cast<std::string>(),
                   " at position ", position, " of the shape does not fit in int64");
    return static_cast<std::int64_t>(value);
  };
  // An int (or a NumPy integer scalar) is a 1-D shape. NumPy arrays have the __index__ slot too,
  // so sequences are tried before it.
  if (PyLong_Check(object.ptr())) return {size_of(object, 0)};
  const bool sequence_like = py::isinstance<py::sequence>(object) &&
                             !py::isinstance<py::str>(object) && !py::isinstance<py::bytes>(object);
  if (!sequence_like && PyIndex_Check(object.ptr())) return {size_of(object, 0)};
  if (!sequence_like) {
    throw py::type_error(std::string(op) + ": the shape must be an int or a sequence of ints, " +
                         "not a " + type_name(object));
  }
  const auto sequence = py::reinterpret_borrow<py::sequence>(object);
  Shape shape;
  shape.reserve(sequence.size());
  for (std::size_t i = 0; i < sequence.size(); ++i)
    shape.push_back(size_of(sequence[i], i));
  return shape;
}

Shape shape_args(const py::args& args, const char* op) {
  if (args.size() == 1) return to_shape(args[0], op);
  return to_shape(args, op);
}

void bind_tensor(py::module_& m) {
  py::class_<Tensor> tensor(m, "Tensor",
                            R"(An n-dimensional array in the autograd graph, as torch.Tensor.

A Tensor has a dtype (``'float32'``, the working type; ``'float64'``; ``'int64'`` for labels
and indices; ``'bool'`` for masks), a shape, strides and a device (``'cpu'``, or ``'cuda:0'``
in a CUDA build). It is not constructed directly: make one with :func:`kindling.tensor` (a copy
of a list or NumPy array), :func:`kindling.from_numpy` (sharing the array's memory),
:func:`kindling.zeros`, :func:`kindling.ones`, :func:`kindling.arange`, :func:`kindling.randn`
and the other creation functions. ``t.numpy()`` is a NumPy view of its storage.

Arithmetic (``+ - * / ** @``) broadcasts as NumPy does and promotes dtypes as PyTorch does;
comparisons give bool masks; ``t[key]`` indexes as NumPy (views for ints, slices, None and
``...``; copies for int64 / bool index tensors and lists). Each op on tensors that require grad
records a graph node, and ``backward()`` fills ``.grad`` of the leaves. Reductions take ``axis``
(NumPy's word) and also torch's ``dim``.

Differences from torch: no in-place autograd (in-place writes into a tensor that requires grad
raise kindling.Error under grad mode), no complex, half or small integer dtypes, at most 8
dimensions (kindling::kMaxDims), and ``==`` is elementwise while hashing is by identity (as in
torch).

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.shape, x.dtype, x.device
    ((2, 2), 'float32', 'cpu')
    >>> y = (x * x).sum()
    >>> y
    tensor(30.0000, grad_fn=<sum>)
    >>> y.backward()
    >>> x.grad
    tensor([[2.0000, 4.0000],
            [6.0000, 8.0000]])
)");

  // NumPy must leave `array + tensor` to Tensor.__radd__ rather than loop over the tensor.
  tensor.attr("__array_ufunc__") = py::none();

  tensor
      .def_property_readonly(
          "shape", [](const Tensor& t) { return shape_tuple(t.shape()); },
          R"(The sizes of the dimensions, as a tuple of ints (torch's is a torch.Size, a tuple too).

Example:
    >>> kindling.zeros(2, 3).shape
    (2, 3)
    >>> kindling.tensor(1.0).shape
    ()
)")
      .def_property_readonly(
          "strides", [](const Tensor& t) { return shape_tuple(t.strides()); },
          R"(The step between neighbours of each dimension, in elements (NumPy's are in bytes).

torch's ``t.stride()`` is a method; views share storage and have their own strides.

Example:
    >>> x = kindling.zeros(2, 3)
    >>> x.strides, x.T.strides
    ((3, 1), (1, 3))
)")
      .def_property_readonly(
          "dtype", [](const Tensor& t) { return std::string(dtype_name(t.dtype())); },
          R"(The element type as a string: ``'float32'``, ``'float64'``, ``'int64'`` or ``'bool'``.

The strings compare equal to ``kindling.float32``, ``kindling.float64``, ``kindling.int64`` and
``kindling.bool`` (torch's are dtype objects).

Example:
    >>> kindling.tensor([1, 2]).dtype
    'int64'
    >>> kindling.tensor([1.0]).dtype == kindling.float32
    True
)")
      .def_property_readonly(
          "device", [](const Tensor& t) { return to_string(t.device()); },
          R"(Where the storage lives, as a string: ``'cpu'`` or ``'cuda:<index>'``.

Example:
    >>> kindling.zeros(2).device
    'cpu'
)")
      .def_property_readonly("ndim", &Tensor::dim,
                             R"(The number of dimensions (0 for a 0-d tensor), as ``dim()``.

Example:
    >>> kindling.zeros(2, 3).ndim
    2
)")
      .def("dim", &Tensor::dim,
           R"(The number of dimensions, as torch's ``dim()`` (also the ``ndim`` property).

Example:
    >>> kindling.zeros(2, 3, 4).dim()
    3
)")
      .def("numel", &Tensor::numel,
           R"(The number of elements: the product of the shape (1 for a 0-d tensor).

Example:
    >>> kindling.zeros(2, 3).numel()
    6
)")
      .def("size", &Tensor::size, py::arg("axis"),
           R"(The size of one dimension.

Unlike torch's ``size()``, the axis is required: the whole shape is the ``shape`` property.

Args:
    axis (int): the dimension; negative counts from the end. torch's ``dim`` is accepted too.

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> kindling.zeros(2, 3).size(-1)
    3
)")
      .def("is_contiguous", &Tensor::is_contiguous,
           R"(Whether the elements lie in row-major order without gaps (C order).

Views made by ``transpose``, ``permute``, ``expand`` and strided slices usually are not;
``contiguous()`` makes a row-major copy.

Example:
    >>> x = kindling.zeros(2, 3)
    >>> x.is_contiguous(), x.T.is_contiguous()
    (True, False)
)")
      .def_property(
          "requires_grad", &Tensor::requires_grad,
          [](Tensor& t, bool requires_grad) { t.set_requires_grad(requires_grad); },
          R"(Whether backward() computes a gradient for this tensor (settable on leaves).

A tensor computed from one that requires grad requires grad too (under grad mode).

Raises:
    kindling.Error: when set on a tensor that an op produced ("only leaves can change it"; use
        ``detach()``), or set to True on an int64 or bool tensor.

Example:
    >>> w = kindling.ones(2)
    >>> w.requires_grad = True
    >>> (w * 2).requires_grad
    True
)")
      .def(
          "requires_grad_", [](Tensor& t, bool r) { return t.set_requires_grad(r); },
          py::arg("requires_grad") = true,
          R"(Sets ``requires_grad`` in place and returns the tensor, as torch's ``requires_grad_()``.

Args:
    requires_grad (bool): the new flag (default True).

Raises:
    kindling.Error: for a tensor that an op produced, or True for an int64 or bool tensor
        ("only floating-point tensors can require grad").

Example:
    >>> kindling.zeros(2).requires_grad_().requires_grad
    True
)")
      .def_property(
          "grad",
          [](const Tensor& t) -> py::object {
            Tensor g = t.grad();
            return g.defined() ? py::cast(g) : py::none();
          },
          // torch's `p.grad = None` (how a create_graph backward's cycle is broken, Note
          // [create_graph]); kindling does not take a gradient from outside.
          [](const Tensor& t, const py::object& value) {
            KINDLING_CHECK(value.is_none(),
                           "grad: only None can be assigned (it forgets the gradient, as "
                           "zero_grad() does); kindling's gradients come from backward");
            t.zero_grad();
          },
          R"(The gradient that backward() accumulated here, or None before any.

Leaves that require grad keep their gradient, adding to it on every backward (call
``zero_grad()`` or an optimizer's ``zero_grad()`` between steps); an interior tensor keeps one
only after ``retain_grad()``. After ``backward(create_graph=True)`` it is a graph node itself.
Assigning None forgets it, as ``zero_grad()`` does.

Raises:
    kindling.Error: when anything but None is assigned.

Example:
    >>> w = kindling.tensor([1.0, 2.0], requires_grad=True)
    >>> (w * 3).sum().backward()
    >>> w.grad
    tensor([3.0000, 3.0000])
    >>> w.grad = None
    >>> w.grad is None
    True
)")
      .def_property_readonly("is_leaf", &Tensor::is_leaf,
                             R"(True for a tensor no recorded op produced, as torch's ``is_leaf``.

Tensors made by creation functions, by ops on tensors that do not require grad, and under
``no_grad`` are leaves; the results of recorded ops are not.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> w.is_leaf, (w * 2).is_leaf, kindling.ones(2).is_leaf
    (True, False, True)
)")
      .def_property_readonly("_version", &Tensor::version,
                             "How many in-place writes this tensor's storage has seen (torch's "
                             "_version); backward refuses a saved tensor whose version changed")
      .def_property_readonly(
          "op", [](const Tensor& t) { return std::string(op_name(t.op())); },
          R"(The name of the op that produced this tensor in the graph, ``'leaf'`` for a leaf.

torch's nearest is ``grad_fn`` (an object); the repr shows it as ``grad_fn=<op>``.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> w.op, (w * 2).sum().op
    ('leaf', 'sum')
)")
      .def_property(
          "label", [](const Tensor& t) { return t.label(); },
          [](Tensor& t, std::string label) { t.set_label(std::move(label)); },
          R"(A name for the tensor in graph drawings (kindling.to_dot); ``''`` by default.

Example:
    >>> w = kindling.ones(2)
    >>> w.label = "w"
    >>> w.label
    'w'
)")
      .def(
          "backward",
          [](const Tensor& t, const py::object& gradient, std::optional<bool> retain_graph,
             bool create_graph) {
            t.backward(gradient.is_none() ? Tensor{} : as_tensor(gradient), retain_graph,
                       create_graph);
          },
          py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(),
          py::arg("create_graph") = false,
          R"(Computes the gradients of this tensor with respect to the leaves, as torch's ``backward()``.

The gradient is added to ``.grad`` of every leaf that requires grad (gradients accumulate
across calls, as in torch) and of interior tensors that called ``retain_grad()``.

Args:
    gradient (Tensor, optional): d(something)/d(this tensor), of this tensor's shape and device
        (a list or array is converted). May be omitted only for a one-element tensor (then 1).
    retain_graph (bool, optional): keep the saved tensors for another backward through the same
        graph; defaults to ``create_graph``. Without it a second backward raises kindling.Error
        naming the op whose saved tensors were freed.
    create_graph (bool): record the backward itself, so ``.grad`` is a graph node that can be
        differentiated again (second derivatives).

Raises:
    kindling.Error: when this tensor does not require grad, when ``gradient`` is omitted for a
        tensor of more than one element ("a non-scalar root needs an explicit gradient"), or has
        another shape or device.

Example:
    >>> x = kindling.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x ** 2).sum().backward()
    >>> x.grad
    tensor([2.0000, 4.0000, 6.0000])
    >>> (x * 10).backward(kindling.ones(3))   # adds to x.grad
    >>> x.grad
    tensor([12.0000, 14.0000, 16.0000])
)")
      .def("zero_grad", &Tensor::zero_grad,
           R"(Forgets this tensor's gradient: ``.grad`` is None until the next backward().

The next backward starts the gradient from nothing instead of adding to it; torch's equivalent
is ``t.grad = None``.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> w.sum().backward()
    >>> w.zero_grad()
    >>> w.grad is None
    True
)")
      .def("detach", &Tensor::detach,
           R"(A view of the same storage that is cut from the graph, as torch's ``detach()``.

The result is a leaf that does not require grad; writes through it show in this tensor.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> d = (w * 2).detach()
    >>> d.requires_grad, d.is_leaf
    (False, True)
)")
      .def(
          "copy_", [](const Tensor& t, const py::object& src) { return t.copy_(as_tensor(src)); },
          py::arg("src"),
          R"(Copies ``src`` into this tensor in place and returns this tensor, as torch's ``copy_``.

``src`` (a tensor, list or array) is broadcast to this shape and converted to this dtype and
device. The write is not recorded in the graph (kindling has no in-place autograd) and bumps
``_version``; a ``src`` overlapping this storage is read in full before it is overwritten.

Args:
    src (Tensor or array-like): the values.

Raises:
    kindling.Error: when this tensor requires grad under grad mode (write under ``no_grad`` or
        into ``detach()``), when ``src`` requires grad under grad mode, when ``src`` does not
        broadcast to this shape, or when this tensor is an expanded (stride-0) view.

Example:
    >>> t = kindling.zeros(2, 2)
    >>> t.copy_([1.0, 2.0])
    tensor([[1.0000, 2.0000],
            [1.0000, 2.0000]])
)")
      .def(
          "fill_",
          [](const Tensor& t, const py::object& value) {
            if (py::isinstance<Tensor>(value)) {
              const Tensor v = value.cast<Tensor>();
              KINDLING_CHECK(v.dim() == 0,
                             "fill_: value must be a number or a 0-d tensor, got a "
                             "tensor of shape ",
                             shape_string(v.shape()));
              return t.copy_(v);
            }
            const std::optional<Scalar> s = as_scalar(value);
            KINDLING_CHECK(s.has_value(), "fill_: value must be a number or a 0-d tensor, got ",
                           py::str(py::type::of(value)).cast<std::string>());
            return t.fill_(*s);
          },
          py::arg("value"),
          R"(Sets every element to ``value`` in place and returns this tensor, as torch's ``fill_``.

Not recorded in the graph; bumps ``_version``.

Args:
    value (number or 0-d Tensor): converted to this tensor's dtype.

Raises:
    kindling.Error: when ``value`` is a tensor that is not 0-d, when it does not fit the dtype
        (NaN, inf or an out-of-range number into int64), when this tensor requires grad under
        grad mode, or when it is an expanded view.

Example:
    >>> kindling.zeros(3).fill_(2.5)
    tensor([2.5000, 2.5000, 2.5000])
)")
      .def("zero_", &Tensor::zero_,
           R"(Sets every element to 0 in place and returns this tensor, as torch's ``zero_``.

Raises:
    kindling.Error: as ``fill_``: for a tensor that requires grad under grad mode, or an
        expanded view.

Example:
    >>> kindling.ones(2).zero_()
    tensor([0.0000, 0.0000])
)")
      .def(
          "item", [](const Tensor& t) { return scalar_to_python(t, "item"); },
          R"(The single element as a Python number: int for int64, bool for bool, float otherwise.

Raises:
    kindling.Error: when the tensor does not have exactly one element.

Example:
    >>> kindling.tensor([2.5]).item(), kindling.tensor(3).item()
    (2.5, 3)
)")
      .def("numpy", &to_numpy,
           R"(A NumPy array over this tensor's storage, without a copy, as torch's ``numpy()``.

The array has the tensor's shape and strides and keeps the storage alive; writing through it
changes the tensor. Broadcast (stride-0) views come back read-only. Unlike torch, a tensor that
requires grad is accepted (the array holds its values).

Raises:
    kindling.Error: for a tensor that is not on the CPU (copy it with ``.to('cpu')`` first).

Example:
    >>> a = kindling.tensor([1.0, 2.0]).numpy()
    >>> a.dtype, a.tolist()
    (dtype('float32'), [1.0, 2.0])
)")
      .def(
          "__array__",
          [](const Tensor& t, const py::object& dtype) {
            py::array array = to_numpy(t);
            return dtype.is_none() ? array : array.attr("astype")(dtype).cast<py::array>();
          },
          py::arg("dtype") = py::none())
      .def(
          "tolist", [](const Tensor& t) { return to_numpy(t).attr("tolist")(); },
          R"(The elements as nested Python lists of numbers (a number for a 0-d tensor), as torch's.

Raises:
    kindling.Error: for a tensor that is not on the CPU.

Example:
    >>> kindling.tensor([[1, 2], [3, 4]]).tolist()
    [[1, 2], [3, 4]]
)")
      .def("__float__",
           [](const Tensor& t) {
             return scalar_to_python(t.to(DType::float64), "float").cast<double>();
           })
      .def("__int__",
           [](const Tensor& t) -> py::object { return py::int_(scalar_to_python(t, "int")); })
      // The truth of the single value, as torch: bool(tensor([0.])) is False; more (or fewer)
      // elements than one are ambiguous.
      .def("__bool__",
           [](const Tensor& t) {
             KINDLING_CHECK(t.numel() <= 1,
                            "Boolean value of Tensor with more than one value is ambiguous (shape ",
                            shape_string(t.shape()), "); use any() or all()");
             KINDLING_CHECK(t.numel() == 1, "Boolean value of Tensor with no values is ambiguous");
             return t.item() != 0.0;  // NaN is true, as bool(float('nan'))
           })
      // `==` is elementwise, so hashing is by identity (as torch.Tensor): tensors stay usable as
      // dict keys and in sets.
      .def("__hash__", [](const py::handle& self) { return PyBaseObject_Type.tp_hash(self.ptr()); })
      .def("__len__",
           [](const Tensor& t) {
             if (t.dim() == 0) throw py::type_error("len() of a 0-d tensor");
             return t.size(0);
           })
      .def("__getitem__", &index)
      .def("__setitem__", &set_index,
           "t[key] = value: an in-place write (it bumps _version), as torch's")
      .def("__repr__", [](const Tensor& t) { return to_string(t); })
      // Views and copies.
      // Sizes as one sequence or as separate ints, as torch takes them: x.view(-1, 784).
      .def(
          "view", [](const Tensor& t, const py::args& s) { return t.view(shape_args(s, "view")); },
          R"(The same storage seen with another shape, as torch's ``view``: ``x.view(2, 3)`` or ``x.view((2, 3))``.

One size may be -1 (inferred). The strides must allow the view (a contiguous tensor always
does); otherwise use ``reshape``, which copies when it must.

Raises:
    kindling.Error: when the element counts differ, more than one size is -1, or the strides do
        not allow a view.

Example:
    >>> kindling.arange(6.0).view(2, -1).shape
    (2, 3)
)")
      .def(
          "reshape",
          [](const Tensor& t, const py::args& s) { return t.reshape(shape_args(s, "reshape")); },
          R"(This tensor with another shape: a view when the strides allow one, else a copy, as torch's.

Sizes as several ints or one sequence; one size may be -1 (inferred).

Raises:
    kindling.Error: when the element counts differ or more than one size is -1.

Example:
    >>> kindling.arange(6.0).reshape((3, 2))
    tensor([[0.0000, 1.0000],
            [2.0000, 3.0000],
            [4.0000, 5.0000]])
)")
      .def(
          "permute",
          [](const Tensor& t, const py::args& o) { return t.permute(shape_args(o, "permute")); },
          R"(A view with the dimensions reordered, as torch's ``permute``: ``x.permute(2, 0, 1)``.

Args:
    order (ints): a permutation of ``0 .. ndim-1`` (negative counts from the end), as several
        ints or one sequence.

Raises:
    kindling.Error: when the order is not a permutation of the dimensions.

Example:
    >>> kindling.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
)")
      .def("transpose", &Tensor::transpose, py::arg("a") = -2, py::arg("b") = -1,
           R"(A view with dimensions ``a`` and ``b`` swapped, as torch's ``transpose(dim0, dim1)``.

Unlike torch, both have defaults: the last two dimensions (as ``.T`` here).

Args:
    a (int): a dimension (default -2).
    b (int): the other (default -1).

Raises:
    kindling.Error: for a dimension out of range (a tensor of fewer than 2 dimensions needs
        explicit ones).

Example:
    >>> kindling.zeros(2, 3, 4).transpose(0, 2).shape
    (4, 3, 2)
)")
      .def_property_readonly(
          "T", [](const Tensor& t) { return t.transpose(-2, -1); },
          R"(The last two dimensions swapped, a view: ``transpose(-2, -1)``.

torch's ``.T`` reverses every dimension (and is deprecated beyond 2-D); this is torch's ``.mT``
for any number of dimensions, and the same as torch's ``.T`` for a matrix.

Raises:
    kindling.Error: for a tensor of fewer than 2 dimensions.

Example:
    >>> kindling.zeros(2, 3).T.shape
    (3, 2)
)")
      .def(
          "expand",
          [](const Tensor& t, const py::args& s) { return t.expand(shape_args(s, "expand")); },
          R"(A broadcast view: size-1 dimensions stretched to the given sizes (stride 0), as torch's ``expand``.

New leading dimensions may be added; -1 keeps a dimension's size. Nothing is copied, and the
gradient sums over the stretched dimensions.

Raises:
    kindling.Error: when a dimension of size > 1 would change size.

Example:
    >>> kindling.tensor([[1.0], [2.0]]).expand(2, 3)
    tensor([[1.0000, 1.0000, 1.0000],
            [2.0000, 2.0000, 2.0000]])
)")
      .def(
          "squeeze",
          [](const Tensor& t, std::optional<std::int64_t> axis) {
            if (axis) return t.squeeze(*axis);
            Shape shape;  // without an axis every size-1 axis goes, as torch's squeeze()
            for (std::int64_t size : t.shape())
              if (size != 1) shape.push_back(size);
            return t.view(shape);
          },
          py::arg("axis") = py::none(),
          R"(A view without size-1 dimensions, as torch's ``squeeze``.

Args:
    axis (int, optional): only this dimension, when its size is 1 (otherwise the tensor comes
        back unchanged, as in torch). None (the default) removes every size-1 dimension.
        torch's ``dim`` is accepted too.

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> x = kindling.zeros(1, 3, 1)
    >>> x.squeeze().shape, x.squeeze(0).shape
    ((3,), (3, 1))
)")
      .def("unsqueeze", &Tensor::unsqueeze, py::arg("axis"),
           R"(A view with a new dimension of size 1 at ``axis``, as torch's ``unsqueeze``.

Args:
    axis (int): where the new dimension goes, in ``[-ndim-1, ndim]``; torch's ``dim`` too.

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> kindling.zeros(2, 3).unsqueeze(0).shape
    (1, 2, 3)
)")
      .def(
          "flatten", &Tensor::flatten, py::arg("start") = 0, py::arg("end") = -1,
          R"(Dimensions ``start`` to ``end`` (inclusive) merged into one, as torch's ``flatten(start_dim, end_dim)``.

A view when the strides allow it, else a copy (as reshape); a 0-d tensor becomes shape (1,).

Args:
    start (int): the first dimension to merge (default 0).
    end (int): the last (default -1).

Raises:
    kindling.Error: for a dimension out of range, or start after end.

Example:
    >>> x = kindling.zeros(2, 3, 4)
    >>> x.flatten().shape, x.flatten(1).shape
    ((24,), (2, 12))
)")
      .def("contiguous", &Tensor::contiguous,
           R"(This tensor in row-major order: the tensor itself when it already is, else a copy.

Example:
    >>> kindling.zeros(2, 3).T.contiguous().is_contiguous()
    True
)")
      .def(
          "clone", &Tensor::clone,
          R"(A copy in new, contiguous storage, recorded in the graph (the gradient flows back), as torch's ``clone``.

Example:
    >>> x = kindling.ones(2)
    >>> y = x.clone()
    >>> y.fill_(3.0)
    tensor([3.0000, 3.0000])
    >>> x
    tensor([1.0000, 1.0000])
)")
      .def(
          "to",
          [](const Tensor& t, const std::string& target) {
            if (target == "cpu" || target.rfind("cuda", 0) == 0) return t.to(parse_device(target));
            return t.to(parse_dtype(target));
          },
          py::arg("dtype_or_device"),
          R"(This tensor in another dtype or on another device, as torch's ``to``.

The tensor itself when nothing changes. A dtype conversion is recorded in the graph (floating
results carry the gradient back); a device copy is not differentiable, so an interior tensor
that requires grad must be detached first. NaN and out-of-range values become INT64_MIN in
int64; nonzero becomes True in bool. torch's ``to(device, dtype)`` with both at once is not
supported: call ``to`` twice.

Args:
    dtype_or_device (str): ``'float32'``, ``'float64'``, ``'int64'``, ``'bool'``, ``'cpu'``,
        ``'cuda'`` or ``'cuda:<index>'``.

Raises:
    kindling.Error: for another string, for a device this build or machine lacks, or for a
        device copy of an interior tensor that requires grad under grad mode.

Example:
    >>> kindling.tensor([1.5, -2.7]).to("int64")
    tensor([ 1, -2], dtype=int64)
    >>> kindling.ones(2).to("cpu").device
    'cpu'
)")
  // The elementwise and reduction primitives as methods, one per row of the op table
  // (op_list.hpp); also functions (tensor_functions.cpp).
#define KINDLING_X(name, ...) \
  .def(                       \
      #name, [](const Tensor& t) { return name(t); }, docs::name)
          KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
  // The rows with parameters, as methods with torch's keyword names and defaults
#define KINDLING_X(name, label, formula, ps)        \
  .def(                                             \
      #name,                                        \
      [](const Tensor& t KINDLING_PARAMS_DEF(ps)) { \
        return name(t KINDLING_PARAMS_NAMES(ps));   \
      } KINDLING_PARAMS_PYARGS(ps),                 \
      docs::name)
              KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...)                                     \
  .def(                                                           \
      #name,                                                      \
      [](const Tensor& t, const py::object& axis, bool keepdim) { \
        return name(t, to_axes(axis), keepdim);                   \
      },                                                          \
      py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::name)
                  KINDLING_TENSOR_REDUCE(KINDLING_X)
#undef KINDLING_X
      .def(
          "mean",
          [](const Tensor& t, const py::object& axis, bool keepdim) {
            return mean(t, to_axes(axis), keepdim);
          },
          py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::mean)
      .def(
          "matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::arg("other"),
          docs::matmul);

  // Operators against a Tensor, a number (a wrapped number: Note [wrapped numbers] in dtype.hpp)
  // or anything np.asarray takes; NotImplemented for the rest, so `t == None` is False and
  // `t + "x"` a TypeError, as for any Python type.
  auto op = [&tensor](const char* name, auto tensor_fn, auto scalar_fn) {
    tensor.def(
        name,
        [tensor_fn, scalar_fn](const Tensor& a, const py::object& other) -> py::object {
          if (py::isinstance<Tensor>(other)) return py::cast(tensor_fn(a, other.cast<Tensor>()));
          if (const std::optional<Scalar> s = as_scalar(other)) return py::cast(scalar_fn(a, *s));
          if (py::isinstance<py::array>(other) || py::isinstance<py::list>(other) ||
              py::isinstance<py::tuple>(other))
            return py::cast(tensor_fn(a, as_tensor(other)));
          return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        },
        py::is_operator());
  };
  // The reflected forms: `number op tensor` (and `array op tensor`); Tensor-Tensor never gets here.
  auto rop = [&tensor](const char* name, auto tensor_fn, auto scalar_fn) {
    tensor.def(
        name,
        [tensor_fn, scalar_fn](const Tensor& a, const py::object& other) -> py::object {
          if (const std::optional<Scalar> s = as_scalar(other)) return py::cast(scalar_fn(*s, a));
          if (py::isinstance<py::array>(other) || py::isinstance<py::list>(other) ||
              py::isinstance<py::tuple>(other))
            return py::cast(tensor_fn(as_tensor(other), a));
          return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        },
        py::is_operator());
  };
  // A number as a 0-d tensor of result_type(a, s), for the ops without number overloads.
  auto number = [](const Tensor& a, const Scalar& s) {
    return full({}, s, result_type(a, s), a.device());
  };
  using T = const Tensor&;
  using S = const Scalar&;
  op(
      "__add__", [](T a, T b) { return a + b; }, [](T a, S b) { return a + b; });
  rop(
      "__radd__", [](T a, T b) { return a + b; }, [](S a, T b) { return a + b; });
  op(
      "__sub__", [](T a, T b) { return a - b; }, [](T a, S b) { return a - b; });
  rop(
      "__rsub__", [](T a, T b) { return a - b; }, [](S a, T b) { return a - b; });
  op(
      "__mul__", [](T a, T b) { return a * b; }, [](T a, S b) { return a * b; });
  rop(
      "__rmul__", [](T a, T b) { return a * b; }, [](S a, T b) { return a * b; });
  op(
      "__truediv__", [](T a, T b) { return a / b; }, [](T a, S b) { return a / b; });
  rop(
      "__rtruediv__", [](T a, T b) { return a / b; }, [](S a, T b) { return a / b; });
  op(
      "__pow__", [](T a, T b) { return pow(a, b); }, [](T a, S b) { return pow(a, b); });
  rop(
      "__rpow__", [](T a, T b) { return pow(a, b); }, [](S a, T b) { return pow(a, b); });
  op(
      "__matmul__", [](T a, T b) { return matmul(a, b); },
      [](T, S) -> Tensor { detail::throw_error("matmul: an operand is a number, not a tensor"); });
  rop(
      "__rmatmul__", [](T a, T b) { return matmul(a, b); },
      [](S, T) -> Tensor { detail::throw_error("matmul: an operand is a number, not a tensor"); });
  // Comparisons give bool masks; Python reflects them itself (0.5 < t is t > 0.5).
  op(
      "__eq__", [](T a, T b) { return eq(a, b); }, [](T a, S b) { return eq(a, b); });
  op(
      "__ne__", [](T a, T b) { return ne(a, b); }, [](T a, S b) { return ne(a, b); });
  op(
      "__lt__", [](T a, T b) { return lt(a, b); }, [](T a, S b) { return lt(a, b); });
  op(
      "__le__", [](T a, T b) { return le(a, b); }, [](T a, S b) { return le(a, b); });
  op(
      "__gt__", [](T a, T b) { return gt(a, b); }, [](T a, S b) { return gt(a, b); });
  op(
      "__ge__", [](T a, T b) { return ge(a, b); }, [](T a, S b) { return ge(a, b); });
  // Mask operators, on bool tensors (and Python bools).
  op(
      "__and__", [](T a, T b) { return a & b; }, [number](T a, S b) { return a & number(a, b); });
  rop(
      "__rand__", [](T a, T b) { return a & b; }, [number](S a, T b) { return number(b, a) & b; });
  op(
      "__or__", [](T a, T b) { return a | b; }, [number](T a, S b) { return a | number(a, b); });
  rop(
      "__ror__", [](T a, T b) { return a | b; }, [number](S a, T b) { return number(b, a) | b; });
  op(
      "__xor__", [](T a, T b) { return a ^ b; }, [number](T a, S b) { return a ^ number(a, b); });
  rop(
      "__rxor__", [](T a, T b) { return a ^ b; }, [number](S a, T b) { return number(b, a) ^ b; });
  tensor.def("__neg__", [](const Tensor& a) { return -a; })
      .def("__invert__", [](const Tensor& a) { return ~a; })
      // Masks and their reductions as methods.
      .def(
          "any",
          [](const Tensor& t, const py::object& axis, bool keepdim) {
            return any(t, to_axes(axis), keepdim);
          },
          py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::any)
      .def(
          "all",
          [](const Tensor& t, const py::object& axis, bool keepdim) {
            return all(t, to_axes(axis), keepdim);
          },
          py::arg("axis") = py::none(), py::arg("keepdim") = false, docs::all)
      .def(
          "masked_fill",
          [](const Tensor& t, const Tensor& mask, const py::object& value) {
            if (py::isinstance<Tensor>(value)) return masked_fill(t, mask, value.cast<Tensor>());
            const std::optional<Scalar> s = as_scalar(value);
            KINDLING_CHECK(s.has_value(),
                           "masked_fill: the value must be a number or a 0-d tensor");
            return masked_fill(t, mask, *s);
          },
          py::arg("mask"), py::arg("value"), docs::masked_fill)
      .def(
          "logical_not", [](const Tensor& t) { return logical_not(t); }, docs::logical_not);

  bind_tensor_functions(m);
  bind_tensor_api(m, tensor);
  bind_tensor_autograd(m, tensor);
}

namespace {
// A Tensor, or a list or tuple of them, as a vector; `what` names the argument in errors.
std::vector<Tensor> tensor_list(const py::object& object, const char* what) {
  auto one = [what](const py::handle& h) {
    if (!py::isinstance<Tensor>(h)) {
      throw py::type_error(std::string("kindling.autograd.grad: ") + what +
                           " must be Tensors, not " + py::str(py::type::of(h)).cast<std::string>() +
                           " (Values and Tensors cannot be mixed in one call)");
    }
    return h.cast<Tensor>();
  };
  if (py::isinstance<py::list>(object) || py::isinstance<py::tuple>(object)) {
    std::vector<Tensor> out;
    for (const py::handle& h : object)
      out.push_back(one(h));
    return out;
  }
  return {one(object)};
}
}  // namespace

// Issue 15: create_graph, kindling.autograd.grad and the hooks (Note [tensor hooks] in
// tensor/src/tensor.cpp). A Python hook is called with the GIL held (backward runs on the
// calling thread, which holds it).
void bind_tensor_autograd(py::module_& m, py::class_<Tensor>& tensor) {
  py::class_<HookHandle>(
      m, "HookHandle",
      R"(The handle that ``Tensor.register_hook`` returns, as torch's RemovableHandle.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> handle = w.register_hook(lambda g: g * 10)
    >>> handle.remove()
    >>> w.sum().backward()
    >>> w.grad
    tensor([1.0000, 1.0000])
)")
      .def("remove", &HookHandle::remove,
           "Takes the hook off; later backward passes no longer call it (a no-op the second "
           "time).");
  tensor
      .def(
          "register_hook",
          [](const Tensor& t, py::function hook) {
            return t.register_hook([hook = std::move(hook)](const Tensor& g) -> Tensor {
              const py::object result = hook(g);
              if (result.is_none()) return Tensor{};
              KINDLING_CHECK(py::isinstance<Tensor>(result),
                             "register_hook: a hook must return a Tensor or None, not ",
                             py::str(py::type::of(result)).cast<std::string>());
              return result.cast<Tensor>();
            });
          },
          py::arg("hook"),
          R"(Calls ``hook(grad)`` with the gradient reaching this tensor in every later backward pass, as torch's.

The hook runs once the gradient is complete, before it flows on (for a leaf, before it is added
to ``.grad``). A Tensor it returns replaces the gradient (same shape, dtype and device); None
keeps it.

Args:
    hook (callable): ``hook(grad: Tensor) -> Tensor or None``.

Returns:
    HookHandle: ``remove()`` takes the hook off.

Raises:
    kindling.Error: when this tensor does not require grad; during backward, when the hook
        returns something that is not a Tensor or None.

Example:
    >>> w = kindling.tensor([1.0, 2.0], requires_grad=True)
    >>> handle = w.register_hook(lambda g: g * 2)
    >>> (w * 3).sum().backward()
    >>> w.grad
    tensor([6.0000, 6.0000])
    >>> handle.remove()
)")
      .def(
          "register_post_accumulate_grad_hook",
          [](const Tensor& t, py::function hook) {
            return t.register_post_accumulate_grad_hook(
                [hook = std::move(hook)](const Tensor& leaf) { hook(leaf); });
          },
          py::arg("hook"),
          R"(Calls ``hook(tensor)`` after each backward pass has added to this leaf's ``.grad``, as torch's.

Args:
    hook (callable): ``hook(tensor) -> None``; it may read ``tensor.grad``.

Returns:
    HookHandle: ``remove()`` takes the hook off.

Raises:
    kindling.Error: when this tensor does not require grad, or is not a leaf.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> seen = []
    >>> handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    >>> (w * 2).sum().backward()
    >>> seen
    [[2.0, 2.0]]
)")
      .def("retain_grad", &Tensor::retain_grad,
           R"(Keeps this interior tensor's ``.grad`` after every later backward, as torch's.

Leaves keep theirs anyway (a no-op for them); create_graph backwards are included.

Raises:
    kindling.Error: when this tensor does not require grad.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> y = w * 2
    >>> y.retain_grad()
    >>> y.sum().backward()
    >>> y.grad
    tensor([1.0000, 1.0000])
)")
      .def_property_readonly(
          "retains_grad", &Tensor::retains_grad,
          R"(Whether this tensor keeps its ``.grad`` after backward: True after ``retain_grad()`` on an interior tensor.

As torch's, it is False for leaves (which keep their gradient without it).

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> y = w * 2
    >>> y.retain_grad()
    >>> y.retains_grad, w.retains_grad
    (True, False)
)");

  py::module_ autograd = m.def_submodule(
      "autograd", "Gradients as values: grad() for tensors (kindling.autograd.grad dispatches)");
  autograd.def(
      "grad",
      [](const py::object& outputs, const py::object& inputs, const py::object& grad_outputs,
         std::optional<bool> retain_graph, bool create_graph, bool only_inputs, bool allow_unused,
         bool is_grads_batched) {
        KINDLING_CHECK(only_inputs,
                       "grad: only_inputs = False is not supported (torch ignores it)");
        KINDLING_CHECK(!is_grads_batched, "grad: is_grads_batched is not supported");
        const std::vector<Tensor> outs = tensor_list(outputs, "outputs");
        const std::vector<Tensor> ins = tensor_list(inputs, "inputs");
        std::vector<Tensor> seeds;
        if (!grad_outputs.is_none()) {
          const bool sequence =
              py::isinstance<py::list>(grad_outputs) || py::isinstance<py::tuple>(grad_outputs);
          const py::list items =
              sequence ? py::list(grad_outputs) : py::list(py::make_tuple(grad_outputs));
          for (const py::handle& h : items)
            seeds.push_back(h.is_none() ? Tensor{} : as_tensor(h));
        }
        const std::vector<Tensor> grads =
            kindling::grad(outs, ins, seeds, retain_graph, create_graph, allow_unused);
        py::tuple result(grads.size());
        for (std::size_t i = 0; i < grads.size(); ++i)
          result[i] = grads[i].defined() ? py::cast(grads[i]) : py::none();
        return result;
      },
      py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs") = py::none(),
      py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
      py::arg("only_inputs") = true, py::arg("allow_unused") = false,
      py::arg("is_grads_batched") = false,
      "torch.autograd.grad: the gradients of sum_i <grad_outputs[i], outputs[i]> with respect "
      "to each input, as a tuple (None for an unused input with allow_unused); no .grad "
      "changes. With create_graph the results are graph nodes, differentiable again");
}

}  // namespace kindling::python
