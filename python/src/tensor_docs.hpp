// The docstrings of the tensor ops that are bound twice, as a Tensor method and as a kindling
// function (x.exp() and kindling.exp(x)): one text for both, so the two never disagree. The rows
// of the op table (op_list.hpp) are bound by X-macros that name docs::<row name>, so a new row
// without a docstring here does not compile. Google style for Sphinx's napoleon; every example is
// run by tests/python/test_docstrings.py.
#pragma once

namespace kindling::python::docs {

// ---- UNARY rows (kindling/tensor/op_list.hpp, where each row's edge behaviour is noted) ----
// "Floating" rows take float32 and float64 and raise kindling.Error for int64 ("needs a
// floating-point tensor"); "numeric" rows take int64 too. Every row rejects bool tensors.

inline constexpr const char* neg = R"(-x elementwise, as torch.neg (also ``-x``).

Takes float32, float64 and int64 (which wraps around at the int64 limits); the result has x's
shape and dtype.

Raises:
    kindling.Error: for a bool tensor (use ``logical_not`` / ``~`` to invert a mask).

Example:
    >>> kindling.neg(kindling.tensor([1, -2]))
    tensor([-1,  2], dtype=int64)
)";

inline constexpr const char* exp = R"(e^x elementwise, as torch.exp.

Takes a float32 or float64 tensor; the result has its shape and dtype. Exact at subnormals.

Raises:
    kindling.Error: for an int64 or bool tensor (torch would promote int64 to float; cast first
        with ``x.float()``).

Example:
    >>> kindling.exp(kindling.tensor([0.0, 1.0]))
    tensor([1.0000, 2.7183])
)";

inline constexpr const char* log = R"(The natural logarithm elementwise, as torch.log.

Takes a float32 or float64 tensor; ``log(0)`` is ``-inf`` and the log of a negative number NaN,
as in torch.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.log(kindling.tensor([1.0, 0.5]))
    tensor([ 0.0000, -0.6931])
)";

inline constexpr const char* sqrt = R"(The square root elementwise, as torch.sqrt.

Takes a float32 or float64 tensor (NaN for negative elements). The gradient is ``g / (2 sqrt(x))``.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.sqrt(kindling.tensor([4.0, 2.0]))
    tensor([2.0000, 1.4142])
)";

inline constexpr const char* abs = R"(``|x|`` elementwise, as torch.abs (also Python's ``abs(x)``).

Takes float32, float64 and int64; the result keeps the dtype. The gradient is ``sign(x)``: 0 at 0
and at NaN, as torch's.

Raises:
    kindling.Error: for a bool tensor.

Example:
    >>> kindling.abs(kindling.tensor([-3, 2]))
    tensor([3, 2], dtype=int64)
)";

inline constexpr const char* tanh = R"(The hyperbolic tangent elementwise, as torch.tanh.

Takes a float32 or float64 tensor. The gradient is ``g * (1 - tanh(x)^2)``.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.tanh(kindling.tensor([0.0, 0.5]))
    tensor([0.0000, 0.4621])
)";

inline constexpr const char* sigmoid =
    R"(The logistic function ``1 / (1 + e^-x)`` elementwise, as torch.sigmoid.

Takes a float32 or float64 tensor. The gradient is ``g * s * (1 - s)`` with ``s = sigmoid(x)``.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.sigmoid(kindling.tensor([0.0, 2.0]))
    tensor([0.5000, 0.8808])
)";

inline constexpr const char* relu = R"(``max(x, 0)`` elementwise, as torch.relu.

Takes float32, float64 and int64. As in PyTorch, ``relu(NaN)`` is NaN, ``relu(-0.0)`` is ``-0.0``
and the gradient at 0 is 0.

Raises:
    kindling.Error: for a bool tensor.

Example:
    >>> kindling.relu(kindling.tensor([-1.0, 3.0]))
    tensor([0.0000, 3.0000])
)";

inline constexpr const char* gelu =
    R"(The exact GELU, ``x * Phi(x)`` (Phi the standard normal CDF), elementwise.

