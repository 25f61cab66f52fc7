"""The tensor ops of the differential test: each op as kindling runs it and as PyTorch runs it,
and the tolerances of its forward value and of its vector-Jacobian product (Note [localised
comparison] in differential.py)."""

import math

import numpy as np
import torch
import torch.nn.functional as F

import kindling
from diff_common import DTYPE_NAME, TORCH_DTYPE, fmt_array, overflows

class Node:
    __slots__ = ("id", "op", "inputs", "attrs", "dtype", "shape", "grad")

    def __init__(self, nid, op, inputs, attrs, dtype, shape, grad):
        self.id, self.op, self.inputs, self.attrs = nid, op, inputs, attrs
        self.dtype, self.shape, self.grad = dtype, shape, grad

    def text(self):
        name = f"t{self.id}"
        args = ", ".join(f"t{i}" for i in self.inputs)
        attrs = ", ".join(f"{k}={v!r}" for k, v in self.attrs.items() if k != "value")
        if self.op in ("leaf", "const"):
            v = self.attrs["value"]
            return f"{name} = {self.op} {self.dtype} {tuple(v.shape)} = {fmt_array(v)}"
        inner = ", ".join(x for x in (args, attrs) if x)
        return f"{name} = {self.op}({inner})    # {self.dtype} {self.shape}"


def _axes_arg(axis, ndim):
    return tuple(range(ndim)) if axis is None else axis


def _reduce_count(shape, axis):
    if axis is None:
        return int(np.prod(shape, dtype=np.int64)) if shape else 1
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes], dtype=np.int64)) if axes else 1


def _getitem_key(attrs):
    key = []
    for item in attrs["key"]:
        key.append(slice(*item) if isinstance(item, tuple) else item)
    return tuple(key)


# The unary primitives added with the op table (op_list.hpp), as methods of both (silu is
# torch.nn.functional's); the ones with parameters take them as attrs (torch's keyword names).
NEW_UNARY = ("silu", "sin", "cos", "log1p", "expm1", "erf", "sign", "floor", "round",
             "reciprocal", "rsqrt")
PARAM_UNARY = ("leaky_relu", "elu", "softplus")


# Each op: how kindling runs it, how torch runs it, and its tolerance class:
#   exact     selection, movement, IEEE arithmetic that rounds once (a few ulps for safety)
#   transc    transcendental elementwise functions
#   reduce    sums over `terms` elements (scale: the sum of absolute values)
# Python numbers in attrs are passed as numbers to both libraries.
def k_apply(op, a, x):
    if op == "neg": return -x[0]
    if op in ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "gelu") or op in NEW_UNARY:
        return getattr(x[0], op)()
    if op in PARAM_UNARY:  # the parameters are the attrs, under torch's keyword names
        return getattr(x[0], op)(**a)
    if op == "pow_scalar": return x[0] ** a["k"]
    if op == "rpow_scalar": return a["k"] ** x[0]
    if op == "add": return x[0] + x[1]
    if op == "sub": return x[0] - x[1]
    if op == "mul": return x[0] * x[1]
    if op == "div": return x[0] / x[1]
    if op == "pow": return x[0] ** x[1]
    if op == "scalar_op":
        c, side, fn = a["c"], a["side"], a["fn"]
        if fn == "add": return x[0] + c if side == "right" else c + x[0]
        if fn == "sub": return x[0] - c if side == "right" else c - x[0]
        if fn == "mul": return x[0] * c if side == "right" else c * x[0]
        if fn == "div": return x[0] / c if side == "right" else c / x[0]
    if op == "lt": return x[0] < x[1]
    if op == "le": return x[0] <= x[1]
    if op == "gt": return x[0] > x[1]
    if op == "ge": return x[0] >= x[1]
    if op == "where": return kindling.where(x[0], x[1], x[2])
    if op == "maximum": return kindling.maximum(x[0], x[1])
    if op == "minimum": return kindling.minimum(x[0], x[1])
    if op == "clamp": return kindling.clamp(x[0], a["low"], a["high"])
    if op in ("max", "min") and a["axis"] is not None:
        # amax/amin: the gradient split among ties, as the reference's torch.amax. (x.max(dim) is
        # torch.max(x, dim), whose gradient goes to one index: tests/python/test_tensor_api.py.)
        return getattr(kindling, "a" + op)(x[0], axis=a["axis"], keepdim=a["keepdim"])
    if op in ("sum", "mean", "max", "min"):
        return getattr(x[0], op)(axis=a["axis"], keepdim=a["keepdim"])
    if op == "argmax": return kindling.argmax(x[0], a["axis"], a["keepdim"])
    if op == "matmul": return kindling.matmul(x[0], x[1])
    if op == "transpose": return x[0].transpose(a["a"], a["b"])
    if op == "permute": return x[0].permute(list(a["order"]))
    if op == "getitem": return x[0][_getitem_key(a)]
    if op == "expand": return x[0].expand(list(a["shape"]))
    if op == "reshape": return x[0].reshape(list(a["shape"]))
    if op == "squeeze": return x[0].squeeze(a["axis"])
    if op == "unsqueeze": return x[0].unsqueeze(a["axis"])
    if op == "flatten": return x[0].flatten(a["start"], a["end"])
    if op == "contiguous": return x[0].contiguous()
    if op == "clone": return x[0].clone()
    if op == "detach": return x[0].detach()
    if op == "cast": return x[0].to(a["to"])
    if op == "concat": return kindling.concat(list(x), a["axis"])
    if op == "stack": return kindling.stack(list(x), a["axis"])
    if op == "softmax": return kindling.softmax(x[0], a["axis"])
    if op == "log_softmax": return kindling.log_softmax(x[0], a["axis"])
    if op == "logsumexp": return kindling.logsumexp(x[0], a["axis"], a["keepdim"])
    if op == "cross_entropy": return kindling.cross_entropy(x[0], x[1], a["reduction"])
    raise KeyError(op)


