"""Random tensor programs for the differential test: generation (while PyTorch runs them, so
that every op is valid), the run through kindling, and the node-by-node check against PyTorch
(Note [localised comparison] in differential.py)."""

import collections
import math

import numpy as np
import torch

import kindling
from diff_common import (DTYPE_NAME, EPS, FLOAT_DTYPES, NP_DTYPE, TORCH_DTYPE, compare, fmt_array,
                    overflows, torch_is_off)
from diff_tensor_ops import NON_DIFFERENTIABLE, Node, forward_tolerance, k_apply, t_apply, vjp_scale

class TensorProgram:
    """A random tensor program (SSA nodes), built while torch runs it so that every op is valid."""

    def __init__(self, draw):
        self.draw = draw
        self.nodes = []
        self.tvals = []  # torch values during generation
        self.dtype = draw.pick(FLOAT_DTYPES)

    # ---- building ----
    def _add(self, op, inputs, attrs):
        tin = [self.tvals[i] for i in inputs]
        with np.errstate(all="ignore"):
            out = t_apply(op, attrs, tin)
        dtype = DTYPE_NAME[out.dtype]
        grad = (out.dtype.is_floating_point and op not in NON_DIFFERENTIABLE
                and any(self.nodes[i].grad for i in inputs))
        node = Node(len(self.nodes), op, inputs, attrs, dtype, tuple(out.shape), grad)
        self.nodes.append(node)
        self.tvals.append(out.detach())
        return node.id

    def leaf(self, shape, dtype=None, kind="leaf", value=None):
        dtype = dtype or self.dtype
        if value is None:
            value = self.draw.values(shape, dtype)
        node = Node(len(self.nodes), kind, [], {"value": value}, DTYPE_NAME[TORCH_DTYPE[dtype]],
                    tuple(value.shape), kind == "leaf" and dtype in FLOAT_DTYPES)
        self.nodes.append(node)
        self.tvals.append(torch.from_numpy(value.copy()))
        return node.id

    def fresh_input(self, shape=None):
        """A new leaf, sometimes seen through a view so that it is not contiguous."""
        d = self.draw
        shape = d.shape() if shape is None else shape
        style = d.pick(["plain", "transpose", "step", "expand"], [5, 2, 2, 1])
        if style == "transpose" and len(shape) >= 2:
            i, j = sorted(d.rng.choice(len(shape), 2, replace=False).tolist())
            base = list(shape)
            base[i], base[j] = base[j], base[i]
            return self._add("transpose", [self.leaf(tuple(base))], {"a": i, "b": j})
        if style == "step" and len(shape) >= 1:
            axis = d.integer(0, len(shape) - 1)
            base = list(shape)
            base[axis] = shape[axis] * 2
            key = [(None, None, None)] * len(shape)
            key[axis] = (d.integer(0, 1), None, 2)
            return self._add("getitem", [self.leaf(tuple(base))], {"key": key})
        if style == "expand" and len(shape) >= 1 and any(s > 1 for s in shape):
            base = tuple(1 if d.chance(0.5) else s for s in shape)
            return self._add("expand", [self.leaf(base)], {"shape": tuple(shape)})
        return self.leaf(shape)

    def pick_node(self, float_only=True, grad_first=True):
        d = self.draw
        candidates = [n.id for n in self.nodes
                      if n.op != "const" and (not float_only or n.dtype in FLOAT_DTYPES)]
        if not candidates:
            return self.fresh_input()
        # Recent nodes more often: deeper programs; older ones too: shared subexpressions.
        weights = [1.0 + 2.0 * (i + 1) / len(candidates) for i in range(len(candidates))]
        return d.pick(candidates, weights)

    def broadcast_partner(self, x):
        """A node whose shape broadcasts with node x: an existing one, x itself, or a new leaf."""
        d = self.draw
        shape = self.nodes[x].shape
        if d.chance(0.15):
            return x  # the same tensor on both sides
        existing = [n.id for n in self.nodes if n.op != "const" and n.dtype in FLOAT_DTYPES
                    and n.id != x and _broadcasts(n.shape, shape)]
        if existing and d.chance(0.4):
            return d.pick(existing)
        new = list(shape)
        if new and d.chance(0.4):
            new = new[d.integer(0, len(new)):]  # fewer leading dims
        new = [1 if (s > 1 and d.chance(0.3)) else s for s in new]
        if d.chance(0.15):
            new = [d.pick([1, 2])] + new  # a dim x lacks
        return self.fresh_input(tuple(new))

    def random_op(self):
        d = self.draw
        kind = d.pick(["unary", "binary", "scalar", "compare_where", "clamp", "reduce", "matmul",
                       "view", "softmax", "cast", "join", "cross_entropy"],
                      [18, 18, 8, 5, 5, 12, 6, 14, 6, 3, 3, 3])
        x = self.pick_node()
        xs = self.nodes[x].shape
        if kind == "unary":
            op = d.pick(["neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "gelu",
                         "pow_scalar", "rpow_scalar", "silu", "sin", "cos", "log1p", "expm1",
                         "erf", "sign", "floor", "round", "reciprocal", "rsqrt", "leaky_relu",
                         "elu", "softplus"])
            attrs = {}
            if op == "leaky_relu":
                attrs["negative_slope"] = d.pick([0.01, 0.2, 0.0, -0.5])
            if op == "elu":
                attrs["alpha"] = d.pick([1.0, 0.5, 2.0])
            if op == "softplus":
                attrs["beta"] = d.pick([1.0, 2.0, 0.5, -1.0])
                attrs["threshold"] = d.pick([20.0, 1.0, 5.0])
            if op == "pow_scalar":
                attrs["k"] = d.pick([0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0, 1.5, -0.5])
            if op == "rpow_scalar":
                attrs["k"] = d.pick([2.0, 0.5, 1.0, 0.0, 10.0])
            return self._add(op, [x], attrs)
        if kind == "binary":
            op = d.pick(["add", "sub", "mul", "div", "pow", "maximum", "minimum"],
                        [4, 3, 4, 3, 1, 2, 2])
            y = self.broadcast_partner(x)
            return self._add(op, [x, y] if d.chance(0.5) else [y, x], {})
        if kind == "scalar":
            c = d.pick([2.0, -3.0, 0.5, 0.0, -0.0, 1.0, math.inf, 1e-45 if self.dtype == "float32"
                        else 5e-324])
            return self._add("scalar_op", [x], {"fn": d.pick(["add", "sub", "mul", "div"]),
                                                 "side": d.pick(["left", "right"]), "c": c})
        if kind == "compare_where":
            y = self.broadcast_partner(x)
            cond = self._add(d.pick(["lt", "le", "gt", "ge"]), [x, y], {})
            z = self.broadcast_partner(x)
            return self._add("where", [cond, x, z], {})
        if kind == "clamp":
            # Bounds taken from the input's own values, so that some elements sit on them.
            flat = self.tvals[x].reshape(-1).double().numpy()
            finite = [float(v) for v in flat if math.isfinite(v)] or [0.0]
            lo, hi = sorted([d.pick(finite), d.pick(finite)])
            if d.chance(0.2):
                hi = lo
            return self._add("clamp", [x], {"low": lo, "high": hi})
        if kind == "reduce":
            op = d.pick(["sum", "mean", "max", "min", "argmax"], [4, 3, 3, 2, 2])
            ndim = len(xs)
            keepdim = d.chance(0.4)
            if op == "argmax":
                axis = None if (ndim == 0 or d.chance(0.3)) else d.integer(-ndim, ndim - 1)
                return self._add(op, [x], {"axis": axis, "keepdim": keepdim and axis is not None})
            if ndim == 0 or d.chance(0.3):
                axis = None
            elif d.chance(0.6):
                axis = d.integer(-ndim, ndim - 1)
            else:
                count = d.integer(1, ndim)
                axis = tuple(sorted(d.rng.choice(ndim, count, replace=False).tolist()))
            if op in ("max", "min") and 0 in xs:
                axis = None
            return self._add(op, [x], {"axis": axis, "keepdim": keepdim})
        if kind == "matmul":
            if len(xs) == 0:
                xs = (d.integer(1, 4),)
                x = self.fresh_input(xs)
            k = xs[-1]
            if len(xs) == 1:
                other = (k, d.integer(1, 4)) if d.chance(0.6) else (k,)
            else:
                other = (k, d.integer(1, 4)) if d.chance(0.7) else (k,)
                if len(xs) == 3 and d.chance(0.5):
                    other = (xs[0], k, d.integer(1, 4))
            y = self.fresh_input(other) if d.chance(0.7) else self.broadcast_partner(x)
            return self._add("matmul", [x, y], {})
        if kind == "view":
            return self.random_view(x)
        if kind == "softmax":
            op = d.pick(["softmax", "log_softmax", "logsumexp"])
            if len(xs) == 0:
                x = self.fresh_input((d.integer(1, 4),))
                xs = self.nodes[x].shape
            axis = d.integer(-len(xs), len(xs) - 1)
            attrs = {"axis": axis}
            if op == "logsumexp":
                attrs["keepdim"] = d.chance(0.4)
            return self._add(op, [x], attrs)
        if kind == "cast":
            src = self.nodes[x]
            to = "float64" if src.dtype == "float32" else "float32"
            finite = bool(torch.isfinite(self.tvals[x]).all()) and (
                self.tvals[x].numel() == 0 or float(self.tvals[x].abs().max()) < 2.0 ** 62)
            if finite and d.chance(0.3):
                to = "int64"
            return self._add("cast", [x], {"to": to})
        if kind == "join":
            if len(xs) == 0 or d.chance(0.4):
                parts = [x] + [self.fresh_input(xs) if d.chance(0.7) else x
                               for _ in range(d.integer(1, 2))]
                return self._add("stack", parts, {"axis": d.integer(-len(xs) - 1, len(xs))})
            axis = d.integer(0, len(xs) - 1)
            parts = [x]
            for _ in range(d.integer(1, 2)):
                shape = list(xs)
                shape[axis] = d.integer(1, 3)
                parts.append(self.fresh_input(tuple(shape)) if d.chance(0.7) else x)
            return self._add("concat", parts, {"axis": axis - (len(xs) if d.chance(0.3) else 0)})
        if kind == "cross_entropy":
            n, c = d.integer(1, 4), d.integer(1, 4)
            logits = x if len(xs) == 2 else self.fresh_input((n, c))
            n, c = self.nodes[logits].shape
            target = np.array([d.integer(0, c - 1) for _ in range(n)], dtype=np.int64)
            t = self.leaf((n,), dtype="int64", kind="const", value=target)
            return self._add("cross_entropy", [logits, t],
                             {"reduction": d.pick(["mean", "sum", "none"])})
        raise AssertionError(kind)

    def random_view(self, x):
        d = self.draw
        xs = self.nodes[x].shape
        ndim = len(xs)
        options = ["reshape", "unsqueeze", "contiguous", "clone", "detach"]
        if ndim >= 2:
            options += ["transpose", "permute", "permute"]
        if ndim >= 1:
            options += ["getitem", "getitem", "expand", "squeeze", "flatten"]
        op = d.pick(options)
        if op == "transpose":
            i, j = d.rng.choice(ndim, 2, replace=False).tolist()
            return self._add(op, [x], {"a": int(i) - (ndim if d.chance(0.3) else 0), "b": int(j)})
        if op == "permute":
            return self._add(op, [x], {"order": tuple(int(v) for v in d.rng.permutation(ndim))})
        if op == "getitem":
            key = []
            for s in xs:
                if d.chance(0.25):
                    key.append(d.integer(-s, s - 1))
                elif d.chance(0.6):
                    start = d.integer(0, max(0, s - 1))
                    key.append((start, d.pick([None, s, s - 1, s + 2]), d.pick([1, 2, 3])))
                else:
                    key.append((None, None, None))
            if all(isinstance(k, int) for k in key) and d.chance(0.5):
                key = key[:-1] + [(None, None, None)]
            return self._add(op, [x], {"key": key})
        if op == "expand":
            new = [d.integer(2, 3) if s == 1 else s for s in xs]
            if d.chance(0.3):
                new = [d.integer(1, 3)] + new
            return self._add(op, [x], {"shape": tuple(new)})
        if op == "reshape":
            n = int(np.prod(xs, dtype=np.int64))
            shape = _factor(n, d)
            if shape and d.chance(0.3):
                shape[d.integer(0, len(shape) - 1)] = -1
            return self._add(op, [x], {"shape": tuple(shape)})
        if op == "squeeze":
            ones = [i for i, s in enumerate(xs) if s == 1]
            axis = d.pick(ones) if ones and d.chance(0.8) else d.integer(0, ndim - 1)
            return self._add(op, [x], {"axis": axis})
        if op == "unsqueeze":
            return self._add(op, [x], {"axis": d.integer(-ndim - 1, ndim)})
        if op == "flatten":
            start = d.integer(0, ndim - 1)
            return self._add(op, [x], {"start": start, "end": d.integer(start, ndim - 1)})
        return self._add(op, [x], {})

    def finish(self):
        """The loss: sum over the results nobody consumes of sum(result * weights). A program
        whose results are none differentiable (an argmax, a comparison) gets one more input."""
        used = {i for n in self.nodes for i in n.inputs}
        if not any(n.grad and n.id not in used for n in self.nodes):
            self.fresh_input()
            used = {i for n in self.nodes for i in n.inputs}
        terms = []
        for n in list(self.nodes):
            if n.id in used or not n.grad:
                continue
            w = self.draw.rng.standard_normal(n.shape).astype(NP_DTYPE[n.dtype])
            w[w == 0] = 1
            wid = self.leaf(n.shape, dtype=n.dtype, kind="const", value=np.asarray(w))
            terms.append(self._add("sum", [self._add("mul", [n.id, wid], {})],
                                   {"axis": None, "keepdim": False}))
        if not terms:
            return False
        loss = terms[0]
        for t in terms[1:]:
            if self.nodes[t].dtype != self.nodes[loss].dtype:
                t = self._add("cast", [t], {"to": self.nodes[loss].dtype})
            loss = self._add("add", [loss, t], {})
        self.loss = loss
        return True


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _factor(n, d):
    """A random shape with n elements."""
    shape = []
    rest = n
    while rest > 1 and len(shape) < 3:
        divisors = [k for k in range(2, rest + 1) if rest % k == 0]
        k = d.pick(divisors)
        shape.append(k)
        rest //= k
    if rest > 1:
        shape.append(rest)
    if d.chance(0.3):
        shape.insert(d.integer(0, len(shape)), 1)
    return shape if n != 0 else [0]