torch.nn.functional.gelu's default (``approximate='none'``); the tanh approximation is
``kindling.nn.functional.gelu(x, approximate='tanh')``.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.gelu(kindling.tensor([1.0]))
    tensor([0.8413])
)";

inline constexpr const char* silu =
    R"(SiLU (swish), ``x * sigmoid(x)``, elementwise, as torch.nn.functional.silu.

``silu(-inf)`` is NaN, as torch's.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.silu(kindling.tensor([1.0]))
    tensor([0.7311])
)";

inline constexpr const char* sin = R"(The sine elementwise (radians), as torch.sin.

Exact for huge arguments as well. Takes a float32 or float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.sin(kindling.tensor([0.0, 1.0]))
    tensor([0.0000, 0.8415])
)";

inline constexpr const char* cos = R"(The cosine elementwise (radians), as torch.cos.

Takes a float32 or float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.cos(kindling.tensor([0.0, 1.0]))
    tensor([1.0000, 0.5403])
)";

inline constexpr const char* log1p = R"(``log(1 + x)`` elementwise, exact near 0, as torch.log1p.

Takes a float32 or float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.log1p(kindling.tensor([0.0, 1.0]))
    tensor([0.0000, 0.6931])
)";

inline constexpr const char* expm1 = R"(``e^x - 1`` elementwise, exact near 0, as torch.expm1.

Takes a float32 or float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.expm1(kindling.tensor([0.0, 1.0]))
    tensor([0.0000, 1.7183])
)";

inline constexpr const char* erf = R"(The error function elementwise, as torch.erf.

Takes a float32 or float64 tensor; ``erf`` is +-1 beyond +-6 and NaN at NaN.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.erf(kindling.tensor([0.0, 0.5]))
    tensor([0.0000, 0.5205])
)";

inline constexpr const char* sign = R"(-1, 0 or 1 by the sign of each element, as torch.sign.

Takes float32, float64 and int64 and keeps the dtype; 0 at 0 and at NaN (PyTorch 1.13's). The
gradient is 0 everywhere.

Raises:
    kindling.Error: for a bool tensor.

Example:
    >>> kindling.sign(kindling.tensor([-1.5, 0.0, 2.0]))
    tensor([-1.0000,  0.0000,  1.0000])
)";

inline constexpr const char* floor = R"(The largest integer <= x elementwise, as torch.floor.

Takes float32, float64 and int64 (returned as it is) and keeps the dtype. The gradient is 0
everywhere.

Raises:
    kindling.Error: for a bool tensor.

Example:
    >>> kindling.floor(kindling.tensor([-1.5, 2.5]))
    tensor([-2.0000,  2.0000])
)";

inline constexpr const char* round =
    R"(Rounds to the nearest integer, halves to even, as torch.round.

``round(2.5)`` is 2 and ``round(-0.5)`` is ``-0.0``. Takes float32, float64 and int64 (returned as
it is) and keeps the dtype; the gradient is 0 everywhere. torch.round's ``decimals`` is not
supported.

Raises:
    kindling.Error: for a bool tensor.

Example:
    >>> kindling.round(kindling.tensor([1.5, 2.5, 2.7]))
    tensor([2.0000, 2.0000, 3.0000])
)";

inline constexpr const char* reciprocal = R"(``1 / x`` elementwise, as torch.reciprocal.

``1 / 0`` is ``inf`` and ``1 / -0`` is ``-inf``. Takes a float32 or float64 tensor (torch also
takes integers and returns float).

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.reciprocal(kindling.tensor([2.0, 4.0]))
    tensor([0.5000, 0.2500])
)";

inline constexpr const char* rsqrt = R"(``1 / sqrt(x)`` elementwise, as torch.rsqrt.

``rsqrt(-0.0)`` is ``-inf``, as torch's. Takes a float32 or float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.rsqrt(kindling.tensor([4.0, 16.0]))
    tensor([0.5000, 0.2500])
)";

inline constexpr const char* tan = R"(The tangent elementwise (radians), as torch.tan.