def t_apply(op, a, x):
    if op == "neg": return -x[0]
    if op == "gelu": return F.gelu(x[0])
    if op in ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu"):
        return getattr(torch, op)(x[0])
    if op == "silu": return F.silu(x[0])
    if op in NEW_UNARY: return getattr(torch, op)(x[0])
    if op in PARAM_UNARY: return getattr(F, op)(x[0], **a)
    if op == "pow_scalar": return x[0] ** a["k"]
    if op == "rpow_scalar": return a["k"] ** x[0]
    if op == "add": return x[0] + x[1]
    if op == "sub": return x[0] - x[1]
    if op == "mul": return x[0] * x[1]
    if op == "div": return x[0] / x[1]
    if op == "pow": return x[0] ** x[1]
    if op == "scalar_op":
        c, side, fn = a["c"], a["side"], a["fn"]
        if fn == "add": return x[0] + c if side == "right" else c + x[0]
        if fn == "sub": return x[0] - c if side == "right" else c - x[0]
        if fn == "mul": return x[0] * c if side == "right" else c * x[0]
        if fn == "div":
            if side == "right":
                return x[0] / c
            # Note [number over tensor]: kindling's c / t is a true division, as torch.div(c, t);
            # torch's own `c / t` is reciprocal(t) * c, which overflows for a subnormal t (and its
            # gradient with it) where the quotient is finite.
            return torch.div(torch.tensor(c, dtype=x[0].dtype), x[0])
    if op == "lt": return x[0] < x[1]
    if op == "le": return x[0] <= x[1]
    if op == "gt": return x[0] > x[1]
    if op == "ge": return x[0] >= x[1]
    if op == "where":
        cond = x[0] if x[0].dtype == torch.bool else x[0] != 0
        return torch.where(cond, x[1], x[2])
    if op == "maximum": return torch.maximum(x[0], x[1])
    if op == "minimum": return torch.minimum(x[0], x[1])
    if op == "clamp": return torch.clamp(x[0], a["low"], a["high"])
    if op == "sum": return x[0].sum(dim=_axes_arg(a["axis"], x[0].ndim), keepdim=a["keepdim"])
    if op == "mean": return x[0].mean(dim=_axes_arg(a["axis"], x[0].ndim), keepdim=a["keepdim"])
    if op in ("max", "min"):
        # Over the whole tensor kindling's max is torch.max(x), over axes torch.amax(x, axes): the
        # two differ in the gradient of a NaN result (Note [max of NaN] in ops_reduce.cpp).
        if a["axis"] is None:
            whole = (torch.max if op == "max" else torch.min)(x[0])
            return whole.reshape([1] * x[0].ndim) if a["keepdim"] else whole
        reduce = torch.amax if op == "max" else torch.amin
        return reduce(x[0], dim=_axes_arg(a["axis"], x[0].ndim), keepdim=a["keepdim"])
    if op == "argmax":
        if a["axis"] is None:
            return torch.argmax(x[0])
        return torch.argmax(x[0], dim=a["axis"], keepdim=a["keepdim"])
    if op == "matmul": return torch.matmul(x[0], x[1])
    if op == "transpose": return x[0].transpose(a["a"], a["b"])
    if op == "permute": return x[0].permute(*a["order"])
    if op == "getitem": return x[0][_getitem_key(a)]
    if op == "expand": return x[0].expand(*a["shape"])
    if op == "reshape": return x[0].reshape(*a["shape"])
    if op == "squeeze": return x[0].squeeze(a["axis"])
    if op == "unsqueeze": return x[0].unsqueeze(a["axis"])
    if op == "flatten": return x[0].flatten(a["start"], a["end"])
    if op == "contiguous": return x[0].contiguous()
    if op == "clone": return x[0].clone()
    if op == "detach": return x[0].detach()
    if op == "cast": return x[0].to(TORCH_DTYPE[a["to"]])
    if op == "concat": return torch.cat(list(x), a["axis"])
    if op == "stack": return torch.stack(list(x), a["axis"])
    if op == "softmax": return torch.softmax(x[0], a["axis"])
    if op == "log_softmax": return torch.log_softmax(x[0], a["axis"])
    if op == "logsumexp":
        return torch.logsumexp(x[0], dim=_axes_arg(a["axis"], x[0].ndim), keepdim=a["keepdim"])
    if op == "cross_entropy": return F.cross_entropy(x[0], x[1], reduction=a["reduction"])
    raise KeyError(op)


