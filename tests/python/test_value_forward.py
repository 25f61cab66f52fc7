"""Forward mode for Values (kindling.autograd.forward_ad with Values, Note [scalar forward mode]):
each scalar op's tangent against torch.autograd.forward_ad in float64 and against kindling's
reverse mode, special values included; random programs against torch's forward mode;
kindling.autograd.functional.jvp on Values against torch.autograd.functional.jvp."""

import math
import random

import pytest

import kindling
import kindling.autograd.forward_ad as fwAD
from value_programs import OPS, POW_EXPONENTS, apply, random_program, run_program
from value_programs import close as close_to


def close(ours, theirs, rel=1e-12, abs_=1e-13):
    return close_to(ours, theirs, rel, abs_)

torch = pytest.importorskip("torch")
tfwAD = torch.autograd.forward_ad


def test_every_value_op_is_here():
    # A new scalar op must join OPS (the generated C++ test covers its jvp against reverse mode).
    a, b = kindling.Value(0.5), kindling.Value(1.5)
    names = {apply(i, [a, b][:arity], 2.0, False).op for i, (_, arity, *_) in enumerate(OPS)}
    assert names == {name for name, *_ in OPS}


def kindling_jvp(index, values, tangents, k):
    """The op's tangent with `tangents[i]` on input i (None: no tangent)."""
    with fwAD.dual_level():
        xs = [kindling.Value(v) if t is None else fwAD.make_dual(kindling.Value(v), t)
              for v, t in zip(values, tangents)]
        return fwAD.unpack_dual(apply(index, xs, k, False)).tangent


def torch_jvp(index, values, tangents, k):
    with tfwAD.dual_level():
        xs = [torch.tensor(v, dtype=torch.float64) if t is None else
              tfwAD.make_dual(torch.tensor(v, dtype=torch.float64),
                              torch.tensor(t, dtype=torch.float64))
              for v, t in zip(values, tangents)]
        tangent = tfwAD.unpack_dual(apply(index, xs, k, True)).tangent
        return None if tangent is None else float(tangent)


def reverse(index, values, k, i, seed):
    xs = [kindling.Value(v) for v in values]
    (g,) = kindling.autograd.grad(apply(index, xs, k, False), [xs[i]], grad_outputs=[seed])
    return g.data


@pytest.mark.parametrize("name", [name for name, *_ in OPS])
def test_each_op_against_torch_forward_ad_and_reverse_mode(name):
    index = [n for n, *_ in OPS].index(name)
    arity = OPS[index][1]
    rng = random.Random(name)
    ks = POW_EXPONENTS if name == "pow" else [0.0]
    for _ in range(20):
        values = [rng.uniform(0.2, 2.0) * rng.choice([1, -1]) for _ in range(arity)]
        if name in ("log", "pow"):
            values[0] = abs(values[0])
        for k in ks:
            for i in range(arity):
                t = rng.uniform(-2, 2)
                tangents = [t if j == i else None for j in range(arity)]
                ours = kindling_jvp(index, values, tangents, k)
                assert close(ours, torch_jvp(index, values, tangents, k)), (values, k, i)
                assert close(ours, reverse(index, values, k, i, t), rel=0, abs_=0) or (
                    ours == 0.0 and reverse(index, values, k, i, t) == 0.0)
            if arity == 2:
                tangents = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
                assert close(kindling_jvp(index, values, tangents, k),
                             torch_jvp(index, values, tangents, k))
    # Nothing depends on a dual: None, as torch's.
    with fwAD.dual_level():
        assert fwAD.unpack_dual(apply(index, [kindling.Value(0.5)] * arity, 2.0, False)).tangent \
            is None


SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e-300, 40.0, -40.0, float("inf"), float("-inf"), float("nan")]