Takes a float32 or float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.tan(kindling.tensor([0.0, 0.5]))
    tensor([0.0000, 0.5463])
)";

inline constexpr const char* log2 = R"(The base-2 logarithm elementwise, as torch.log2.

Exact at powers of two (``log2(8)`` is 3, which ``log(x) / ln 2`` is not). Takes a float32 or
float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.log2(kindling.tensor([8.0, 0.5]))
    tensor([ 3.0000, -1.0000])
)";

inline constexpr const char* log10 = R"(The base-10 logarithm elementwise, as torch.log10.

Takes a float32 or float64 tensor.

Raises:
    kindling.Error: for an int64 or bool tensor.

Example:
    >>> kindling.log10(kindling.tensor([100.0, 0.1]))
    tensor([ 2.0000, -1.0000])
)";

// ---- UNARY_PARAM rows: floating only, torch's parameter names and defaults ----

inline constexpr const char* leaky_relu =
    R"(``x`` where ``x > 0``, else ``negative_slope * x``, as torch.nn.functional.leaky_relu.

NaN stays NaN; the gradient at 0 is ``negative_slope``.

Args:
    negative_slope (float): the slope for negative inputs (default 0.01).

Returns:
    Tensor: x's shape and dtype.

Raises:
    kindling.Error: for an int64 or bool tensor (floating dtypes only).

Example:
    >>> kindling.leaky_relu(kindling.tensor([-2.0, 1.0]), 0.1)
    tensor([-0.2000,  1.0000])
)";

inline constexpr const char* elu =
    R"(``x`` where ``x > 0``, else ``alpha * (e^x - 1)``, as torch.nn.functional.elu.

Computed with expm1, so it is exact near 0 (torch 1.13's ``exp(x) - 1`` is not); ``elu(-inf)`` is
``-alpha``.

Args:
    alpha (float): the value approached as x goes to -inf is ``-alpha`` (default 1.0).

Returns:
    Tensor: x's shape and dtype.

Raises:
    kindling.Error: for an int64 or bool tensor (floating dtypes only).

Example:
    >>> kindling.elu(kindling.tensor([-1.0, 2.0]), alpha=0.5)
    tensor([-0.3161,  2.0000])
)";

inline constexpr const char* softplus =
    R"(``log(1 + e^(beta x)) / beta``, as torch.nn.functional.softplus.

Where ``beta * x > threshold`` the result is x itself (gradient 1), as torch's.

Args:
    beta (float): the sharpness (default 1.0).
    threshold (float): above ``beta * x > threshold`` the function is linear (default 20.0).

Returns:
    Tensor: x's shape and dtype.

Raises:
    kindling.Error: for an int64 or bool tensor (floating dtypes only).

Example:
    >>> kindling.softplus(kindling.tensor([0.0, 30.0]))
    tensor([ 0.6931, 30.0000])
)";

// ---- BINARY rows: tensor, number or array-like operands, broadcast, PyTorch's promotion ----

#define KINDLING_BINARY_PROMOTION                                                      \
  "The operands broadcast as in NumPy. Either may be a number, or a list or NumPy\n"   \
  "array (made a tensor as ``kindling.from_numpy`` makes it: a list of Python\n"       \
  "floats becomes float64). A number joins as a wrapped number (torch's rule): it\n"   \
  "changes the dtype only when its kind (bool < integer < floating) is higher, so a\n" \
  "float32 tensor times 0.5 stays float32 and an int64 tensor times 0.5 becomes\n"     \
  "float32.\n\n"

inline constexpr const char* add =
    "``input + other`` elementwise, as torch.add (also ``a + b``).\n\n" KINDLING_BINARY_PROMOTION
    R"(int64 wraps around; bool + bool is logical or. torch.add's ``alpha`` is not supported.

Raises:
    kindling.Error: when the shapes do not broadcast, or both operands are numbers.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> kindling.add(x, kindling.tensor([10.0, 20.0]))
    tensor([[11.0000, 22.0000],
            [13.0000, 24.0000]])
    >>> x.add(1)
    tensor([[2.0000, 3.0000],
            [4.0000, 5.0000]])
)";

