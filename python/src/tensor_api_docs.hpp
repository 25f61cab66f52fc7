// The docstrings of PyTorch's tensor methods and functions that issue 13 added (tensor_api.cpp),
// for those bound both as a Tensor method and as a kindling function: one text for both. As in
// tensor_docs.hpp, the X-macros name docs::<op>, so an op bound without one does not compile.
#pragma once

namespace kindling::python::docs {

// ---- comparisons ----

#define KINDLING_COMPARISON_DOC(op, torch_name, symbol, example_output)                            \
  "``input " symbol " other`` elementwise, a bool mask, as torch." torch_name " (also ``a " symbol \
  " b``).\n\n"                                                                                     \
  "The operands broadcast and are compared in their result_type (a number is a wrapped number).\n" \
  "The result never requires grad.\n\n"                                                            \
  "Args:\n"                                                                                        \
  "    other (Tensor, number or array-like): the right operand.\n\n"                               \
  "Raises:\n"                                                                                      \
  "    kindling.Error: for an operand that is not a tensor, number, list, tuple or array, or\n"    \
  "        shapes that do not broadcast.\n\n"                                                      \
  "Example:\n"                                                                                     \
  "    >>> x = kindling.tensor([1.0, 2.0, 3.0])\n"                                                 \
  "    >>> kindling." op                                                                           \
  "(x, 2.0)\n"                                                                                     \
  "    tensor(" example_output                                                                     \
  ", dtype=bool)\n"                                                                                \
  "    >>> x." op                                                                                  \
  "(kindling.tensor([3.0, 2.0, 1.0]))\n"                                                           \
  "    tensor(" example_output ", dtype=bool)\n"

inline constexpr const char* eq =
    KINDLING_COMPARISON_DOC("eq", "eq", "==", "[False,  True, False]");
inline constexpr const char* ne =
    KINDLING_COMPARISON_DOC("ne", "ne", "!=", "[ True, False,  True]");
inline constexpr const char* lt = KINDLING_COMPARISON_DOC("lt", "lt", "<", "[ True, False, False]");
inline constexpr const char* le =
    KINDLING_COMPARISON_DOC("le", "le", "<=", "[ True,  True, False]");
inline constexpr const char* gt = KINDLING_COMPARISON_DOC("gt", "gt", ">", "[False, False,  True]");
inline constexpr const char* ge =
    KINDLING_COMPARISON_DOC("ge", "ge", ">=", "[False,  True,  True]");

#undef KINDLING_COMPARISON_DOC

// ---- reductions ----

inline constexpr const char* amax =
    R"(The maximum over ``axis`` (every axis when None), as torch.amax.

The gradient is split evenly among ties; a slice with a NaN gives NaN.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Raises:
    kindling.Error: for an axis out of range, or reducing an axis of size 0.

Example:
    >>> x = kindling.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> kindling.amax(x), x.amax(1)
    (tensor(7.0000), tensor([5.0000, 7.0000]))
)";

inline constexpr const char* amin =
    R"(The minimum over ``axis`` (every axis when None), as torch.amin.

The gradient is split evenly among ties; a slice with a NaN gives NaN.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Raises:
    kindling.Error: for an axis out of range, or reducing an axis of size 0.

Example:
    >>> kindling.amin(kindling.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
    tensor([1.0000, 2.0000])
)";

inline constexpr const char* prod =
    R"(The product over ``axis`` (every axis when None), as torch.prod.

Computed as a tree of multiplications, so the gradient is exact at zeros. bool and int64 give
int64 (wrapping around), as torch's. Unlike torch, several axes may be given at once.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> kindling.prod(x), x.prod(0)
    (tensor(24.0000), tensor([3.0000, 8.0000]))
)";

inline constexpr const char* var =
    R"(The variance over ``axis`` (every axis when None), as torch.var.

Divides by ``n - correction``: Bessel's correction by default, the population variance with
``correction=0`` (or torch's older ``unbiased=False``).

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    correction (int): subtracted from the element count (default 1).
    keepdim (bool): keep the reduced axes with size 1 (default False).
    unbiased (bool, optional): keyword only; True is ``correction=1``, False ``correction=0``.

Raises:
    kindling.Error: for an int64 or bool tensor, or an axis out of range.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> kindling.var(x), x.var(correction=0)
    (tensor(1.6667), tensor(1.2500))
)";

inline constexpr const char* std =
    R"(The standard deviation over ``axis`` (every axis when None): the square root of ``var``, as torch.std.

Args:
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    correction (int): subtracted from the element count (default 1).
    keepdim (bool): keep the reduced axes with size 1 (default False).
    unbiased (bool, optional): keyword only; True is ``correction=1``, False ``correction=0``.

