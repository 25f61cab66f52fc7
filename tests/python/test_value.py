# kindling.Value from Python: values and gradients against PyTorch on the same inputs (micrograd's
# two sanity checks, every unary op, both-way operators, random expression trees), gradient
# accumulation, grad mode, handles and the topological order.
import math
import random
import threading

import numpy as np
import pytest

import kindling
from kindling import Value
from conftest import close


def leaf(torch, x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


# ---- micrograd's two sanity checks, each run through both engines --------------------------------

def sanity_expression(x):
    """Works on kindling.Value and torch tensors alike: only operators and .relu()."""
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops_expression(a, b):
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)
    c = c + (1 + c + (-a))
    d = d + (d * 2 + (b + a).relu())
    d = d + (3 * d + (b - a).relu())
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def test_sanity_check_against_torch(torch):
    x = Value(-4.0)
    y = sanity_expression(x)
    y.backward()
    xt = leaf(torch, -4.0)
    yt = sanity_expression(xt)
    yt.backward()
    assert close(y.data, yt.item())
    assert close(x.grad, xt.grad.item())


def test_more_ops_against_torch(torch):
    a, b = Value(-4.0), Value(2.0)
    g = more_ops_expression(a, b)
    g.backward()
    at, bt = leaf(torch, -4.0), leaf(torch, 2.0)
    gt = more_ops_expression(at, bt)
    gt.backward()
    assert close(g.data, gt.item(), rel=1e-10)
    assert close(a.grad, at.grad.item(), rel=1e-10)
    assert close(b.grad, bt.grad.item(), rel=1e-10)


# ---- each op on its own, over inputs that cover its interesting regions ----------------------------