inline constexpr const char* sub =
    "``input - other`` elementwise, as torch.sub (also ``a - b``).\n\n" KINDLING_BINARY_PROMOTION
    R"(int64 wraps around. torch.sub's ``alpha`` is not supported.

Raises:
    kindling.Error: for a bool operand (use logical_xor / ``^``, or logical_not / ``~``), when the
        shapes do not broadcast, or when both operands are numbers.

Example:
    >>> kindling.sub(kindling.tensor([5, 3]), 1)
    tensor([4, 2], dtype=int64)
)";

inline constexpr const char* mul =
    "``input * other`` elementwise, as torch.mul (also ``a * b``).\n\n" KINDLING_BINARY_PROMOTION
    R"(int64 wraps around; bool * bool is logical and.

Raises:
    kindling.Error: when the shapes do not broadcast, or both operands are numbers.

Example:
    >>> kindling.mul(kindling.tensor([1, 2]), 0.5)
    tensor([0.5000, 1.0000])
)";

inline constexpr const char* div =
    "True division ``input / other`` elementwise, as torch.div (also ``a / "
    "b``).\n\n" KINDLING_BINARY_PROMOTION
    R"(Integer and bool operands divide in float32 (int64 / int64 is float32, as in PyTorch), so
no integer is ever divided by zero. torch.div's ``rounding_mode`` is not supported.

Raises:
    kindling.Error: when the shapes do not broadcast, or both operands are numbers.

Example:
    >>> kindling.div(kindling.tensor([1, 2]), 2)
    tensor([0.5000, 1.0000])
)";

inline constexpr const char* pow =
    "``input ** exponent`` elementwise, as torch.pow (also ``a ** "
    "b``).\n\n" KINDLING_BINARY_PROMOTION
    R"(C99's pow: ``0^0``, ``NaN^0`` and ``1^NaN`` are 1. An int64 result wraps around. Either
operand may be the number: ``pow(x, 2)`` or ``pow(2, x)``.

Raises:
    kindling.Error: for an integer tensor to a negative integer power ("integers to negative
        integer powers are not allowed", as torch), for bool ** bool, when the shapes do not
        broadcast, or when both operands are numbers.

Example:
    >>> kindling.pow(kindling.tensor([2.0, 3.0]), 2)
    tensor([4.0000, 9.0000])
    >>> kindling.pow(2, kindling.tensor([3.0]))
    tensor([8.0000])
)";

inline constexpr const char* maximum =
    "The elementwise maximum of two operands, as torch.maximum.\n\n" KINDLING_BINARY_PROMOTION
    R"(NaN if either is NaN; at ties the gradient is split evenly between the two, as in PyTorch.

Raises:
    kindling.Error: when the shapes do not broadcast, or both operands are numbers.

Example:
    >>> kindling.maximum(kindling.tensor([1.0, 5.0]), kindling.tensor([3.0, 2.0]))
    tensor([3.0000, 5.0000])
)";

inline constexpr const char* minimum =
    "The elementwise minimum of two operands, as torch.minimum.\n\n" KINDLING_BINARY_PROMOTION
    R"(NaN if either is NaN; at ties the gradient is split evenly between the two, as in PyTorch.

Raises:
    kindling.Error: when the shapes do not broadcast, or both operands are numbers.

Example:
    >>> kindling.minimum(kindling.tensor([1.0, 5.0]), 2.0)
    tensor([1.0000, 2.0000])
)";

#undef KINDLING_BINARY_PROMOTION

// ---- REDUCE rows and mean: (x, axis=None, keepdim=False) ----

inline constexpr const char* sum = R"(The sum over ``axis`` (every axis when None), as torch.sum.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; negative counts from the end.
        torch's name ``dim`` is accepted too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Returns:
    Tensor: the sums; bool and int64 tensors sum to int64 (wrapping around), as in PyTorch.

Raises:
    kindling.Error: for an axis out of range, or one given twice.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.sum()
    tensor(10.0000)
    >>> kindling.sum(x, axis=0)
    tensor([4.0000, 6.0000])
    >>> x.sum(dim=1, keepdim=True).shape
    (2, 1)
)";