Raises:
    kindling.Error: for an int64 or bool tensor, or an axis out of range.

Example:
    >>> kindling.tensor([[1.0, 2.0], [3.0, 4.0]]).std(0)
    tensor([1.4142, 1.4142])
)";

inline constexpr const char* cumsum = R"(Running sums along ``axis``, as torch.cumsum.

Exact for int64, which it keeps; bool gives int64.

Args:
    axis (int): the dimension; torch's ``dim`` is accepted too.

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> kindling.cumsum(kindling.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    tensor([[1.0000, 3.0000],
            [3.0000, 7.0000]])
)";

inline constexpr const char* norm =
    R"(The p-norm over ``axis`` (every element when None), as torch.norm / torch.linalg.vector_norm.

Args:
    p (float or str): 2 (default), 1, any other number, negative too, ``float('inf')`` (the
        max of ``|x|``), ``-float('inf')`` (the min of ``|x|``), 0 (the number of non-zero
        elements), or ``'fro'`` (the same as 2). torch's ``'nuc'`` is not supported.
    axis (int or sequence of ints, optional): the axes to reduce; torch's ``dim`` too.
    keepdim (bool): keep the reduced axes with size 1 (default False).

Returns:
    Tensor: the norms; the gradient at an all-zero slice is 0, as torch's.

Raises:
    kindling.Error: for an int64 or bool tensor, a p that is NaN or a string other than
        'fro', a negative p (-inf too) over an empty slice, or an axis out of range.

Example:
    >>> x = kindling.tensor([[3.0, 4.0], [0.0, 1.0]])
    >>> x.norm(), kindling.norm(x, 2, axis=1)
    (tensor(5.0990), tensor([5.0000, 1.0000]))
    >>> x.norm(float("inf"))
    tensor(4.0000)
)";

// ---- indexing ----

inline constexpr const char* gather =
    R"(Values picked along ``axis`` at ``index``, as torch.gather: ``out[i][j] = x[i][index[i][j]]`` for axis 1.

``index`` is int64 with x's number of dimensions; the result has index's shape. The gradient is
scattered (added) back to the gathered places.

Args:
    axis (int): the dimension to pick along; torch's ``dim`` too.
    index (Tensor): int64 positions, each in ``[0, x.size(axis))``.

Raises:
    kindling.Error: for an index that is not int64, has another number of dimensions, is larger
        than x off ``axis``, or holds an out-of-range position.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.gather(1, kindling.tensor([[0], [1]]))
    tensor([[1.0000],
            [4.0000]])
)";

inline constexpr const char* index_select =
    R"(The slices of ``x`` at the positions ``index`` along ``axis``, as torch.index_select.

Gradients add up at repeated positions.

Args:
    axis (int): the dimension; torch's ``dim`` too.
    index (Tensor): 1-D int64 positions, each in ``[0, x.size(axis))``.

Raises:
    kindling.Error: for an index that is not 1-D int64, or holds a position out of range
        (negative ones included).

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> kindling.index_select(x, 0, kindling.tensor([1, 1]))
    tensor([[3.0000, 4.0000],
            [3.0000, 4.0000]])
)";

inline constexpr const char* scatter_add =
    R"(A copy of ``x`` with ``src`` added at ``index`` along ``axis``, as torch.scatter_add.

For axis 0, ``out[index[i][j]][j] += src[i][j]`` for every position of ``index``, which is at
most src's shape, and x's off ``axis``. Not in place (torch's ``scatter_add_`` is not bound).
Gradients: the incoming gradient to x, and its gather at ``index`` to src.

Args:
    axis (int): the dimension; torch's ``dim`` too.
    index (Tensor): int64 positions.
    src (Tensor): the values to add, x's dtype.

Raises:
    kindling.Error: for an index that is not int64, shapes that do not fit, or an out-of-range
        position.

Example:
    >>> kindling.zeros(3).scatter_add(0, kindling.tensor([0, 0, 2]), kindling.ones(3))
    tensor([2.0000, 0.0000, 1.0000])
)";

inline constexpr const char* sort =
    R"(The elements sorted along ``axis``, with where each came from, as torch.sort.

Stable; NaN counts as the largest. The values are ``gather(x, axis, indices)``, so the gradient
goes back to where each value came from. The indices are computed on the CPU (a device tensor is
copied there and back).

Args:
    axis (int): the dimension (default -1); torch's ``dim`` too.
    descending (bool): largest first (default False).

