"""Automatic differentiation beyond backward(), as torch.autograd: grad (gradients returned as
values, differentiable again with create_graph), forward mode (forward_ad) and the functional
transforms (functional: vjp, jvp, jacobian, hessian, hvp, vhp).

    >>> import kindling
    >>> x = kindling.Value(3.0)
    >>> (dx,) = kindling.autograd.grad(x ** 3, x, create_graph=True)   # 3 x^2 = 27
    >>> (d2x,) = kindling.autograd.grad(dx, x)                         # 6 x = 18
"""

from .. import _kindling
from . import forward_ad, functional  # noqa: F401


def _items(items):
    return list(items) if isinstance(items, (list, tuple)) else [items]


def _check_one_engine(outputs, inputs):
    """Values (the scalar engine) and Tensors are two graphs: one call differentiates one."""
    everything = [("output", i, o) for i, o in enumerate(_items(outputs))]
    everything += [("input", i, x) for i, x in enumerate(_items(inputs))]
    kinds = {type(item) for _, _, item in everything
             if isinstance(item, (_kindling.Value, _kindling.Tensor))}
    if len(kinds) > 1:
        first = everything[0][2]
        for what, i, item in everything:
            if isinstance(item, (_kindling.Value, _kindling.Tensor)) and type(item) is not type(first):
                raise _kindling.Error(
                    f"grad: output 0 is a {type(first).__name__} but {what} {i} is a "
                    f"{type(item).__name__}; Values and Tensors cannot be mixed in one call")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=False, is_grads_batched=False):
    """torch.autograd.grad: the gradients of sum_i <grad_outputs[i], outputs[i]> with respect to
    each input, as a tuple (None for an unused input with allow_unused); no .grad changes. With
    create_graph the gradients are graph nodes, so grad() of them gives second derivatives.
    outputs and inputs are Tensors, or Values (the scalar engine), each one or a sequence."""
    _check_one_engine(outputs, inputs)
    if isinstance(_items(outputs)[0] if _items(outputs) else None, _kindling.Value):
        if not only_inputs or is_grads_batched:
            raise _kindling.Error("grad: only_inputs=False and is_grads_batched are not "
                                  "supported for Values")
        return _kindling._value_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                     allow_unused)
    return _kindling.autograd.grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                   only_inputs, allow_unused, is_grads_batched)


__all__ = ["forward_ad", "functional", "grad"]
