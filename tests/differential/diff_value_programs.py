"""Random expression DAGs on kindling.Value for the differential test, and their node-by-node
check against PyTorch on 0-d float64 tensors (Note [localised comparison] in differential.py)."""

import collections
import math
import sys

import numpy as np
import torch

import kindling
from diff_common import SPECIAL, TIES, compare, torch_is_off

VALUE_UNARY = ["neg", "tanh", "exp", "log", "relu", "sigmoid", "pow"]
VALUE_BINARY = ["add", "sub", "mul", "div"]


def v_k(op, a, x):
    if op == "neg": return -x[0]
    if op == "pow": return x[0] ** a["k"]
    if op in ("tanh", "exp", "log", "relu", "sigmoid"): return getattr(x[0], op)()
    if op in VALUE_BINARY:
        lhs, rhs = (x[0], x[1]) if len(x) == 2 else (
            (x[0], a["c"]) if a["side"] == "right" else (a["c"], x[0]))
        return {"add": lambda: lhs + rhs, "sub": lambda: lhs - rhs, "mul": lambda: lhs * rhs,
                "div": lambda: lhs / rhs}[op]()
    raise KeyError(op)


def v_t(op, a, x):
    if op == "neg": return -x[0]
    if op == "pow": return x[0] ** a["k"]
    if op in ("tanh", "exp", "log", "relu", "sigmoid"): return getattr(torch, op)(x[0])
    if op in VALUE_BINARY:
        # A number on the left as a 0-d tensor: c / v is then torch.div (Note [number over tensor]
        # in diff_tensor_ops.py), not reciprocal(v) * c.
        lhs, rhs = (x[0], x[1]) if len(x) == 2 else (
            (x[0], a["c"]) if a["side"] == "right" else
            (torch.tensor(a["c"], dtype=torch.float64), x[0]))
        return {"add": lambda: lhs + rhs, "sub": lambda: lhs - rhs, "mul": lambda: lhs * rhs,
                "div": lambda: lhs / rhs}[op]()
    raise KeyError(op)


def precise_vjp(node, slot, data, upstream, torch_vjp):
    """A consumer's VJP into its input `slot` in extended precision (Note [precise referee] in
    diff_common.py) where torch's is the less precise: a / b, whose torch gradient goes through
    b * b or a reciprocal, both of which overflow or underflow for a subnormal or huge b; the
    torch VJP itself for every other op."""
    op, ins, a = node
    if op != "div":
        return np.longdouble(torch_vjp)
    if len(ins) == 2:
        lhs, rhs = np.longdouble(data[ins[0]]), np.longdouble(data[ins[1]])
        wrt_lhs = slot == 0
    else:
        value, c = np.longdouble(data[ins[0]]), np.longdouble(a["c"])
        lhs, rhs = (value, c) if a["side"] == "right" else (c, value)
        wrt_lhs = a["side"] == "right"
    g = np.longdouble(upstream)
    with np.errstate(all="ignore"):
        return g / rhs if wrt_lhs else -g * lhs / rhs / rhs


