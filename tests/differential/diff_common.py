"""Shared pieces of the differential test (differential.py): dtypes and special values, the
random source, the comparison with its tolerance, and the report of mismatch classes."""

import collections
import math
import sys

import numpy as np
import torch

FLOAT_DTYPES = ("float32", "float64")
NP_DTYPE = {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}
TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
               "bool": torch.bool}
DTYPE_NAME = {v: k for k, v in TORCH_DTYPE.items()}
EPS = {"float32": float(np.finfo(np.float32).eps), "float64": float(np.finfo(np.float64).eps)}
# The smallest subnormal: results that are themselves subnormal may differ by a unit of it.
TINY = {"float32": float(np.finfo(np.float32).smallest_subnormal),
        "float64": float(np.finfo(np.float64).smallest_subnormal)}

SPECIAL = {
    "float64": [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 1e-310, -1e-310,
                2.2250738585072014e-308, 1.7976931348623157e308, -1e300, 1.0, -1.0, 0.5, 2.0,
                709.0, -745.0, 1e-40, 3.4e38, 20.0, -20.0],
    "float32": [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-45, -1e-45, 1e-40, -1e-40,
                1.1754944e-38, 3.4028235e38, -3e38, 1.0, -1.0, 0.5, 2.0, 88.7, -103.9, 1e-30,
                20.0, -20.0],
}
TIES = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]


def fmt_array(a):
    if isinstance(a, (float, int, np.floating, np.integer)):
        return repr(float(a)) if isinstance(a, (float, np.floating)) else repr(int(a))
    a = np.asarray(a)
    with np.printoptions(precision=17, threshold=64, floatmode="maxprec"):
        text = np.array2string(a, separator=", ")
    return f"np.array({text}, dtype=np.{a.dtype})"


# ================================================================================================
# Random inputs
# ================================================================================================

class Draw:
    """One program's random source (numpy's PCG64, seeded by (seed, program index))."""

    def __init__(self, seed, index):
        self.rng = np.random.default_rng([seed, index])

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, items, weights=None):
        if weights is None:
            return items[int(self.rng.integers(len(items)))]
        w = np.asarray(weights, dtype=float)
        return items[int(self.rng.choice(len(items), p=w / w.sum()))]

    def integer(self, low, high):  # inclusive
        return int(self.rng.integers(low, high + 1))

    def values(self, shape, dtype):
        """An array mixing ordinary and special values (one of several styles per array)."""
        n = int(np.prod(shape, dtype=np.int64))
        style = self.pick(["normal", "positive", "ties", "special", "scaled"],
                          [30, 15, 20, 25, 10])
        if style == "normal":
            v = self.rng.standard_normal(n) * 2
        elif style == "positive":
            v = np.abs(self.rng.standard_normal(n)) + 0.05
        elif style == "ties":
            v = np.array([self.pick(TIES) for _ in range(n)])
        elif style == "scaled":
            v = self.rng.standard_normal(n) * self.pick([1e-20, 1e-3, 1e3, 1e20])
        else:
            v = self.rng.standard_normal(n)
            for i in range(n):
                if self.chance(0.5):
                    v[i] = self.pick(SPECIAL[dtype])
        with np.errstate(over="ignore"):
            return v.astype(NP_DTYPE[dtype]).reshape(shape)

    def shape(self, max_rank=3):
        rank = self.pick(list(range(max_rank + 1)), [1, 3, 4, 2][: max_rank + 1])
        return tuple(self.pick([1, 2, 3, 4], [2, 3, 3, 2]) for _ in range(rank))


# ================================================================================================
# Comparison (Note [localised comparison])
# ================================================================================================