inline constexpr const char* mean = R"(The mean over ``axis`` (every axis when None), as torch.mean.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; negative counts from the end.
        torch's name ``dim`` is accepted too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Returns:
    Tensor: the means, in x's dtype.

Raises:
    kindling.Error: for an int64 or bool tensor (as torch.mean), or an axis out of range.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.mean()
    tensor(2.5000)
    >>> kindling.mean(x, 0)
    tensor([2.0000, 3.0000])
)";

#define KINDLING_EXTREMUM_DOC(name, Name, torch_name, other)                                       \
  "The " name " of ``x``, in torch." torch_name                                                    \
  "'s forms.\n\n"                                                                                  \
  "- ``x." torch_name "()``: the " name                                                            \
  " of every element, a 0-d tensor (``keepdim=True`` keeps\n"                                      \
  "  every axis with size 1). NaN if any element is NaN.\n"                                        \
  "- ``x." torch_name                                                                              \
  "(axis)`` with an int: the named tuple ``(values, indices)`` along that axis;\n"                 \
  "  the index is the first extremum (or the first NaN), and the gradient goes to it, as "         \
  "torch's.\n"                                                                                     \
  "- ``x." torch_name                                                                              \
  "((0, 1))`` with a tuple of axes: the values only, the gradient split evenly\n"                  \
  "  among ties (kindling's extension; torch.a" torch_name                                         \
  " gives the same).\n"                                                                            \
  "- ``x." torch_name "(other)`` with a tensor: the elementwise " other                            \
  ".\n\n"                                                                                          \
  "Args:\n"                                                                                        \
  "    axis (int, sequence of ints, Tensor or None): as above; torch's ``dim`` is accepted too.\n" \
  "    keepdim (bool): keep the reduced axes with size 1 (default False).\n\n"                     \
  "Raises:\n"                                                                                      \
  "    kindling.Error: for an axis out of range, or reducing an axis of size 0.\n\n"               \
  "Example:\n"                                                                                     \
  "    >>> x = kindling.tensor([[1.0, 5.0], [7.0, 2.0]])\n"                                        \
  "    >>> x." torch_name                                                                          \
  "()\n"                                                                                           \
  "    tensor(" Name ")\n"

inline constexpr const char* max =
    KINDLING_EXTREMUM_DOC("maximum", "7.0000", "max", "maximum (as kindling.maximum)")
    "    >>> values, indices = x.max(1)\n"
    "    >>> values, indices\n"
    "    (tensor([5.0000, 7.0000]), tensor([1, 0], dtype=int64))\n";
inline constexpr const char* min =
    KINDLING_EXTREMUM_DOC("minimum", "1.0000", "min", "minimum (as kindling.minimum)")
    "    >>> kindling.min(x, 0).indices\n"
    "    tensor([0, 1], dtype=int64)\n";

#undef KINDLING_EXTREMUM_DOC

// ---- masks, selection and products: also bound as a method and a function ----

inline constexpr const char* any =
    R"(Whether any element is nonzero over ``axis`` (every axis when None), as torch.any.

Any dtype; nonzero (NaN included) is true. The result is bool and never requires grad; ``any``
of nothing is False.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> m = kindling.tensor([[True, False], [False, False]])
    >>> kindling.any(m), m.any(1)
    (tensor(True, dtype=bool), tensor([ True, False], dtype=bool))
)";

inline constexpr const char* all =
    R"(Whether every element is nonzero over ``axis`` (every axis when None), as torch.all.

Any dtype; nonzero (NaN included) is true. The result is bool and never requires grad; ``all``
of nothing is True.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> m = kindling.tensor([[True, False], [True, True]])
    >>> kindling.all(m), m.all(1)
    (tensor(False, dtype=bool), tensor([False,  True], dtype=bool))
)";

inline constexpr const char* masked_fill =
    R"(A copy of ``x`` with ``value`` where ``mask`` is True, as torch.masked_fill.

