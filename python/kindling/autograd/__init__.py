"""Automatic differentiation beyond backward(), as torch.autograd: grad (gradients returned as
values, differentiable again with create_graph), forward mode (forward_ad) and the functional
transforms (functional: vjp, jvp, jacobian, hessian, hvp, vhp).

    >>> import kindling
    >>> x = kindling.Value(3.0)
    >>> (dx,) = kindling.autograd.grad(x ** 3, x, create_graph=True)   # 3 x^2 = 27
    >>> (d2x,) = kindling.autograd.grad(dx, x)                         # 6 x = 18
    >>> dx.data, d2x.data
    (27.0, 18.0)
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
    """The gradients of the outputs with respect to the inputs, returned instead of added to ``.grad``, as torch.autograd.grad.

    Computes d(sum_i <grad_outputs[i], outputs[i]>)/d(input) for each input. No leaf's ``.grad``
    changes (for Values, an interior node the pass reaches is left holding its gradient, as after
    backward()). With create_graph the gradients are graph nodes, so grad() of them gives second
    derivatives. Works on Tensors and on Values (the scalar engine), not both in one call.

    Args:
        outputs (Tensor, Value or sequence): what to differentiate.
        inputs (Tensor, Value or sequence): what to differentiate by (leaves or interior nodes).
        grad_outputs (optional): one seed per output, of its shape (default 1 for one-element
            outputs; a tensor output of more elements needs one).
        retain_graph (bool, optional): keep the saved tensors for another backward (defaults to
            create_graph; changes nothing for Values, whose grad() never releases a graph).
        create_graph (bool): record the gradients' own graph (default False).
        only_inputs (bool): must be True (torch ignores it).
        allow_unused (bool): give None for an input the outputs do not depend on, instead of
            raising (default False).
        is_grads_batched (bool): must be False (not supported).

    Returns:
        tuple: one gradient per input (a Tensor, a Value, or None with allow_unused).

    Raises:
        kindling.Error: for Values and Tensors mixed in one call, an unused input without
            allow_unused, a graph released by an earlier backward, grad_outputs of the wrong
            count or shape, only_inputs=False or is_grads_batched=True.

    Example:
        >>> t = kindling.tensor([1.0, 2.0], requires_grad=True)
        >>> kindling.autograd.grad((t ** 3).sum(), t)
        (tensor([ 3.0000, 12.0000]),)
        >>> t.grad is None
        True
        >>> u = kindling.tensor([1.0], requires_grad=True)
        >>> kindling.autograd.grad((t * t).sum(), [t, u], allow_unused=True)
        (tensor([2.0000, 4.0000]), None)
        >>> x = kindling.Value(3.0)
        >>> (dx,) = kindling.autograd.grad(x ** 3, x, create_graph=True)
        >>> kindling.autograd.grad(dx, x)
        (Value(data=18.0000, grad=0.0000),)
    """
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