class ValueProgram:
    def __init__(self, draw):
        d = self.draw = draw
        self.nodes = []  # (op, inputs, attrs)
        for _ in range(d.integer(1, 4)):
            self.nodes.append(("leaf", [], {"value": self.number()}))
        for _ in range(d.integer(1, 12)):
            self.nodes.append(self.random_op())
        # The loss: every unused node times a weight, summed (the root is the last node).
        used = {i for _, ins, _ in self.nodes for i in ins}
        terms = []
        for i in range(len(self.nodes)):
            if i not in used:
                w = float(d.rng.standard_normal()) or 1.0
                self.nodes.append(("mul", [i], {"c": w, "side": d.pick(["left", "right"])}))
                terms.append(len(self.nodes) - 1)
        loss = terms[0]
        for t in terms[1:]:
            self.nodes.append(("add", [loss, t], {}))
            loss = len(self.nodes) - 1

    def number(self):
        d = self.draw
        if d.chance(0.35):
            return float(d.pick(SPECIAL["float64"]))
        if d.chance(0.2):
            return float(d.pick(TIES))
        return float(d.rng.standard_normal() * d.pick([1.0, 1.0, 3.0, 1e-3, 1e3]))

    def pick(self):
        n = len(self.nodes)
        weights = [1.0 + 2.0 * (i + 1) / n for i in range(n)]
        return self.draw.pick(list(range(n)), weights)

    def random_op(self):
        d = self.draw
        if d.chance(0.45):
            op = d.pick(VALUE_UNARY)
            attrs = {}
            if op == "pow":
                attrs["k"] = d.pick([0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0, 1.5, -0.5])
            return (op, [self.pick()], attrs)
        op = d.pick(VALUE_BINARY)
        if d.chance(0.3):
            return (op, [self.pick()], {"c": self.number(), "side": d.pick(["left", "right"])})
        x = self.pick()
        y = x if d.chance(0.15) else self.pick()
        return (op, [x, y], {})

    def text(self, i):
        op, ins, a = self.nodes[i]
        if op == "leaf":
            return f"v{i} = Value({a['value']!r})"
        if op == "neg":
            return f"v{i} = -v{ins[0]}"
        if op == "pow":
            return f"v{i} = v{ins[0]} ** {a['k']!r}"
        if op in VALUE_BINARY:
            sym = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
            if len(ins) == 2:
                return f"v{i} = v{ins[0]} {sym} v{ins[1]}"
            if a["side"] == "right":
                return f"v{i} = v{ins[0]} {sym} {a['c']!r}"
            return f"v{i} = {a['c']!r} {sym} v{ins[0]}"
        return f"v{i} = v{ins[0]}.{op}()"

    def slice_text(self, targets):
        need, stack = set(), list(targets)
        while stack:
            i = stack.pop()
            if i not in need:
                need.add(i)
                stack.extend(self.nodes[i][1])
        return "\n".join("    " + self.text(i) for i in sorted(need))


def value_forward_tolerance(op, a, xs):
    if op in ("pow",):
        base = abs(xs[0])
        with np.errstate(all="ignore"):
            growth = abs(a["k"] * math.log(base)) if base > 0 and math.isfinite(base) else 0.0
        return 16, growth
    if op == "log":
        return 16, None
    return 16 if op in ("tanh", "exp", "sigmoid") else 2, None