NON_DIFFERENTIABLE = {"lt", "le", "gt", "ge", "argmax", "detach"}
EXACT = {"neg", "abs", "relu", "add", "sub", "mul", "div", "scalar_op", "lt", "le", "gt", "ge",
         "where", "maximum", "minimum", "clamp", "max", "min", "argmax", "transpose", "permute",
         "getitem", "expand", "reshape", "squeeze", "unsqueeze", "flatten", "contiguous", "clone",
         "detach", "cast", "concat", "stack", "sign", "floor", "round", "reciprocal", "leaky_relu"}
TRANSCENDENTAL = {"exp", "log", "sqrt", "tanh", "sigmoid", "gelu", "pow_scalar", "rpow_scalar",
                  "pow", "silu", "sin", "cos", "log1p", "expm1", "erf", "rsqrt", "elu", "softplus"}


def pow_growth(node, tin):
    """|b log a| for a pow node a^b (broadcast): pow goes through exp(b log a) somewhere, and its
    relative error grows with that exponent."""
    op, a = node.op, node.attrs
    if op == "pow":
        base, expo = tin[0].detach().double(), tin[1].detach().double()
    elif op == "pow_scalar":
        base, expo = tin[0].detach().double(), torch.tensor(float(a["k"]), dtype=torch.float64)
    else:
        base, expo = torch.tensor(float(a["k"]), dtype=torch.float64), tin[0].detach().double()
    growth = (expo * torch.log(base.abs())).abs()
    return torch.nan_to_num(growth, nan=0.0, posinf=0.0).broadcast_to(
        torch.broadcast_shapes(base.shape, expo.shape))


def forward_tolerance(node, tin, ref):
    """(ulps, scale) for comparing node's forward value with torch's `ref` (Note [localised
    comparison]); tin are torch's inputs (kindling's values). The scale of a sum (sum, mean,
    matmul) is the same sum over absolute values."""
    op, a = node.op, node.attrs
    ref64 = ref.detach().to(torch.float64) if ref.is_floating_point() else None
    if op in EXACT:
        return 4, None
    if op in TRANSCENDENTAL:
        if op in ("pow", "pow_scalar", "rpow_scalar"):
            return 16, (ref64.abs() * (1 + pow_growth(node, tin))).numpy()
        if op == "log":
            return 16, 1.0  # near 1 the result is small; the error is absolute there
        if op in ("gelu", "silu"):
            return 16, tin[0].detach().double().abs().numpy()
        if op in ("sin", "cos"):  # the argument reduction's error is absolute, relative to |x|
            return 16, (1 + tin[0].detach().double().abs()).numpy()
        return 16, None
    x64 = [t.detach().to(torch.float64) if t.is_floating_point() else t for t in tin]
    if op in ("sum", "mean"):
        terms = _reduce_count(tuple(tin[0].shape), a["axis"])
        scale = t_apply(op, a, [x64[0].abs()])
        return 4 + 2 * terms, torch.nan_to_num(scale, posinf=np.inf).numpy()
    if op == "matmul":
        terms = tin[0].shape[-1]
        return 4 + 2 * terms, torch.matmul(x64[0].abs(), x64[1].abs()).numpy()
    if op in ("softmax", "log_softmax", "logsumexp", "cross_entropy"):
        # exp(x - m) carries the absolute error of x - m; log_softmax subtracts logsumexp.
        x = x64[0]
        if x.numel() == 0:
            return 8, None
        axis = a["axis"] if op != "cross_entropy" else 1
        if axis is None:
            axis = tuple(range(x.ndim))
        finite = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        big = finite.abs().amax(dim=axis, keepdim=True) if x.ndim else finite.abs()
        terms = _reduce_count(tuple(x.shape), axis) if x.ndim else 1
        lse = torch.logsumexp(x, dim=axis, keepdim=True) if x.ndim else x
        lse = torch.nan_to_num(lse, nan=0.0, posinf=0.0, neginf=0.0).abs()
        ulps = 8 + 4 * terms
        if op == "softmax":
            return ulps, (ref64.abs() * (1 + big + lse)).numpy()
        if op == "log_softmax":
            return ulps, (finite.abs() + big + lse).numpy()
        if op == "logsumexp":
            s = big + lse
            if not a["keepdim"] and x.ndim:
                s = s.squeeze(axis) if isinstance(axis, int) else s.reshape(ref64.shape)
            return ulps, s.broadcast_to(ref64.shape).numpy()
        rows = (big + lse).reshape(-1)
        if a["reduction"] == "none":
            return ulps, rows.numpy()
        total = rows.sum() / (rows.numel() if a["reduction"] == "mean" else 1)
        return ulps, total.numpy()
    return 16, None