UNARY = {
    "exp": (lambda v: v.exp(), lambda t: t.exp(), [-3.0, -0.5, 0.0, 1.5, 4.0]),
    "log": (lambda v: v.log(), lambda t: t.log(), [0.01, 0.5, 1.0, 7.0]),
    "tanh": (lambda v: v.tanh(), lambda t: t.tanh(), [-5.0, -0.3, 0.0, 0.8, 3.0]),
    "relu": (lambda v: v.relu(), lambda t: t.relu(), [-2.0, -1e-9, 0.0, 1e-9, 3.0]),
    "sigmoid": (lambda v: v.sigmoid(), lambda t: t.sigmoid(), [-40.0, -2.0, 0.0, 0.7, 40.0]),
    "neg": (lambda v: -v, lambda t: -t, [-1.5, 0.0, 2.5]),
    "cube": (lambda v: v**3, lambda t: t**3, [-2.0, -0.5, 0.0, 1.25]),
    "sqrt": (lambda v: v**0.5, lambda t: t**0.5, [0.25, 1.0, 9.0]),
    "inverse": (lambda v: v**-1, lambda t: t**-1, [-4.0, 0.5, 3.0]),
    "pow_method": (lambda v: v.pow(2.5), lambda t: t.pow(2.5), [0.1, 2.0]),
    "rtruediv": (lambda v: 2 / v, lambda t: 2 / t, [-3.0, 0.5, 4.0]),
    "truediv": (lambda v: v / 2, lambda t: t / 2, [-3.0, 0.5]),
    "rsub": (lambda v: 1 - v, lambda t: 1 - t, [-3.0, 0.5]),
    "sub": (lambda v: v - 1, lambda t: t - 1, [-3.0, 0.5]),
    "rmul": (lambda v: 2 * v, lambda t: 2 * t, [-3.0, 0.5]),
    "radd": (lambda v: 2 + v, lambda t: 2 + t, [-3.0, 0.5]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_against_torch(torch, name):
    ours, theirs, inputs = UNARY[name]
    for x in inputs:
        v = Value(x)
        out = ours(v)
        out.backward()
        t = leaf(torch, x)
        out_t = theirs(t)
        out_t.backward()
        assert close(out.data, out_t.item()), (name, x)
        assert close(v.grad, t.grad.item()), (name, x)


BINARY = {
    "add": (lambda a, b: a + b),
    "sub": (lambda a, b: a - b),
    "mul": (lambda a, b: a * b),
    "div": (lambda a, b: a / b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_against_torch(torch, name):
    f = BINARY[name]
    for x, y in [(1.5, -2.0), (-0.25, 4.0), (3.0, 3.0)]:
        a, b = Value(x), Value(y)
        out = f(a, b)
        out.backward()
        at, bt = leaf(torch, x), leaf(torch, y)
        out_t = f(at, bt)
        out_t.backward()
        assert close(out.data, out_t.item())
        assert close(a.grad, at.grad.item())
        assert close(b.grad, bt.grad.item())


def test_same_value_on_both_sides_against_torch(torch):
    # a * a and a / a: both inputs are one node, so its grad collects both contributions.
    for f in (lambda a: a * a, lambda a: a / a, lambda a: a - a, lambda a: (a + a) * a):
        a = Value(1.7)
        f(a).backward()
        at = leaf(torch, 1.7)
        f(at).backward()
        assert close(a.grad, at.grad.item())


def random_expression(rng, leaves, depth):
    """A random expression tree over `leaves`, as a function usable by both engines."""
    if depth == 0 or rng.random() < 0.2:
        i = rng.randrange(len(leaves))
        return lambda xs: xs[i]
    kind = rng.choice(["add", "sub", "mul", "div", "radd", "rmul", "rsub", "tanh", "sigmoid",
                       "exp_small", "square", "relu", "neg"])
    left = random_expression(rng, leaves, depth - 1)
    right = random_expression(rng, leaves, depth - 1)
    c = rng.choice([0.5, 1.5, -2.0, 3.0])
    ops = {
        "add": lambda xs: left(xs) + right(xs),
        "sub": lambda xs: left(xs) - right(xs),
        "mul": lambda xs: left(xs) * right(xs),
        # 1 + x^2 keeps the divisor away from zero whatever the subtree computes.
        "div": lambda xs: left(xs) / (1 + right(xs) ** 2),
        "radd": lambda xs: c + left(xs),
        "rmul": lambda xs: c * left(xs),
        "rsub": lambda xs: c - left(xs),
        "tanh": lambda xs: left(xs).tanh(),
        "sigmoid": lambda xs: left(xs).sigmoid(),
        "exp_small": lambda xs: (left(xs).tanh()).exp(),
        "square": lambda xs: left(xs) ** 2,
        "relu": lambda xs: left(xs).relu(),
        "neg": lambda xs: -left(xs),
    }
    return ops[kind]


def test_random_expressions_against_torch(torch):
    rng = random.Random(5)
    for trial in range(200):
        inputs = [rng.uniform(-2, 2) for _ in range(3)]
        f = random_expression(rng, inputs, depth=5)
        values = [Value(x) for x in inputs]
        out = f(values)
        if not out.inputs:
            continue  # the tree was a bare leaf: nothing to differentiate
        out.backward()
        tensors = [leaf(torch, x) for x in inputs]
        out_t = f(tensors)
        out_t.backward()
        assert close(out.data, out_t.item(), rel=1e-9, abs=1e-12), trial
        for v, t in zip(values, tensors):
            expected = 0.0 if t.grad is None else t.grad.item()
            assert close(v.grad, expected, rel=1e-9, abs=1e-12), trial


def test_finite_differences_independent_of_torch():
    # Central differences in float64 on a smooth expression: a reference that needs no library.
    def f(x, y):
        return ((x * y).tanh() + (x / y).exp() * 0.5 - (y**2 + 1).log()).sigmoid()

    def numeric(x, y, h=1e-6):
        fx = (f(Value(x + h), Value(y)).data - f(Value(x - h), Value(y)).data) / (2 * h)
        fy = (f(Value(x), Value(y + h)).data - f(Value(x), Value(y - h)).data) / (2 * h)
        return fx, fy

    for x, y in [(0.3, 1.2), (-0.7, 0.4), (1.1, -2.0)]:
        a, b = Value(x), Value(y)
        f(a, b).backward()
        fx, fy = numeric(x, y)
        assert a.grad == pytest.approx(fx, rel=1e-6, abs=1e-9)
        assert b.grad == pytest.approx(fy, rel=1e-6, abs=1e-9)


# ---- accumulation and what a second backward() does -------------------------------------------------

def test_gradients_accumulate_like_torch(torch):
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    at = leaf(torch, 3.0)
    ct = (at + at) + (at + at)
    ct.backward(retain_graph=True)
    assert a.grad == at.grad.item() == 4.0
    # A second pass adds to the leaf's grad in both engines.
    c.backward()
    ct.backward()
    assert a.grad == at.grad.item() == 8.0
    # Interior grads are recomputed per pass, not accumulated (Note [what a second backward does]).
    assert b.grad == 2.0
    a.zero_grad()
    c.backward()
    assert a.grad == 4.0


def test_grad_and_data_are_settable_and_shared_between_handles():
    a = Value(1.0, "a")
    b = a * 3
    first_input = b.inputs[0]
    first_input.data = 5.0
    first_input.grad = 0.25
    assert a.data == 5.0 and a.grad == 0.25
    assert first_input == a and hash(first_input) == hash(a)
    assert first_input is not a  # a new Python handle on the same node
    assert a != Value(5.0)


# ---- operators and conversions --------------------------------------------------------------------

def test_operators_accept_python_and_numpy_numbers():
    a = Value(2.0)
    for number in (3, 3.0, np.float64(3.0), np.float32(3.0), np.int64(3), True):
        k = float(number)
        assert (a + number).data == 2.0 + k
        assert (number + a).data == k + 2.0
        assert (a - number).data == 2.0 - k
        assert (number - a).data == k - 2.0
        assert (a * number).data == 2.0 * k
        assert (number * a).data == k * 2.0
        assert (a / number).data == 2.0 / k
        assert (number / a).data == k / 2.0
    assert (a**3).data == 8.0
    assert (-a).data == -2.0
    assert float(a) == 2.0


def test_unsupported_operands_raise_type_error():
    a = Value(2.0)
    with pytest.raises(TypeError):
        a + "x"
    with pytest.raises(TypeError):
        "x" * a
    with pytest.raises(TypeError, match="exponent must be a number"):
        a ** Value(2.0)  # only constant exponents, as in micrograd
    with pytest.raises(TypeError):
        "x" ** a  # a number base works (2 ** a, tested below); a string does not
    with pytest.raises(TypeError):
        Value("x")


def test_division_by_zero_follows_ieee_754(torch):
    a = Value(1.0)
    assert (a / 0).data == math.inf
    assert math.isnan((Value(0.0) / 0).data)
    assert (Value(-1.0).log()).data != (Value(-1.0).log()).data  # NaN, as torch.log(-1)
    assert math.isnan(torch.log(torch.tensor(-1.0)).item())


def test_repr_label_and_op():
    a = Value(2.0, "a")
    b = Value(-3.0)
    c = a * b
    c.backward()
    for v in (a, b, c):
        assert repr(v) == "Value(data=%.4f, grad=%.4f)" % (v.data, v.grad)
    assert a.label == "a" and b.label == ""
    c.label = "c"
    assert c.label == "c"
    assert (a.op, a.op_symbol) == ("leaf", "")
    assert (c.op, c.op_symbol) == ("mul", "*")
    assert (a**3).op == "pow" and (a**3).exponent == 3.0
    names = {(a + b).op, (a - b).op, (a / b).op, (-a).op, a.exp().op, a.log().op, a.tanh().op,
             a.relu().op, a.sigmoid().op}
    assert names == {"add", "sub", "div", "neg", "exp", "log", "tanh", "relu", "sigmoid"}
    assert c.inputs == [a, b]
    assert a.inputs == []


# ---- grad mode ----------------------------------------------------------------------------------

def test_no_grad_records_no_graph():
    a = Value(2.0)
    assert kindling.is_grad_enabled()
    with kindling.no_grad():
        assert not kindling.is_grad_enabled()
        b = a * a
        with kindling.enable_grad():
            c = a * a
        assert not kindling.is_grad_enabled()
    assert kindling.is_grad_enabled()
    assert b.op == "leaf" and b.inputs == [] and b.data == 4.0
    assert c.op == "mul"
    b.backward()
    assert a.grad == 0.0
    c.backward()
    assert a.grad == 4.0


def test_no_grad_restores_the_mode_after_an_exception_and_works_as_a_decorator():
    with pytest.raises(RuntimeError):
        with kindling.no_grad():
            raise RuntimeError("boom")
    assert kindling.is_grad_enabled()

    @kindling.no_grad()
    def square(v):
        return v * v

    assert square(Value(3.0)).op == "leaf"
    assert kindling.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with kindling.no_grad():
        worker = threading.Thread(target=lambda: seen.append(kindling.is_grad_enabled()))
        worker.start()
        worker.join()
    assert seen == [True]


# ---- the topological order and a backward pass by hand --------------------------------------------

def test_topological_order_lists_each_node_once_inputs_first():
    a, b = Value(1.5), Value(-0.5)
    d = (a * b + a).tanh() * (b - a)
    order = kindling.topological_order(d)
    # The distinct nodes, found by an independent walk over .inputs.
    seen, stack = set(), [d]
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(v.inputs)
    assert len(order) == len(set(order)) == len(seen)
    assert set(order) == seen
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        for u in v.inputs:
            assert position[u] < position[v]
    assert order[-1] == d


def test_backward_by_hand_matches_backward():
    # The chain rule written out over the topological order, with local_derivative.
    def build():
        a, b = Value(0.8), Value(-1.3)
        return a, b, ((a * b).exp() + a / b) * (a - b).sigmoid()

    a, b, out = build()
    order = kindling.topological_order(out)
    for v in order:
        v.grad = 0.0
    out.grad = 1.0
    for v in reversed(order):
        for i, u in enumerate(v.inputs):
            u.grad += v.local_derivative(i) * v.grad
    a2, b2, out2 = build()
    out2.backward()
    assert a.grad == pytest.approx(a2.grad, rel=1e-15)
    assert b.grad == pytest.approx(b2.grad, rel=1e-15)

    # backward_step() is one node's share of the same loop.
    a3, b3, out3 = build()
    order = kindling.topological_order(out3)
    out3.grad = 1.0
    for v in reversed(order):
        v.backward_step()
    assert (a3.grad, b3.grad) == (a2.grad, b2.grad)


def test_derivative_formulas_name_the_rule():
    a, b = Value(2.0), Value(3.0)
    assert (a * b).derivative_formula(0) == "b" and (a * b).derivative_formula(1) == "a"
    assert (a / b).local_derivative(1) == pytest.approx(-2.0 / 9.0)
    assert a.tanh().derivative_formula(0) == "1 - c^2"


def test_a_very_deep_chain_needs_no_recursion():
    # micrograd's recursive topological sort fails near depth 1000; kindling walks with a stack.
    x = Value(1.0)
    y = x
    for _ in range(200_000):
        y = y + 0.0 * x + 1.0
    y.backward()
    assert y.data == 200_001.0
    assert x.grad == 1.0


def test_number_base_power_comparisons_and_compound_assignment_labels():
    import torch

    v = kindling.Value(1.5, "v")
    p = 2 ** v
    p.backward()
    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    (2 ** t).backward()
    assert p.data == pytest.approx((2 ** t).item(), rel=1e-15)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-15)
    with pytest.raises(kindling.Error, match="the base must be a number > 0"):
        (-2) ** v
    a, b = kindling.Value(1.0), kindling.Value(2.0)
    assert a < b and b > a and a <= 1.0 and b >= 2.0 and not (b < a) and a < 1.5
    assert sorted([b, a]) == [a, b]
    acc = kindling.Value(0.0, "acc")
    alias = acc
    acc += v * 2
    assert acc.label == "acc" and acc.data == 3.0
    assert alias.data == 0.0  # the old Value is not changed in place: Python rebinds acc
    acc *= 2
    assert acc.label == "acc" and acc.data == 6.0