def compare(actual, expected, dtype, rtol_ulps, scale=None, zero_sign=True, undefined=None,
            gradient=False):
    """Returns None when equal within tolerance, else (kind, index, detail).

    Tolerance for finite values: |a - e| <= ulps * eps * max(|e|, scale) + 2 * smallest
    subnormal. `scale` (same shape, or a number) is the magnitude of the terms the op combined.
    For a gradient the absolute floor is ulps smallest subnormals instead of 2: a VJP whose
    upstream gradient is subnormal underflows differently with the order of its products
    ((g c) / x^2 or g (c / x^2)), and PyTorch's order is the less precise as often as not.
    Elements where `undefined` is true are not compared: sums whose terms overflow the dtype,
    where the order of the additions decides between inf, -inf, NaN and a finite result."""
    a = np.asarray(actual)
    e = np.asarray(expected)
    if a.shape != e.shape:
        return ("shape", None, f"shape {a.shape} vs {e.shape}")
    if a.dtype != e.dtype:
        return ("dtype", None, f"dtype {a.dtype} vs {e.dtype}")
    if a.size == 0:
        return None
    if undefined is not None and np.any(undefined):
        keep = ~np.broadcast_to(np.asarray(undefined, dtype=bool), a.shape)
        a, e = np.where(keep, a, 0).astype(a.dtype), np.where(keep, e, 0).astype(e.dtype)
        if scale is not None:
            scale = np.where(keep, np.broadcast_to(scale, a.shape), 0)
    if a.dtype.kind in "iub":
        bad = a != e
        if bad.any():
            return ("value", np.argwhere(bad)[0], "")
        return None
    a64 = a.astype(np.float64)
    e64 = e.astype(np.float64)
    nan_a, nan_e = np.isnan(a64), np.isnan(e64)
    if (nan_a != nan_e).any():
        return ("nan", np.argwhere(nan_a != nan_e)[0], "")
    inf_a, inf_e = np.isinf(a64), np.isinf(e64)
    both_inf = inf_a & inf_e
    if (inf_a != inf_e).any() or (np.sign(a64[both_inf]) != np.sign(e64[both_inf])).any():
        bad = (inf_a != inf_e) | (both_inf & (np.sign(a64) != np.sign(e64)))
        return ("inf", np.argwhere(bad)[0], "")
    finite = ~(nan_a | inf_a)
    if zero_sign:
        both_zero = (a64 == 0) & (e64 == 0)
        bad = both_zero & (np.signbit(a64) != np.signbit(e64))
        if bad.any():
            return ("zero-sign", np.argwhere(bad)[0], "")
    s = np.abs(e64)
    if scale is not None:
        with np.errstate(invalid="ignore"):
            s = np.maximum(s, np.nan_to_num(np.abs(np.asarray(scale, dtype=np.float64)),
                                            nan=0.0, posinf=np.inf))
    with np.errstate(invalid="ignore", over="ignore"):
        tol = rtol_ulps * EPS[dtype] * s + (rtol_ulps if gradient else 2) * TINY[dtype]
        diff = np.abs(a64 - e64)
        bad = finite & ~(diff <= tol)
    if bad.any():
        i = np.argwhere(bad)[0]
        with np.errstate(over="ignore"):
            rel = diff[tuple(i)] / max(abs(e64[tuple(i)]), TINY[dtype])
        return ("value", i, f"relative difference {rel:.3g} (allowed {tol[tuple(i)]:.3g} absolute)")
    return None


def overflows(scale, dtype):
    """Where a sum whose absolute terms add up to `scale` can overflow `dtype` (so that its result
    depends on the order of the additions)."""
    if scale is None:
        return None
    with np.errstate(invalid="ignore"):
        return ~(np.asarray(scale, dtype=np.float64) < float(np.finfo(NP_DTYPE[dtype]).max))


class Report:
    """Mismatches grouped by class: a count and the first reproducer of each (all of them when
    verbose). Printing waits for print_classes(), so that parallel runs print in order."""

    def __init__(self, verbose=False):
        self.classes = {}  # key -> [count, first text, (kind order, program index)]
        self.extra = []  # every further reproducer, when verbose
        self.notes = collections.Counter()  # what was seen and is not a mismatch
        self.verbose = verbose
        self.where = (0, 0)

    def count(self, note):
        self.notes[note] += 1

    def add(self, key, text):
        entry = self.classes.get(key)
        if entry is None:
            self.classes[key] = [1, text, self.where]
        else:
            entry[0] += 1
            if self.verbose:
                self.extra.append((self.where, key, text))

    def merge(self, other):
        for key, (count, text, where) in other.classes.items():
            entry = self.classes.get(key)
            if entry is None:
                self.classes[key] = [count, text, where]
            else:
                entry[0] += count
                if where < entry[2]:
                    entry[1], entry[2] = text, where
        self.extra += other.extra
        self.notes.update(other.notes)

    def total(self):
        return sum(entry[0] for entry in self.classes.values())

    def ordered(self):
        return sorted(self.classes.items(), key=lambda item: item[1][2])

    def print_classes(self, out=sys.stdout):
        shown = [(where, key, text) for key, (_, text, where) in self.classes.items()]
        for where, key, text in sorted(shown + self.extra, key=lambda item: item[0]):
            print(f"\n=== MISMATCH [{' / '.join(str(k) for k in key)}]", file=out)
            print(text, file=out)

    def summary(self):
        return "\n".join(f"  {entry[0]:6d}  {' / '.join(str(k) for k in key)}"
                         for key, entry in self.ordered())