def generate_tensor_program(draw):
    p = TensorProgram(draw)
    for _ in range(draw.integer(1, 3)):
        p.fresh_input()
    target_ops = draw.integer(2, 9)
    ops = 0
    attempts = 0
    while ops < target_ops and attempts < 60:
        attempts += 1
        mark = len(p.nodes)
        try:
            p.random_op()
            ops += 1
        except (RuntimeError, ValueError, IndexError, TypeError):
            # torch refused this op (a shape that does not fit, say): undo and draw another.
            del p.nodes[mark:]
            del p.tvals[mark:]
    if not p.finish():
        return None
    return p


def program_slice(nodes, target_ids):
    """The text of the nodes the targets depend on, in order."""
    need = set()
    stack = list(target_ids)
    while stack:
        i = stack.pop()
        if i in need:
            continue
        need.add(i)
        stack.extend(nodes[i].inputs)
    return "\n".join("    " + nodes[i].text() for i in sorted(need))


def to_numpy_k(t):
    return np.array(t.numpy(), copy=True)


# Ops whose sign of a zero result PyTorch itself leaves to its code path, so that it is not
# compared: a tie of +0 and -0 in max, min, maximum, minimum and clamp picks whichever operand the
# vectorised or the scalar loop, or the broadcast order, happens to keep; and matmul's kernels fuse
# multiply and add (an FMA keeps the sign of a product that underflows, which a product rounded to
# -0 first and then added to +0 loses). Every other op's zero sign is compared exactly.
ZERO_SIGN_UNSPECIFIED = {"max", "min", "maximum", "minimum", "clamp", "matmul"}


