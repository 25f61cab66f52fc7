"""The functional transforms, with torch.autograd.functional's signatures: vjp, jvp, jacobian,
hessian, hvp and vhp of a function of tensors. `inputs` is a tensor or a tuple of tensors, and the
function is called as ``func(*inputs)``; results follow the structure of what they are indexed by,
as torch's do (a tensor for a tensor, a tuple for a tuple). The work is done in C++
(kindling/tensor/functional.hpp); `vectorize` is accepted for torch's signature and changes
nothing.
"""

from .. import _kindling
from .._kindling import _autograd


def _as_tuple(value, what, fn_name):
    if isinstance(value, tuple):
        items, is_tuple = value, True
    elif isinstance(value, list):
        items, is_tuple = tuple(value), True
    else:
        items, is_tuple = (value,), False
    for i, item in enumerate(items):
        if not isinstance(item, _kindling.Tensor):
            raise _kindling.Error(
                f"{fn_name}: {what} must be a Tensor or a tuple of Tensors, "
                f"but item {i} is a {type(item).__name__}"
            )
    return is_tuple, items


def _directions(v, fn_name):
    if v is None:
        return []
    return list(_as_tuple(v, "v", fn_name)[1])


class _Wrapped:
    """func(*inputs) as the C++ side calls it: a list in, a list out; remembers whether the
    function returned a tuple."""

    def __init__(self, func, fn_name):
        self.func = func
        self.fn_name = fn_name
        self.output_is_tuple = False

    def __call__(self, inputs):
        out = self.func(*inputs)
        self.output_is_tuple, outputs = _as_tuple(
            out, "the outputs of the user-provided function", self.fn_name
        )
        return list(outputs)


def _shaped(items, is_tuple):
    return tuple(items) if is_tuple else items[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Jacobian product ``v^T J`` of ``func`` at ``inputs``, by reverse mode, as torch.autograd.functional.vjp.

    Args:
        func (callable): takes the inputs' tensors, returns a tensor or a tuple of tensors.
        inputs (Tensor or tuple of Tensor): where to differentiate.
        v (Tensor or tuple of Tensor, optional): one per output, of its shape; may be None only
            for a one-element output.
        create_graph (bool): make the result differentiable (default False).
        strict (bool): raise when an output does not depend on an input, instead of giving
            zeros (default False).

    Returns:
        tuple: ``(func(*inputs), vjp)``, each shaped as the outputs and inputs are.

    Raises:
        kindling.Error: for inputs or outputs that are not tensors, v of the wrong count or
            shape, and the strict violations.

    Example:
        >>> from kindling.autograd.functional import vjp
        >>> x = kindling.tensor([1.0, 2.0], dtype="float64")
        >>> vjp(lambda t: t ** 2, x, kindling.ones(2, dtype="float64"))
        (tensor([1.0000, 4.0000], dtype=float64), tensor([2.0000, 4.0000], dtype=float64))
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "vjp")
    f = _Wrapped(func, "vjp")
    outputs, grads = _autograd.vjp(f, list(xs), _directions(v, "vjp"), create_graph, strict)
    return _shaped(outputs, f.output_is_tuple), _shaped(grads, in_tuple)