``mask`` must be bool and broadcast to x's shape. The result has x's dtype (a fractional value
into int64 truncates). A 0-d tensor ``value`` receives the gradient of the filled places.

Args:
    mask (Tensor): bool, broadcastable to x.
    value (number or 0-d Tensor): the fill.

Raises:
    kindling.Error: for a mask that is not bool or does not broadcast, a tensor value that is not
        0-d, or a value that cannot be converted to x's dtype (NaN or out of range into int64).

Example:
    >>> x = kindling.tensor([1.0, 2.0, 3.0])
    >>> x.masked_fill(x > 1.5, 0.0)
    tensor([1.0000, 0.0000, 0.0000])
)";

inline constexpr const char* logical_not =
    R"(Elementwise not, as torch.logical_not (``~`` on bool tensors).

Any dtype: zero becomes True, nonzero (NaN included) False. The result is bool and never requires
grad.

Example:
    >>> kindling.logical_not(kindling.tensor([0.0, 2.0]))
    tensor([ True, False], dtype=bool)
)";

inline constexpr const char* matmul =
    R"(The matrix product, with torch.matmul's shape rules (also ``a @ b``).

2-D x 2-D is the matrix product; 1-D operands are vectors (matrix-vector, vector-matrix, and the
dot product for two vectors); beyond 2-D, ``(..., m, k) x (..., k, n)`` with the batch
dimensions broadcast. The operands must be on one device; their dtypes promote (float32 with
float64 gives float64, where torch raises), and the result must be floating: integer matrix
products are not supported (torch has them).

Args:
    other (Tensor): the right operand (a number is an error, as in torch).

Raises:
    kindling.Error: when the inner dimensions differ (the message names both shapes), the batch
        dimensions do not broadcast, an operand is 0-d, both are int64 or bool, or they are on
        different devices.

Example:
    >>> a = kindling.ones(2, 3)
    >>> kindling.matmul(a, kindling.ones(3))
    tensor([3.0000, 3.0000])
    >>> (kindling.ones(4, 2, 3) @ kindling.ones(3, 5)).shape
    (4, 2, 5)
)";

inline constexpr const char* clamp = R"(Each element limited to ``[min, max]``, as torch.clamp.

A missing bound is no bound, but one must be given. NaN stays NaN; the gradient is 1 inside the
bounds (bounds included) and 0 outside and at NaN.

Args:
    min (number, optional): the lower bound.
    max (number, optional): the upper bound.

Raises:
    kindling.Error: when neither bound is given, or min is above max.

Example:
    >>> kindling.clamp(kindling.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
    tensor([0.0000, 0.5000, 1.0000])
    >>> kindling.tensor([-1.0, 2.0]).clamp(max=0.5)
    tensor([-1.0000,  0.5000])
)";

inline constexpr const char* softmax =
    R"(``exp(x) / sum(exp(x))`` along ``axis``, computed stably, as torch.softmax.

Args:
    axis (int): the dimension that sums to 1 (default -1, the last); torch's ``dim`` is
        accepted too. (kindling.nn.functional.softmax takes torch's implicit choice without one.)

Raises:
    kindling.Error: for an int64 or bool tensor, or an axis out of range.

Example:
    >>> kindling.softmax(kindling.tensor([1.0, 2.0, 3.0]))
    tensor([0.0900, 0.2447, 0.6652])
)";

inline constexpr const char* log_softmax =
    R"(``x - logsumexp(x)`` along ``axis``, as torch.log_softmax.

More accurate than ``log(softmax(x))`` where probabilities are tiny.

Args:
    axis (int): the dimension (default -1, the last); torch's ``dim`` is accepted too.

Raises:
    kindling.Error: for an int64 or bool tensor, or an axis out of range.

Example:
    >>> kindling.log_softmax(kindling.tensor([[0.0, 0.0]]), axis=1)
    tensor([[-0.6931, -0.6931]])
)";

inline constexpr const char* logsumexp =
    R"(``log(sum(exp(x)))`` over ``axis`` (every axis when None), without overflow, as torch.logsumexp.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too (torch
        requires it).
    keepdim (bool): keep the reduced axes with size 1 (default False).