def run_tensor_program(p, report, tag):
    nodes = p.nodes
    kv = [None] * len(nodes)
    alias = [None] * len(nodes)  # the node whose kindling graph node a node shares
    # ---- kindling, forward ----
    for n in nodes:
        try:
            if n.op in ("leaf", "const"):
                v = n.attrs["value"]
                kv[n.id] = kindling.tensor(v.copy(), requires_grad=n.grad)
            else:
                kv[n.id] = k_apply(n.op, n.attrs, [kv[i] for i in n.inputs])
            # A view that changes nothing (squeeze of a dim that is not 1, contiguous() of a
            # contiguous tensor) may hand back its input's node itself, as torch's contiguous()
            # does: labelling the result then renames the input. Such aliases share one
            # gradient, which the backward check must count once.
            kv[n.id].label = f"t{n.id}"
            alias[n.id] = n.id
            for i in n.inputs:
                if kv[i].label == f"t{n.id}":
                    alias[n.id] = alias[i]
                    kv[i].label = f"t{i}"
        except Exception as e:  # noqa: BLE001  (any exception is the finding)
            report.add(("tensor", "error", n.op, n.dtype, type(e).__name__),
                       f"{tag}: kindling raised {type(e).__name__}: {e}\n"
                       f"  program up to the failing node:\n{program_slice(nodes, [n.id])}")
            return
    knp = [to_numpy_k(t) for t in kv]

    # ---- forward, node by node ----
    for n in nodes:
        if n.op in ("leaf", "const"):
            bad = compare(knp[n.id], n.attrs["value"], n.dtype if n.dtype in EPS else "float64",
                          0)
            if bad:
                report.add(("tensor", "forward", "tensor()", n.dtype, bad[0]),
                           f"{tag}: kindling.tensor(a) does not hold a: {bad}\n  a = "
                           f"{fmt_array(n.attrs['value'])}\n  kindling: {fmt_array(knp[n.id])}")
            continue
        tin = [torch.from_numpy(knp[i].copy()) for i in n.inputs]
        try:
            with np.errstate(all="ignore"):
                ref = t_apply(n.op, n.attrs, tin)
        except Exception:  # torch refuses kindling's inputs: an upstream shape/dtype mismatch
            continue
        expected = ref.detach().numpy()
        dtype = n.dtype if n.dtype in EPS else "float64"
        ulps, scale = forward_tolerance(n, tin, ref) if ref.is_floating_point() else (0, None)
        undefined = None
        if n.op in ("sum", "mean", "matmul", "cross_entropy"):
            undefined = overflows(scale, dtype)
        bad = compare(knp[n.id], expected, dtype, ulps, scale, undefined=undefined,
                      zero_sign=n.op not in ZERO_SIGN_UNSPECIFIED)
        scalar = (n.attrs["fn"], n.attrs["side"], n.attrs["c"]) if n.op == "scalar_op" else None
        if bad and bad[0] not in ("shape", "dtype") and torch_is_off(
                n.op, knp[n.id], [knp[i] for i in n.inputs], dtype, ulps, scale,
                n.attrs.get("k"), scalar, n.attrs):
            report.count("torch less precise than kindling (not a mismatch)")
            bad = None
        if bad:
            report.add(("tensor", "forward", n.op, n.dtype, bad[0]),
                       describe_forward(p, n, knp, expected, bad, tag))

    # ---- backward ----
    try:
        kv[p.loss].backward()
    except Exception as e:  # noqa: BLE001
        report.add(("tensor", "error", "backward", nodes[p.loss].dtype, type(e).__name__),
                   f"{tag}: loss.backward() raised {type(e).__name__}: {e}\n"
                   f"{program_slice(nodes, [p.loss])}")
        return
    # The nodes the loss reaches through differentiable ops: only they get a gradient (a node
    # that only feeds a comparison or argmax has none, in either library).
    reached = {p.loss}
    for n in reversed(nodes):
        if n.id in reached and n.grad:
            reached.update(i for i in n.inputs if nodes[i].grad)
    for n in nodes:
        n.grad = n.grad and n.id in reached
    kgrad = []
    for n, t in zip(nodes, kv):
        g = t.grad if n.grad else None
        kgrad.append(None if g is None else to_numpy_k(g))
    consumers = collections.defaultdict(list)
    for n in nodes:
        for slot, i in enumerate(n.inputs):
            if alias[n.id] != alias[i]:  # an alias passes its gradient on unchanged
                consumers[alias[i]].append((n.id, slot))

    # torch's VJP of every differentiable node, at kindling's inputs and kindling's upstream grad.
    vjps = {}
    for n in nodes:
        if not n.grad or n.op in ("leaf", "const"):
            continue
        if kgrad[n.id] is None:
            report.add(("tensor", "backward", n.op, n.dtype, "no grad"),
                       f"{tag}: t{n.id} needs a gradient (it depends on a leaf) but kindling "
                       f"left .grad None\n{program_slice(nodes, [n.id])}")
            continue
        tin = []
        for i in n.inputs:
            t = torch.from_numpy(knp[i].copy())
            if nodes[i].grad and t.is_floating_point():
                t.requires_grad_(True)
            tin.append(t)
        want = [t for t in tin if t.requires_grad]
        if not want:
            continue
        with np.errstate(all="ignore"):
            out = t_apply(n.op, n.attrs, tin)
            g = torch.from_numpy(kgrad[n.id].copy())
            if g.shape != knp[n.id].shape or g.numpy().dtype != knp[n.id].dtype:
                report.add(("tensor", "backward", n.op, n.dtype, "grad shape/dtype"),
                           f"{tag}: t{n.id}.grad is {g.dtype} {tuple(g.shape)}, the tensor "
                           f"{knp[n.id].dtype} {knp[n.id].shape}\n{program_slice(nodes, [n.id])}")
                continue
            if not out.requires_grad or tuple(out.shape) != tuple(g.shape):
                continue  # (a shape the forward check reported already)
            replay = tin
            if out.dtype != g.dtype:
                # kindling gave the node another dtype (the forward check reported it): replay
                # the op in kindling's dtype, so that the gradient check does not report the
                # same difference again as a loss of precision.
                replay = [t.detach().to(g.dtype).requires_grad_(t.requires_grad)
                          if t.is_floating_point() else t for t in tin]
                out = t_apply(n.op, n.attrs, replay)
            gs = torch.autograd.grad(out, [t for t in replay if t.requires_grad], g,
                                     allow_unused=True)
        grads, it = [], iter(gs)
        for t in tin:
            gr = next(it) if t.requires_grad else None
            grads.append(None if gr is None else gr.to(t.dtype))
        vjps[n.id] = (tin, g, grads, vjp_scale(n, replay, g, grads))

    for n in nodes:
        if not n.grad or kgrad[n.id] is None or alias[n.id] != n.id:
            continue
        # In kindling's dtype and shape for the node: where they differ from torch's, the forward
        # check has said so already.
        shape, dtype = knp[n.id].shape, str(knp[n.id].dtype)
        if dtype not in EPS:
            continue
        expected = np.zeros(shape, dtype=np.float64)
        scale = np.zeros(shape, dtype=np.float64)
        magnitude = np.zeros(shape, dtype=np.float64)  # sum of |contributions|
        undefined = np.zeros(shape, dtype=bool)
        parts = []
        if alias[p.loss] == n.id:
            expected += 1.0
        for c, slot in consumers[n.id]:
            if c not in vjps:
                continue
            tin, g, grads, scales = vjps[c]
            if grads[slot] is None:
                continue
            contribution = grads[slot].detach().to(torch.float64).numpy()
            part_scale, part_undefined = scales[slot]
            with np.errstate(over="ignore", invalid="ignore"):
                expected = expected + contribution
                magnitude = magnitude + np.nan_to_num(np.abs(contribution), nan=0.0)
                if part_scale is not None:
                    scale = scale + part_scale
                if part_undefined is not None:
                    undefined = undefined | part_undefined
            parts.append((c, slot))
        if not parts and alias[p.loss] != n.id:
            continue
        with np.errstate(over="ignore"):  # kindling's float32 sum overflows the same way
            expected = expected.astype(NP_DTYPE[dtype])
        ulps = 32 + 4 * max([int(np.prod(nodes[c].shape, dtype=np.int64)) for c, _ in parts]
                            + [1])
        if len(parts) > 1:  # the order of accumulation decides when the sum overflows
            undefined = undefined | overflows(magnitude, dtype)
        bad = compare(kgrad[n.id], expected, dtype, ulps, scale, zero_sign=False, gradient=True,
                      undefined=undefined)
        if bad:
            culprit = find_backward_culprit(nodes, kv, knp, vjps, parts)
            op = culprit[0] if culprit else "accumulation"
            report.add(("tensor", "backward", op, n.dtype, bad[0]),
                       describe_backward(p, n, knp, kgrad, expected, parts, bad, culprit, tag))


