"""Automatic differentiation beyond backward(), as torch.autograd: forward mode (forward_ad) and
the functional transforms (functional: vjp, jvp, jacobian, hessian, hvp, vhp)."""

from . import forward_ad, functional  # noqa: F401

__all__ = ["forward_ad", "functional"]