def vjp_scale(node, tin, upstream, grads):
    """Per input, (scale, undefined): the magnitude of the terms kindling's VJP of `node` adds
    (for the gradient tolerance), and where they overflow. The scale is the VJP evaluated on
    absolute values for the (bi)linear ops, else |vjp| + |g| summed over broadcast dimensions."""
    op, a = node.op, node.attrs
    out = []
    linear = op in ("add", "sub", "mul", "matmul", "sum", "mean", "scalar_op", "concat", "stack",
                    "expand", "reshape", "getitem", "transpose", "permute", "squeeze",
                    "unsqueeze", "flatten", "contiguous", "clone", "cast")
    if linear and not (op == "scalar_op" and a["fn"] == "div" and a["side"] == "left"):
        xs = [t.detach().to(torch.float64).abs().requires_grad_(t.is_floating_point())
              if t.is_floating_point() else t for t in tin]
        if op == "cast":
            xs = [xs[0]]
            res = xs[0].to(torch.float64)
        else:
            aa = dict(a)
            if op == "scalar_op":
                aa["c"] = abs(a["c"]) if math.isfinite(a["c"]) else a["c"]
            res = t_apply(op, aa, xs)
        targets = [x for x in xs if isinstance(x, torch.Tensor) and x.requires_grad]
        g = upstream.detach().to(torch.float64).abs()
        with np.errstate(all="ignore"):
            gs = torch.autograd.grad(res, targets, g, allow_unused=True)
        it = iter(gs)
        for t in tin:
            if t.is_floating_point():
                s = next(it)
                if s is None:
                    out.append((None, None))
                else:
                    s = torch.nan_to_num(s.abs(), nan=0.0).numpy()
                    out.append((s, overflows(s, DTYPE_NAME[t.dtype])))
            else:
                out.append((None, None))
        return out
    # (NaN upstream elements would make every sum below NaN, and so the whole tolerance 0.)
    g_abs = torch.nan_to_num(upstream.detach().to(torch.float64).abs(), nan=0.0)
    for t, gr in zip(tin, grads):
        if gr is None:
            out.append((None, None))
            continue
        s = gr.detach().to(torch.float64).abs()
        # |g| reduced to the input's shape (broadcast dims summed): the floor for cancellation
        # in formulas like (1 - tanh^2) g.
        floor = g_abs
        if op in ("softmax", "log_softmax", "cross_entropy", "logsumexp"):
            # exp(x - logsumexp(x)) carries the rounding error of logsumexp(x), relative to x's
            # magnitude: at |x| ~ 1/eps neither library's gradient means anything (PyTorch's
            # logsumexp of [-7e18, -7e18] in float32 has gradient [1, 1] rather than [.5, .5]).
            x = torch.nan_to_num(tin[0].detach().double(), nan=0.0, posinf=0.0, neginf=0.0)
            big = float(x.abs().max()) if x.numel() else 0.0
            s = s * (1 + big)
            floor = g_abs.sum() * (1 + big) * torch.ones_like(s)
        elif op in ("max", "min"):
            floor = g_abs.sum() * torch.ones_like(s)
        else:
            if op in ("pow", "pow_scalar", "rpow_scalar"):
                # a^(b-1) and a^b log a carry pow's error, which grows with |b log a| (the
                # forward tolerance says why).
                growth = pow_growth(node, tin)
                s = s * (1 + (float(growth.max()) if growth.numel() else 0.0))
            while floor.ndim > s.ndim:
                floor = floor.sum(0)
            for d in range(s.ndim):
                if d < floor.ndim and s.shape[d] == 1 and floor.shape[d] != 1:
                    floor = floor.sum(d, keepdim=True)
            floor = floor.broadcast_to(s.shape) if floor.shape != s.shape else floor
        undefined = None
        if op == "elu":
            # torch 1.13's elu gradient at a NaN input is NaN on its vector path and g on its
            # scalar tail (tensors shorter than a vector): unspecified; kindling gives NaN.
            undefined = torch.isnan(t.detach()).numpy()
        out.append((torch.nan_to_num(s + floor, nan=0.0).numpy(), undefined))
    return out