def replay_vjp(n, nodes, inputs, slot, g):
    """kindling's VJP of node n alone, on the given input tensors (copied as new leaves): the
    gradient of input `slot` as an array, None when it gets none; raises what kindling raises."""
    xs = []
    for i, t in zip(n.inputs, inputs):
        x = t.detach()  # a leaf with the same layout (detach keeps the strides)
        if nodes[i].grad and str(t.dtype).startswith("float"):
            x.requires_grad_(True)
        xs.append(x)
    out = k_apply(n.op, n.attrs, xs)
    out.backward(g.numpy().copy())
    grad = xs[slot].grad
    return None if grad is None else to_numpy_k(grad)


def find_backward_culprit(nodes, kv, knp, vjps, parts):
    """The first consumer whose VJP, replayed in kindling alone (on its inputs as the program
    laid them out), differs from torch's: (op, text) or None."""
    for c, slot in parts:
        n = nodes[c]
        tin, g, grads, scales = vjps[c]
        want = grads[slot].detach().numpy()
        dtype = nodes[n.inputs[slot]].dtype

        def differs(inputs):
            kg = replay_vjp(n, nodes, inputs, slot, g)
            if kg is None:
                return None, ("no gradient", None, "")
            return kg, compare(kg, want, dtype, 32 + 4 * int(np.prod(n.shape)), scales[slot][0],
                               zero_sign=False, gradient=True, undefined=scales[slot][1])

        try:
            kg, bad = differs([kv[i] for i in n.inputs])
        except Exception as e:  # noqa: BLE001
            return (n.op, f"replaying t{c} = {n.op}(...) alone raised {type(e).__name__}: {e}")
        if not bad:
            continue
        try:
            fresh = differs([kindling.tensor(knp[i].copy()) for i in n.inputs])[1]
            layout = ("it differs the same way on fresh contiguous inputs" if fresh else
                      "on fresh contiguous inputs it agrees: the inputs' layout matters")
        except Exception as e:  # noqa: BLE001
            layout = f"on fresh contiguous inputs kindling raises {type(e).__name__}: {e}"
        lines = [f"alone: {n.text()}"]
        for i in n.inputs:
            strides = "" if kv[i].is_contiguous() else f"  (strides {kv[i].strides})"
            lines.append(f"    t{i} = {fmt_array(knp[i])}{strides}")
        lines.append(f"    upstream gradient of t{c} = {fmt_array(g.numpy())}")
        lines.append(f"    kindling d/dt{n.inputs[slot]} = {fmt_array(kg)}")
        lines.append(f"    torch    d/dt{n.inputs[slot]} = {fmt_array(want)}")
        lines.append(f"    ({where(bad)}; {layout})")
        return (n.op, "\n".join(lines))
    return None