Raises:
    kindling.Error: for an int64 or bool tensor, or an axis out of range.

Example:
    >>> kindling.logsumexp(kindling.tensor([[0.0, 0.0], [1.0, 1.0]]), 1)
    tensor([0.6931, 1.6931])
)";

inline constexpr const char* cross_entropy =
    R"(Cross-entropy of logits against int64 class indices, as torch.nn.functional.cross_entropy.

``-log_softmax(logits)[target]`` per sample, in torch's shapes: logits ``(N, C)`` with target
``(N,)``, ``(C,)`` with a 0-d target, or ``(N, C, d1, ...)`` with ``(N, d1, ...)``. One fused
graph node (its backward is ``softmax - one_hot``). torch's ``weight``, ``ignore_index`` and
probability targets are not supported.

Args:
    target (Tensor): int64 class indices in ``[0, C)``.
    reduction (str): ``'mean'`` (default, over every target), ``'sum'`` or ``'none'``.
    label_smoothing (float): e in [0, 1]; the target distribution becomes
        ``(1 - e) * one_hot + e / C``.

Raises:
    kindling.Error: for logits that are not floating, a target that is not int64, of the wrong
        shape or out of range ("target 3 of sample 1 is out of range for 3 classes"), a smoothing
        outside [0, 1], or an unknown reduction.

Example:
    >>> logits = kindling.tensor([[2.0, 0.0], [0.0, 2.0]])
    >>> kindling.cross_entropy(logits, kindling.tensor([0, 1]))
    tensor(0.1269)
    >>> kindling.cross_entropy(logits, kindling.tensor([0, 1]), reduction="none")
    tensor([0.1269, 0.1269])
)";

inline constexpr const char* argmax = R"(The index (int64) of the largest element, as torch.argmax.

Over the flattened tensor when ``axis`` is None, else along ``axis``; the first maximum wins,
and a NaN counts as the largest (its first occurrence). Never requires grad.

Args:
    axis (int, optional): the dimension; torch's ``dim`` is accepted too.
    keepdim (bool): keep that axis with size 1 (default False; only with an axis).

Raises:
    kindling.Error: for an axis out of range, or an empty tensor or axis.

Example:
    >>> x = kindling.tensor([[1.0, 3.0], [5.0, 0.0]])
    >>> kindling.argmax(x), x.argmax(1)
    (tensor(2, dtype=int64), tensor([1, 0], dtype=int64))
)";

inline constexpr const char* argmin = R"(The index (int64) of the smallest element, as torch.argmin.

Over the flattened tensor when ``axis`` is None, else along ``axis``; the first minimum wins,
and a NaN counts as the smallest (its first occurrence). Never requires grad.

Args:
    axis (int, optional): the dimension; torch's ``dim`` is accepted too.
    keepdim (bool): keep that axis with size 1 (default False; only with an axis).

Raises:
    kindling.Error: for an axis out of range, or an empty tensor or axis.

Example:
    >>> kindling.argmin(kindling.tensor([[1.0, 3.0], [5.0, 0.0]]), 1, keepdim=True)
    tensor([[0],
            [1]], dtype=int64)
)";

inline constexpr const char* concat =
    R"(The tensors joined along the existing dimension ``axis``, as torch.cat.

Every tensor has the same number of dimensions and the same sizes except along ``axis``; the
dtypes promote as in binary ops. ``cat`` and ``concat`` are the same function.

Args:
    tensors (sequence of Tensor): at least one.
    axis (int): the dimension to join along (default 0); torch's ``dim`` is accepted too.

Raises:
    kindling.Error: for an empty list, a differing number of dimensions or size off ``axis``,
        or an axis out of range.

Example:
    >>> kindling.cat([kindling.ones(1), kindling.zeros(2)])
    tensor([1.0000, 0.0000, 0.0000])
    >>> kindling.concat([kindling.ones(2, 1), kindling.zeros(2, 2)], axis=1).shape
    (2, 3)
)";

}  // namespace kindling::python::docs