def run_value_program(p, report, tag):
    vals = []
    for i, (op, ins, a) in enumerate(p.nodes):
        try:
            vals.append(kindling.Value(a["value"]) if op == "leaf"
                        else v_k(op, a, [vals[j] for j in ins]))
        except Exception as e:  # noqa: BLE001
            report.add(("value", "error", op, "float64", type(e).__name__),
                       f"{tag}: kindling raised {type(e).__name__}: {e}\n{p.slice_text([i])}")
            return
    data = [v.data for v in vals]
    # ---- forward ----
    for i, (op, ins, a) in enumerate(p.nodes):
        if op == "leaf":
            bad = compare(np.float64(data[i]), np.float64(a["value"]), "float64", 0)
            if bad:
                report.add(("value", "forward", "Value()", "float64", bad[0]),
                           f"{tag}: Value({a['value']!r}).data is {data[i]!r}")
            continue
        xs = [torch.tensor(data[j], dtype=torch.float64) for j in ins]
        with np.errstate(all="ignore"):
            ref = float(v_t(op, a, xs))
        ulps, growth = value_forward_tolerance(op, a, [data[j] for j in ins])
        scale = None
        if growth:
            scale = abs(ref) * (1 + growth)
        if op == "log":
            scale = 1.0
        bad = compare(np.float64(data[i]), np.float64(ref), "float64", ulps, scale)
        if bad and torch_is_off("pow_scalar" if op == "pow" else op, np.float64(data[i]),
                                [np.float64(data[j]) for j in ins], "float64", ulps, scale,
                                a.get("k")):
            report.count("torch less precise than kindling (not a mismatch)")
            bad = None
        if bad:
            report.add(("value", "forward", op, "float64", bad[0]),
                       f"{tag}: {p.text(i)} differs ({bad[0]})\n  program:\n{p.slice_text([i])}\n"
                       f"  inputs: {', '.join(f'v{j}.data = {data[j]!r}' for j in ins)}\n"
                       f"  kindling: {data[i]!r}\n  torch:    {ref!r}")
    # ---- backward ----
    root = vals[-1]
    try:
        root.backward()
    except Exception as e:  # noqa: BLE001
        report.add(("value", "error", "backward", "float64", type(e).__name__),
                   f"{tag}: backward() raised {type(e).__name__}: {e}\n"
                   f"{p.slice_text([len(vals) - 1])}")
        return
    grads = [v.grad for v in vals]
    expected = [0.0] * len(vals)
    scale = [0.0] * len(vals)
    parts = collections.defaultdict(list)
    expected[-1] = 1.0
    for i, (op, ins, a) in enumerate(p.nodes):
        if op == "leaf":
            continue
        xs = [torch.tensor(data[j], dtype=torch.float64, requires_grad=True) for j in ins]
        with np.errstate(all="ignore"):
            out = v_t(op, a, xs)
            gs = torch.autograd.grad(out, xs, torch.tensor(grads[i], dtype=torch.float64),
                                     allow_unused=True)
        for slot, (j, g) in enumerate(zip(ins, gs)):
            gv = 0.0 if g is None else float(g)
            expected[j] += gv
            scale[j] += abs(gv) + abs(grads[i])
            parts[j].append((i, slot, gv))
    for j in range(len(vals)):
        finite = [abs(gv) for _, _, gv in parts[j] if math.isfinite(gv)]
        if len(parts[j]) > 1 and not sum(finite) < sys.float_info.max:
            continue  # the order of accumulation decides when the sum overflows
        bad = compare(np.float64(grads[j]), np.float64(expected[j]), "float64", 32, scale[j],
                      zero_sign=False, gradient=True)
        if bad:
            precise_total = sum((precise_vjp(p.nodes[i], slot, data, grads[i], gv)
                                 for i, slot, gv in parts[j]), np.longdouble(0))
            with np.errstate(all="ignore"):
                rounded = np.float64(precise_total)
            if compare(np.float64(grads[j]), rounded, "float64", 32, scale[j], zero_sign=False,
                       gradient=True) is None:
                report.count("torch less precise than kindling (not a mismatch)")
                continue
        if bad:
            culprit = "accumulation"
            alone = []
            for i, slot, gv in parts[j]:
                op, ins, a = p.nodes[i]
                fresh = [kindling.Value(data[k]) for k in ins]
                out = v_k(op, a, fresh)
                # d out / d input, scaled by the consumer's gradient as backward() would.
                out.backward()
                kg = fresh[slot].grad * grads[i]
                if compare(np.float64(kg), np.float64(gv), "float64", 32,
                           abs(gv) + abs(grads[i]), zero_sign=False, gradient=True) is not None:
                    culprit = op
                    at = ", ".join(f"v{k}.data = {data[k]!r}" for k in ins)
                    alone.append(f"    alone: {p.text(i)} at {at}: kindling d/dv{j} = {kg!r}, "
                                 f"torch {gv!r} (times v{i}.grad = {grads[i]!r})")
                    break
            report.add(("value", "backward", culprit, "float64", bad[0]),
                       f"{tag}: v{j}.grad differs ({bad[0]})\n  program:\n"
                       f"{p.slice_text([i for i, _, _ in parts[j]] or [j])}\n"
                       f"  kindling v{j}.grad = {grads[j]!r}\n"
                       f"  torch (sum over its consumers) = {expected[j]!r}\n"
                       + "\n".join(f"    consumer {p.text(i)}: v{i}.grad = {grads[i]!r}, torch "
                                   f"VJP {gv!r}" for i, _, gv in parts[j])
                       + ("\n" + "\n".join(alone) if alone else ""))