def _items_of(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _value_jvp(func, inputs, v):
    """jvp for Values: each input a dual carrying its direction (a number), func run once under a
    dual level; the tangents are floats, 0.0 for an output that depends on no input."""
    from . import forward_ad

    xs = _items_of(inputs)
    if v is None:
        if len(xs) != 1:
            raise _kindling.Error("jvp: v can be None only for a single input Value")
        v = 1.0
    directions = _items_of(v)
    if len(directions) != len(xs):
        raise _kindling.Error(f"jvp: v has {len(directions)} items for {len(xs)} inputs")
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(x, t) for x, t in zip(xs, directions)]
        out = func(*duals)
        outputs = _items_of(out)
        tangents = []
        for o in outputs:
            if not isinstance(o, _kindling.Value):
                raise _kindling.Error("jvp: the outputs of the user-provided function must be "
                                      f"Values when the inputs are, got a {type(o).__name__}")
            tangent = forward_ad.unpack_dual(o).tangent
            tangents.append(0.0 if tangent is None else tangent)
    is_tuple = isinstance(out, (tuple, list))
    return _shaped(list(outputs), is_tuple), _shaped(tangents, is_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian-vector product ``J v`` of ``func`` at ``inputs``, by forward mode (tangents), as torch.autograd.functional.jvp.

    torch computes it with two reverse passes; here it is one forward pass with dual tensors.
    The inputs may also be Values (v then numbers), and the tangents are floats.

    Args:
        func (callable): takes the inputs, returns a tensor (Value) or a tuple of them.
        inputs (Tensor, Value or tuple): where to differentiate.
        v (optional): one direction per input, of its shape (numbers for Values); may be None only
            for a single one-element input.
        create_graph (bool): make the result differentiable (default False).
        strict (bool): raise when an output does not depend on an input (default False).

    Returns:
        tuple: ``(func(*inputs), jvp)``, both shaped as the outputs are.

    Raises:
        kindling.Error: for inputs or outputs of the wrong kind, v of the wrong count or shape,
            and the strict violations.

    Example:
        >>> from kindling.autograd.functional import jvp
        >>> x = kindling.tensor([1.0, 2.0], dtype="float64")
        >>> jvp(lambda t: t ** 2, x, kindling.ones(2, dtype="float64"))[1]
        tensor([2.0000, 4.0000], dtype=float64)
        >>> jvp(lambda v: v * v, kindling.Value(3.0))
        (Value(data=9.0000, grad=0.0000), 6.0)
    """
    if all(isinstance(x, _kindling.Value) for x in _items_of(inputs)):
        return _value_jvp(func, inputs, v)
    _, xs = _as_tuple(inputs, "inputs", "jvp")
    f = _Wrapped(func, "jvp")
    outputs, tangents = _autograd.jvp(f, list(xs), _directions(v, "jvp"), create_graph, strict)
    return _shaped(outputs, f.output_is_tuple), _shaped(tangents, f.output_is_tuple)


def _blocks(rows, out_tuple, in_tuple):
    if out_tuple and in_tuple:
        return tuple(tuple(row) for row in rows)
    if out_tuple:
        return tuple(row[0] for row in rows)
    if in_tuple:
        return tuple(rows[0])
    return rows[0][0]


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``, as torch.autograd.functional.jacobian.

    Each block has shape ``output.shape + input.shape``; blocks are nested as torch's: a tensor
    for one input and one output, a tuple over inputs or outputs, a tuple of tuples (outputs
    outer) for both.

    Args:
        func (callable): takes the inputs' tensors, returns a tensor or a tuple of tensors.
        inputs (Tensor or tuple of Tensor): where to differentiate.
        create_graph (bool): make the result differentiable (default False).
        strict (bool): raise when an output does not depend on an input (default False).
        vectorize (bool): accepted for torch's signature; changes nothing.
        strategy (str): ``'reverse-mode'`` (default, a backward pass per output element) or
            ``'forward-mode'`` (a forward pass per input element).

    Raises:
        kindling.Error: for another strategy, inputs or outputs that are not tensors, and the
            strict violations.

    Example:
        >>> from kindling.autograd.functional import jacobian
        >>> x = kindling.tensor([1.0, 2.0], dtype="float64")
        >>> jacobian(lambda t: t ** 2, x)
        tensor([[2.0000, 0.0000],
                [0.0000, 4.0000]], dtype=float64)
        >>> [j.shape for j in jacobian(lambda a, b: a * b, (x, x))]
        [(2, 2), (2, 2)]
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    f = _Wrapped(func, "jacobian")
    rows = _autograd.jacobian(f, list(xs), create_graph, strict, strategy)
    return _blocks(rows, f.output_is_tuple, in_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of ``func``, which returns one one-element tensor, at ``inputs``, as torch.autograd.functional.hessian.

    Blocks of shape ``input_i.shape + input_j.shape``: a tensor for one input, a tuple of tuples
    for several.

    Args:
        func (callable): takes the inputs' tensors, returns a one-element tensor.
        inputs (Tensor or tuple of Tensor): where to differentiate.
        create_graph (bool): make the result differentiable (default False).
        strict (bool): raise when the output does not depend on an input (default False).
        vectorize (bool): accepted for torch's signature; changes nothing.
        outer_jacobian_strategy (str): ``'reverse-mode'`` (default) or ``'forward-mode'``.

    Raises:
        kindling.Error: for an output of more than one element, inputs that are not tensors, or
            another strategy.

    Example:
        >>> from kindling.autograd.functional import hessian
        >>> hessian(lambda t: (t ** 3).sum(), kindling.tensor([1.0, 2.0], dtype="float64"))
        tensor([[ 6.0000,  0.0000],
                [ 0.0000, 12.0000]], dtype=float64)
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*args):
        out = func(*args)
        _, outputs = _as_tuple(out, "the output of the user-provided function", "hessian")
        return outputs

    f = _Wrapped(scalar, "hessian")
    rows = _autograd.hessian(f, list(xs), create_graph, strict, outer_jacobian_strategy)
    return _blocks(rows, in_tuple, in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian-vector product ``H v`` of ``func``, which returns one one-element tensor, as torch.autograd.functional.hvp.

    Args:
        func (callable): takes the inputs' tensors, returns a one-element tensor.
        inputs (Tensor or tuple of Tensor): where to differentiate.
        v (Tensor or tuple of Tensor): one direction per input, of its shape.
        create_graph (bool): make the result differentiable (default False).
        strict (bool): raise when the output does not depend on an input (default False).

    Returns:
        tuple: ``(func(*inputs), hvp)``, the products shaped as the inputs are.

    Example:
        >>> from kindling.autograd.functional import hvp
        >>> x = kindling.tensor([1.0, 2.0], dtype="float64")
        >>> hvp(lambda t: (t ** 2).sum(), x, kindling.ones(2, dtype="float64"))
        (tensor(5.0000, dtype=float64), tensor([2.0000, 2.0000], dtype=float64))
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "hvp")
    f = _Wrapped(func, "hvp")
    outputs, products = _autograd.hvp(f, list(xs), _directions(v, "hvp"), create_graph, strict)
    return outputs[0], _shaped(products, in_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """The vector-Hessian product ``v^T H`` of ``func``, which returns one one-element tensor, as torch.autograd.functional.vhp.

    Equal to hvp for the symmetric Hessians of twice-differentiable functions.

    Args:
        func (callable): takes the inputs' tensors, returns a one-element tensor.
        inputs (Tensor or tuple of Tensor): where to differentiate.
        v (Tensor or tuple of Tensor): one direction per input, of its shape.
        create_graph (bool): make the result differentiable (default False).
        strict (bool): raise when the output does not depend on an input (default False).

    Returns:
        tuple: ``(func(*inputs), vhp)``, the products shaped as the inputs are.

    Example:
        >>> from kindling.autograd.functional import vhp
        >>> x = kindling.tensor([1.0, 2.0], dtype="float64")
        >>> vhp(lambda t: (t ** 3).sum(), x, kindling.ones(2, dtype="float64"))[1]
        tensor([ 6.0000, 12.0000], dtype=float64)
    """
    in_tuple, xs = _as_tuple(inputs, "inputs", "vhp")
    f = _Wrapped(func, "vhp")
    outputs, products = _autograd.vhp(f, list(xs), _directions(v, "vhp"), create_graph, strict)
    return outputs[0], _shaped(products, in_tuple)


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
