"""The functional transforms, with torch.autograd.functional's signatures: vjp, jvp, jacobian,
hessian, hvp and vhp of a function of tensors. `inputs` is a tensor or a tuple of tensors, and the
function is called as func(*inputs); results follow the structure of what they are indexed by,
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
    """(func(*inputs), v^T J): the vector-Jacobian product, by reverse mode."""
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
    """(func(*inputs), J v): the Jacobian-vector product, by forward mode (tangents). inputs may
    also be Values (v numbers); the tangents are then floats (Note [scalar forward mode])."""
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
    """d func(*inputs) / d inputs, each block of shape output.shape + input.shape."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "jacobian")
    f = _Wrapped(func, "jacobian")
    rows = _autograd.jacobian(f, list(xs), create_graph, strict, strategy)
    return _blocks(rows, f.output_is_tuple, in_tuple)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function returning one one-element tensor."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*args):
        out = func(*args)
        _, outputs = _as_tuple(out, "the output of the user-provided function", "hessian")
        return outputs

    f = _Wrapped(scalar, "hessian")
    rows = _autograd.hessian(f, list(xs), create_graph, strict, outer_jacobian_strategy)
    return _blocks(rows, in_tuple, in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), H v) for a function returning one one-element tensor."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "hvp")
    f = _Wrapped(func, "hvp")
    outputs, products = _autograd.hvp(f, list(xs), _directions(v, "hvp"), create_graph, strict)
    return outputs[0], _shaped(products, in_tuple)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(*inputs), v^T H) for a function returning one one-element tensor."""
    in_tuple, xs = _as_tuple(inputs, "inputs", "vhp")
    f = _Wrapped(func, "vhp")
    outputs, products = _autograd.vhp(f, list(xs), _directions(v, "vhp"), create_graph, strict)
    return outputs[0], _shaped(products, in_tuple)


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