# ================================================================================================


# Note [precise referee]
# PyTorch is the reference, but not an oracle: in the subnormal range some of its float64
# functions round to 0 where the true value is representable (sigmoid(-743.44) is 1.5e-323, torch
# gives 0), and number / tensor goes through a reciprocal (1.4e-45 / 1.4e-45 is inf in float32).
# When kindling and torch disagree on an elementwise function, the function is computed
# once more in x87 extended precision (numpy's longdouble: 64-bit significand) and rounded to the
# dtype; if kindling matches that, the disagreement is torch's, and it is not reported.
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x):
    # erf in double precision only (numpy has none): near enough to judge a sign or an
    # underflow, which is where PyTorch's vectorised gelu differs from its own scalar one
    # (gelu(-1.4e-45) in float32 is -0 for one element, +0 for sixteen).
    return 0.5 * x * (1 + _erf((x / np.sqrt(np.longdouble(2))).astype(np.float64)))


PRECISE_UNARY = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh,
                 "sigmoid": _sigmoid, "gelu": _gelu, "silu": lambda x: x * _sigmoid(x),
                 "sin": np.sin, "cos": np.cos, "log1p": np.log1p, "expm1": np.expm1,
                 "erf": lambda x: _erf(x.astype(np.float64)), "reciprocal": lambda x: 1 / x,
                 "rsqrt": lambda x: 1 / np.sqrt(x)}
# The unary ops with parameters, given the node's attrs (torch's keyword names).
PRECISE_PARAM_UNARY = {
    "elu": lambda x, p: np.where(x <= 0, p["alpha"] * np.expm1(x), x),
    "softplus": lambda x, p: np.where(x * p["beta"] > p["threshold"], x,
                                      np.log1p(np.exp(x * p["beta"])) / p["beta"]),
}


def precise(op, inputs, k=None, scalar=None, params=None):
    """The elementwise op on `inputs` (arrays) in extended precision, or None when it has no
    such form here. k is the constant exponent of pow_scalar / base of rpow_scalar; scalar is
    (fn, side, c) for a tensor-number op, whose number both libraries first round to the
    tensor's dtype."""
    ext = [np.asarray(x).astype(np.longdouble) for x in inputs]
    with np.errstate(all="ignore"):
        if op in PRECISE_UNARY:
            return PRECISE_UNARY[op](ext[0])
        if op in PRECISE_PARAM_UNARY and params is not None:
            return PRECISE_PARAM_UNARY[op](ext[0], params)
        if op == "scalar_op" and scalar is not None:
            fn, side, c = scalar
            c = np.longdouble(np.asarray(c).astype(np.asarray(inputs[0]).dtype))
            a, b = (ext[0], c) if side == "right" else (c, ext[0])
            return {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                    "div": np.divide}[fn](a, b)
        if op == "pow_scalar":
            return np.power(ext[0], np.longdouble(k))
        if op == "rpow_scalar":
            return np.power(np.longdouble(k), ext[0])
        if op == "pow":
            return np.power(ext[0], ext[1])
    return None


def torch_is_off(op, actual, inputs, dtype, ulps, scale=None, k=None, scalar=None, params=None):
    """Whether `actual` (kindling's result) matches the extended-precision value of the op
    (Note [precise referee]), so that a disagreement with torch is torch's imprecision."""
    value = precise(op, inputs, k, scalar, params)
    if value is None:
        return False
    with np.errstate(all="ignore"):
        rounded = value.astype(np.asarray(actual).dtype)
    return compare(actual, rounded, dtype, ulps, scale) is None