@pytest.mark.parametrize("name", [name for name, *_ in OPS])
def test_each_op_at_special_values_as_reverse_mode_and_torch(name):
    index = [n for n, *_ in OPS].index(name)
    arity = OPS[index][1]
    ks = POW_EXPONENTS if name == "pow" else [0.0]
    for a in SPECIAL:
        for b in ([2.5, -0.5, 0.0] if arity == 2 else [None]):
            values = [a] if b is None else [a, b]
            for k in ks:
                for i in range(arity):
                    tangents = [1.0 if j == i else None for j in range(arity)]
                    ours = kindling_jvp(index, values, tangents, k)
                    rev = reverse(index, values, k, i, 1.0)
                    where = f"{name} at {values}, k={k}, input {i}: {ours} vs"
                    assert (math.isnan(ours) and math.isnan(rev)) or ours == rev, f"{where} {rev}"
                    theirs = torch_jvp(index, values, tangents, k)
                    assert close(ours, theirs), f"{where} torch's {theirs}"


@pytest.mark.parametrize("seed", range(60))
def test_random_programs_against_torch_forward_ad(seed):
    rng = random.Random(seed)
    n_inputs = rng.randint(1, 3)
    steps = random_program(rng, n_inputs, rng.randint(1, 8))
    values = [rng.uniform(0.2, 1.8) * rng.choice([1, -1]) for _ in range(n_inputs)]
    direction = [rng.uniform(-1, 1) for _ in range(n_inputs)]
    with fwAD.dual_level():
        out = run_program(steps, [fwAD.make_dual(kindling.Value(v), t)
                                  for v, t in zip(values, direction)], False)
        ours = fwAD.unpack_dual(out)
    with tfwAD.dual_level():
        tout = run_program(steps, [tfwAD.make_dual(torch.tensor(v, dtype=torch.float64),
                                                   torch.tensor(t, dtype=torch.float64))
                                   for v, t in zip(values, direction)], True)
        theirs = tfwAD.unpack_dual(tout)
    assert close(ours.primal.data, float(theirs.primal))
    if theirs.tangent is None:
        assert ours.tangent is None
    else:
        assert close(ours.tangent, float(theirs.tangent), rel=1e-9, abs_=1e-10), (steps, values)
    # The tangents are dropped with the level.
    assert fwAD.unpack_dual(out).tangent is None


def test_functional_jvp_on_values_against_torch():
    def f(a, b):
        return a * b.exp(), (a - b).tanh() / (a * a + 1.0)

    def tf(a, b):
        return a * b.exp(), (a - b).tanh() / (a * a + 1.0)

    xs, v = (0.7, -0.4), (1.5, -0.25)
    outputs, tangents = kindling.autograd.functional.jvp(
        f, tuple(kindling.Value(x) for x in xs), v)
    touts, ttangents = torch.autograd.functional.jvp(
        tf, tuple(torch.tensor(x, dtype=torch.float64) for x in xs),
        tuple(torch.tensor(t, dtype=torch.float64) for t in v))
    for o, t in zip(outputs, touts):
        assert o.data == pytest.approx(float(t), rel=1e-14)
    for o, t in zip(tangents, ttangents):
        assert o == pytest.approx(float(t), rel=1e-13)
    # One input: v may be omitted, as torch's for a one-element input.
    out, tangent = kindling.autograd.functional.jvp(lambda a: a ** 3.0, kindling.Value(2.0))
    assert out.data == 8.0 and tangent == 12.0
    with pytest.raises(kindling.Error, match="v can be None only"):
        kindling.autograd.functional.jvp(f, (kindling.Value(1.0), kindling.Value(2.0)))


def test_dual_level_rules():
    x = kindling.Value(2.0, "x")
    with pytest.raises(kindling.Error, match="no dual level"):
        kindling._kindling._value_make_dual(x, 1.0)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, kindling.Value(3.0))  # a Value tangent is read as its number
        assert d.label == "x" and d != x and d.data == 2.0
        assert fwAD.unpack_dual(x).tangent is None
        assert fwAD.unpack_dual(d * x).tangent == 6.0
        with kindling.no_grad():
            y = d * d
        assert y.op == "leaf" and fwAD.unpack_dual(y).tangent == 12.0
        with pytest.raises(kindling.Error, match="already active"):
            fwAD.dual_level().__enter__()
    # The tensor level was not left entered by the failed nesting.
    with fwAD.dual_level():
        pass
