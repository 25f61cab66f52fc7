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


def _first(items):
    if isinstance(items, (list, tuple)):
        return items[0] if items else None
    return items


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=False, is_grads_batched=False):
    """torch.autograd.grad: the gradients of sum_i <grad_outputs[i], outputs[i]> with respect to
    each input, as a tuple (None for an unused input with allow_unused); no .grad changes. With
    create_graph the gradients are graph nodes, so grad() of them gives second derivatives.
    outputs and inputs are Tensors, or Values (the scalar engine), each one or a sequence."""
    if isinstance(_first(outputs), _kindling.Value):
        if not only_inputs or is_grads_batched:
            raise _kindling.Error("grad: only_inputs=False and is_grads_batched are not "
                                  "supported for Values")
        return _kindling._value_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                     allow_unused)
    return _kindling.autograd.grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                   only_inputs, allow_unused, is_grads_batched)


__all__ = ["forward_ad", "functional", "grad"]