def where(bad):
    """compare()'s verdict as text: the kind, the first index and the detail."""
    kind, index, detail = bad
    text = kind if index is None else f"{kind} at index {tuple(index)}"
    return f"{text}, {detail}" if detail else text


def describe_forward(p, n, knp, expected, bad, tag):
    lines = [f"{tag}: t{n.id} = {n.op} differs ({where(bad)})",
             "  program up to that node:", program_slice(p.nodes, [n.id]),
             f"  inputs of t{n.id} as kindling computed them:"]
    for i in n.inputs:
        layout = "" if p.nodes[i].op in ("leaf", "const") else f"  (a {p.nodes[i].op} result)"
        lines.append(f"    t{i} = {fmt_array(knp[i])}{layout}")
    lines.append(f"  kindling t{n.id} = {fmt_array(knp[n.id])}")
    lines.append(f"  torch    t{n.id} = {fmt_array(expected)}")
    alone = standalone_forward(p, n, knp, expected)
    if alone:
        lines.append("  " + alone)
    return "\n".join(lines)


def standalone_forward(p, n, knp, expected):
    """Whether the op differs on fresh contiguous copies of its inputs too."""
    try:
        xs = [kindling.tensor(knp[i].copy()) for i in n.inputs]
        got = to_numpy_k(k_apply(n.op, n.attrs, xs))
    except Exception as e:  # noqa: BLE001
        return f"alone on fresh inputs kindling raises {type(e).__name__}: {e}"
    if compare(got, expected, n.dtype if n.dtype in EPS else "float64", 16) is None:
        return "alone on fresh contiguous inputs it agrees: the input's layout matters"
    return "alone on fresh contiguous inputs it differs the same way"


def describe_backward(p, n, knp, kgrad, expected, parts, bad, culprit, tag):
    lines = [f"{tag}: the gradient of t{n.id} differs ({where(bad)})",
             "  program (the consumers of the node and what they depend on):",
             program_slice(p.nodes, [c for c, _ in parts] or [n.id]),
             f"  kindling t{n.id}.grad = {fmt_array(kgrad[n.id])}",
             f"  torch (sum of its consumers' VJPs at kindling's values) = {fmt_array(expected)}"]
    for c, slot in parts:
        lines.append(f"    consumer t{c} = {p.nodes[c].op}, input {slot}; t{c}.grad = "
                     f"{fmt_array(kgrad[c])}")
    lines.append("  " + (culprit[1] if culprit else
                         "every consumer's VJP agrees alone: the accumulation differs"))
    return "\n".join(lines)