Returns:
    tuple: the named tuple ``(values, indices)``, indices int64.

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> values, indices = kindling.sort(kindling.tensor([3.0, 1.0, 2.0]))
    >>> values, indices
    (tensor([1.0000, 2.0000, 3.0000]), tensor([1, 2, 0], dtype=int64))
)";

inline constexpr const char* topk =
    R"(The ``k`` largest (or smallest) elements along ``axis``, sorted, as torch.topk.

Args:
    k (int): how many, in ``[0, x.size(axis)]``.
    axis (int): the dimension (default -1); torch's ``dim`` too.
    largest (bool): the largest (default) or the smallest.
    sorted (bool): must be True (the values always come sorted).

Returns:
    tuple: the named tuple ``(values, indices)``, indices int64.

Raises:
    kindling.Error: for k outside ``[0, size]``, ``sorted=False``, or an axis out of range.

Example:
    >>> kindling.topk(kindling.tensor([3.0, 1.0, 2.0]), 2).indices
    tensor([0, 2], dtype=int64)
)";

// ---- shape ----

inline constexpr const char* tile =
    R"(``x`` repeated ``reps[d]`` times along each dimension, as torch.tile.

A ``reps`` shorter than x's dimensions is padded with leading 1s; a longer one gives x leading
size-1 dimensions. A copy. The method takes the repetitions as several ints or one sequence.

Args:
    reps (int or sequence of ints): the repetitions per dimension.

Raises:
    kindling.Error: for a negative repetition.

Example:
    >>> kindling.tile(kindling.tensor([[1.0, 2.0]]), (2, 1))
    tensor([[1.0000, 2.0000],
            [1.0000, 2.0000]])
    >>> kindling.tensor([[1.0, 2.0]]).tile(2).shape
    (1, 4)
)";

inline constexpr const char* flip =
    R"(The elements in reverse order along each of the given axes, a copy, as torch.flip.

Args:
    axis (int or sequence of ints): the dimensions to reverse (torch's ``dims``); the method takes
        them as several ints or one sequence.

Raises:
    kindling.Error: for an axis out of range or given twice.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> kindling.flip(x, 0)
    tensor([[3.0000, 4.0000],
            [1.0000, 2.0000]])
    >>> x.flip(0, 1)
    tensor([[4.0000, 3.0000],
            [2.0000, 1.0000]])
)";

inline constexpr const char* chunk =
    R"(Views of ``x`` split into ``chunks`` pieces along ``axis``, as torch.chunk.

Each piece has ``ceil(size / chunks)`` elements along the axis, the last fewer; there may be
fewer pieces than asked, as in torch.

Args:
    chunks (int): how many pieces (> 0).
    axis (int): the dimension (default 0); torch's ``dim`` too.

Returns:
    tuple of Tensor: the pieces.

Raises:
    kindling.Error: for chunks < 1 or an axis out of range.

Example:
    >>> kindling.arange(5.0).chunk(2)
    (tensor([0.0000, 1.0000, 2.0000]), tensor([3.0000, 4.0000]))
)";

inline constexpr const char* split = R"(Views of ``x`` split along ``axis``, as torch.split.

Args:
    split_size_or_sections (int or sequence of ints): one size (pieces of that size, the last
        smaller), or the size of each piece (adding up to ``x.size(axis)``).
    axis (int): the dimension (default 0); torch's ``dim`` too.

Returns:
    tuple of Tensor: the pieces.

Raises:
    kindling.Error: for a size < 1, sizes that do not add up to the axis' size, or an axis out of
        range.

Example:
    >>> kindling.split(kindling.arange(5.0), 2)
    (tensor([0.0000, 1.0000]), tensor([2.0000, 3.0000]), tensor([4.0000]))
    >>> [p.shape for p in kindling.arange(5.0).split([1, 4])]
    [(1,), (4,)]
)";

inline constexpr const char* unbind =
    R"(Views of ``x`` at each index along ``axis``, with that axis removed, as torch.unbind.

Args:
    axis (int): the dimension (default 0); torch's ``dim`` too.

Returns:
    tuple of Tensor: ``x.size(axis)`` views.

Raises:
    kindling.Error: for an axis out of range.

Example:
    >>> kindling.unbind(kindling.tensor([[1.0, 2.0], [3.0, 4.0]]))
    (tensor([1.0000, 2.0000]), tensor([3.0000, 4.0000]))
)";

inline constexpr const char* t =
    R"(The transpose of a matrix (a view); a vector or a 0-d tensor as it is, as torch.t.

Raises:
    kindling.Error: for more than 2 dimensions (use ``transpose`` or ``permute``).

Example:
    >>> kindling.t(kindling.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[1.0000, 3.0000],
            [2.0000, 4.0000]])
)";

// ---- matrices ----

