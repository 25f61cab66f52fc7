// xtensor interop: a zero-copy xtensor view of a contiguous CPU tensor, and tensors made from
// xtensor containers or expressions (copied). Header-only; a program that includes it links
// kindling::xtensor_interop (kindling::tensor and xtensor), since the library itself never uses
// xtensor.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "kindling/engine/error.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling {

/// The type as_xtensor returns: an xarray-like adaptor over the tensor's memory, row-major.
template <class T>
using TensorAdaptor = decltype(xt::adapt(std::declval<T*>(), std::size_t{}, xt::no_ownership(),
                                         std::declval<std::vector<std::size_t>>()));

/// A zero-copy xtensor view of `t`: it reads and writes `t`'s memory directly, and is valid
/// while `t` (or a view of its storage) lives. T must be the tensor's dtype; the tensor must be
/// contiguous and on the CPU. Writes through it are not counted by version(): call
/// t.bump_version() after writing if a graph may have saved `t`.
/// @throws kindling::error (from Tensor::data) when T is not the dtype's type, or the tensor is
///         not a contiguous CPU tensor.
/// @code
/// const kindling::Tensor t = kindling::zeros({2, 3});
/// auto view = kindling::as_xtensor<float>(t);
/// view(1, 2) = 5.0f;  // t now holds 5 at (1, 2)
/// @endcode
template <class T>
TensorAdaptor<T> as_xtensor(const Tensor& t) {
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  // data() checks dtype, device and contiguity; a prvalue pointer makes the adaptor hold a copy
  // of the pointer (an lvalue would make it hold a reference to the local).
  return xt::adapt(t.data<T>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(), shape);
}

/// A new CPU tensor holding the values of an xtensor expression (xarray, xtensor, views...),
/// copied. float and double keep their dtype; integers and bool become int64, other arithmetic
/// types float64.
/// @code
/// const xt::xarray<double> a = {{1.0, 2.0}, {3.0, 4.0}};
/// const kindling::Tensor t = kindling::from_xtensor(a);  // float64, shape (2, 2)
/// @endcode
template <class E>
Tensor from_xtensor(const xt::xexpression<E>& expression) {
  using Value = std::decay_t<typename E::value_type>;
  static_assert(std::is_arithmetic_v<Value>, "from_xtensor: arithmetic element types only");
  using Stored =
      std::conditional_t<std::is_same_v<Value, float> || std::is_same_v<Value, double>, Value,
                         std::conditional_t<std::is_integral_v<Value>, std::int64_t, double>>;
  const xt::xarray<Stored, xt::layout_type::row_major> values = expression.derived_cast();
  Shape shape(values.shape().begin(), values.shape().end());
  return from_vector(std::vector<Stored>(values.begin(), values.end()), shape);
}

}  // namespace kindling