inline constexpr const char* mm =
    R"(The product of two matrices, ``(n, k) x (k, m) -> (n, m)``, as torch.mm.

No broadcasting and no vectors (``matmul`` has both).

Args:
    other (Tensor): the right matrix.

Raises:
    kindling.Error: for operands that are not 2-D, or inner dimensions that differ.

Example:
    >>> kindling.mm(kindling.ones(2, 3), kindling.ones(3, 4)).shape
    (2, 4)
)";

inline constexpr const char* bmm =
    R"(Batched matrix products, ``(b, n, k) x (b, k, m) -> (b, n, m)``, as torch.bmm.

The batch sizes must be equal: bmm does not broadcast (``matmul`` does).

Args:
    other (Tensor): the right batch of matrices.

Raises:
    kindling.Error: for operands that are not 3-D, batch sizes that differ, or inner dimensions
        that differ.

Example:
    >>> kindling.bmm(kindling.ones(5, 2, 3), kindling.ones(5, 3, 4)).shape
    (5, 2, 4)
)";

inline constexpr const char* dot =
    R"(The dot product of two 1-D tensors of one length, a 0-d tensor, as torch.dot.

Args:
    other (Tensor): the other vector.

Raises:
    kindling.Error: for operands that are not 1-D, or lengths that differ.

Example:
    >>> kindling.dot(kindling.tensor([1.0, 2.0]), kindling.tensor([3.0, 4.0]))
    tensor(11.0000)
)";

inline constexpr const char* outer =
    R"(The outer product of two vectors, ``(n) x (m) -> (n, m)``, as torch.outer.

Args:
    other (Tensor): the second vector.

Raises:
    kindling.Error: for operands that are not 1-D.

Example:
    >>> kindling.outer(kindling.tensor([1.0, 2.0]), kindling.tensor([1.0, -1.0]))
    tensor([[ 1.0000, -1.0000],
            [ 2.0000, -2.0000]])
)";

inline constexpr const char* tril =
    R"(The lower triangle of the last two dimensions, the rest 0, as torch.tril.

Args:
    diagonal (int): which diagonal bounds the triangle: 0 the main one (default), > 0 above it,
        < 0 below it.

Raises:
    kindling.Error: for fewer than 2 dimensions.

Example:
    >>> kindling.tril(kindling.ones(3, 3))
    tensor([[1.0000, 0.0000, 0.0000],
            [1.0000, 1.0000, 0.0000],
            [1.0000, 1.0000, 1.0000]])
)";

inline constexpr const char* triu =
    R"(The upper triangle of the last two dimensions, the rest 0, as torch.triu.

Args:
    diagonal (int): which diagonal bounds the triangle: 0 the main one (default), > 0 above it,
        < 0 below it.

Raises:
    kindling.Error: for fewer than 2 dimensions.

Example:
    >>> kindling.ones(3, 3).triu(1)
    tensor([[0.0000, 1.0000, 1.0000],
            [0.0000, 0.0000, 1.0000],
            [0.0000, 0.0000, 0.0000]])
)";

inline constexpr const char* diag =
    R"(A 1-D tensor on a diagonal of a square matrix, or a diagonal of a 2-D tensor, as torch.diag.

Args:
    diagonal (int): 0 the main diagonal (default), > 0 above it, < 0 below it.

Raises:
    kindling.Error: for a tensor that is neither 1-D nor 2-D.

Example:
    >>> kindling.diag(kindling.tensor([1.0, 2.0]))
    tensor([[1.0000, 0.0000],
            [0.0000, 2.0000]])
    >>> kindling.diag(kindling.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([1.0000, 4.0000])
)";

// ---- elementwise tests and math ----

inline constexpr const char* square = R"(``x * x`` elementwise, as torch.square.

Keeps the dtype: int64 wraps around, and a bool tensor comes back as it is (``x * x`` is
``x and x``).

Example:
    >>> kindling.square(kindling.tensor([-2, 3]))
    tensor([4, 9], dtype=int64)
)";

inline constexpr const char* isnan = R"(A bool mask of the NaN elements, as torch.isnan.

Integer and bool tensors have none. Never requires grad.

Example:
    >>> kindling.isnan(kindling.tensor([1.0, float("nan")]))
    tensor([False,  True], dtype=bool)
)";

inline constexpr const char* isinf =
    R"(A bool mask of the elements that are +inf or -inf, as torch.isinf.

Integer and bool tensors have none. Never requires grad.

Example:
    >>> kindling.tensor([float("inf"), 1.0, -float("inf")]).isinf()
    tensor([ True, False,  True], dtype=bool)
)";

}  // namespace kindling::python::docs
