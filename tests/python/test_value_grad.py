"""grad() for Values (kindling._value_grad, torch.autograd.grad's signature): random scalar
programs through kindling and through PyTorch in float64, first and second derivatives compared,
special values included; errors; Value.register_hook against torch's tensor hooks."""

import math
import random

import pytest

import kindling
from kindling import _kindling
from value_programs import OPS, POW_EXPONENTS, close, random_program, run_program

torch = pytest.importorskip("torch")

value_grad = _kindling._value_grad


def test_every_value_op_is_in_the_random_programs():
    # A new scalar op must join OPS (the generated C++ test covers its second derivative; this one
    # its agreement with PyTorch).
    names = {v.op for v in _ops_used_by_one_of_each()}
    assert names == {name for name, *_ in OPS}


def _ops_used_by_one_of_each():
    a, b = kindling.Value(0.5), kindling.Value(1.5)
    out = []
    for name, arity, op, _ in OPS:
        if name == "pow":
            out.append(a ** 2.0)
        else:
            out.append(op(a, b) if arity == 2 else op(a))
    return out


def torch_value(t):
    return 0.0 if t is None else float(t)


def compare_program(steps, values):
    xs = [kindling.Value(v, f"x{i}") for i, v in enumerate(values)]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    f = run_program(steps, xs, False)
    tf = run_program(steps, ts, True)
    assert close(f.data, float(tf))
    first = value_grad(f, xs, create_graph=True, allow_unused=True)
    tfirst = torch.autograd.grad(tf, ts, create_graph=True, allow_unused=True)
    plain = value_grad(f, xs, allow_unused=True)
    for i in range(len(xs)):
        ours = 0.0 if first[i] is None else first[i].data
        assert close(ours, torch_value(tfirst[i])), (i, ours, tfirst[i])
        # The graph form's data is the double path's, bit for bit.
        if first[i] is not None:
            assert math.isnan(ours) and math.isnan(plain[i].data) or ours == plain[i].data
    # Second derivatives: one Hessian row per input.
    for i in range(len(xs)):
        if first[i] is None or tfirst[i] is None or not tfirst[i].requires_grad:
            continue
        second = value_grad(first[i], xs, allow_unused=True)
        tsecond = torch.autograd.grad(tfirst[i], ts, allow_unused=True, retain_graph=True)
        for j in range(len(xs)):
            ours = 0.0 if second[j] is None else second[j].data
            assert close(ours, torch_value(tsecond[j])), (i, j, ours, tsecond[j])


@pytest.mark.parametrize("seed", range(60))
def test_random_programs_against_torch_second_derivatives(seed):
    rng = random.Random(seed)
    n_inputs = rng.randint(1, 3)
    steps = random_program(rng, n_inputs, rng.randint(1, 7))
    values = [rng.uniform(0.2, 1.8) * rng.choice([1, -1]) for _ in range(n_inputs)]
    compare_program(steps, values)


SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e-300, 40.0, -40.0, 800.0, float("inf"), float("-inf"), float("nan")]


@pytest.mark.parametrize("name", [name for name, *_ in OPS])
def test_each_op_at_special_values_against_torch(name):
    index = [n for n, *_ in OPS].index(name)
    arity = OPS[index][1]
    ks = POW_EXPONENTS if name == "pow" else [0.0]
    for a in SPECIAL:
        for b in ([2.5, -0.5] if arity == 2 else [None]):
            for k in ks:
                values = [a] if b is None else [a, b]
                operands = [0] if b is None else [0, 1]
                steps = [(index, operands, k)]
                # The op, then times itself: its second derivative feeds a non-trivial upstream.
                steps.append((2, [len(values), len(values)], 0.0))
                try:
                    compare_program(steps, values)
                except AssertionError as error:
                    raise AssertionError(f"{name} at a={a}, b={b}, k={k}: {error}") from None


def test_newton_on_a_scalar_matches_torch():
    # x <- x - f'(x) / f''(x) for f = x^4 - 3x^2 + x, both engines, five steps.
    x, tx = 1.3, torch.tensor(1.3, dtype=torch.float64, requires_grad=True)
    for _ in range(5):
        v = kindling.Value(x)
        f = v ** 4.0 - 3.0 * v ** 2.0 + v
        (g,) = value_grad(f, v, create_graph=True)
        (h,) = value_grad(g, v)
        x = x - g.data / h.data
        tf = tx ** 4 - 3 * tx ** 2 + tx
        (tg,) = torch.autograd.grad(tf, tx, create_graph=True)
        (th,) = torch.autograd.grad(tg, tx)
        tx = (tx - tg / th).detach().requires_grad_()
        assert x == pytest.approx(float(tx), rel=1e-14)


def test_grad_outputs_and_several_outputs_match_torch():
    a, b = kindling.Value(0.7), kindling.Value(-1.1)
    ta = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-1.1, dtype=torch.float64, requires_grad=True)
    outs = [a * b, (a + b).tanh()]
    touts = [ta * tb, (ta + tb).tanh()]
    seeds = [2.0, -3.0]
    ours = value_grad(outs, [a, b], grad_outputs=seeds)
    theirs = torch.autograd.grad(touts, [ta, tb], grad_outputs=[torch.tensor(s, dtype=torch.float64)
                                                                for s in seeds])
    for o, t in zip(ours, theirs):
        assert o.data == pytest.approx(float(t), rel=1e-14)
    assert isinstance(ours, tuple)


def test_grad_leaves_dot_grad_alone_and_retain_graph_is_accepted():
    x = kindling.Value(2.0)
    x.grad = 5.0
    f = x * x
    (g,) = value_grad(f, [x], retain_graph=True)
    assert g.data == 4.0 and x.grad == 5.0
    (g,) = value_grad(f, [x], retain_graph=False, create_graph=True)
    assert g.op != "leaf" and x.grad == 5.0


def test_grad_errors_are_kindling_errors():
    x, y, u = kindling.Value(1.0), kindling.Value(2.0), kindling.Value(3.0, "u")
    f = x * y
    with pytest.raises(kindling.Error, match=r"grad: input 1 \('u'\) was not used.*allow_unused"):
        value_grad(f, [x, u])
    assert value_grad(f, [x, u], allow_unused=True)[1] is None
    with pytest.raises(kindling.Error, match="grad_outputs has 2 Values for 1 outputs"):
        value_grad([f], [x], grad_outputs=[1.0, 2.0])
    with pytest.raises(kindling.Error, match="inputs is empty"):
        value_grad(f, [])
    with pytest.raises(TypeError):
        value_grad(f, ["x"])


def test_hooks_print_each_gradient_and_may_replace_it_as_torch():
    seen, tseen = [], []
    a, b = kindling.Value(2.0), kindling.Value(-3.0)
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    c, tc = a * b, ta * tb
    d, td = c.tanh() + a, tc.tanh() + ta
    handle = c.register_hook(lambda g: seen.append(("c", g.data)))
    a.register_hook(lambda g: seen.append(("a", g.data)))
    tc.register_hook(lambda g: tseen.append(("c", float(g))))
    ta.register_hook(lambda g: tseen.append(("a", float(g))))
    c.register_hook(lambda g: g * 3.0)
    tc.register_hook(lambda g: g * 3.0)
    d.backward()
    td.backward()
    assert [n for n, _ in seen] == [n for n, _ in tseen]
    for (_, ours), (_, theirs) in zip(seen, tseen):
        assert ours == pytest.approx(theirs, rel=1e-14)
    assert a.grad == pytest.approx(float(ta.grad), rel=1e-14)
    assert b.grad == pytest.approx(float(tb.grad), rel=1e-14)
    # A number replaces the gradient too; remove() takes a hook off.
    handle.remove()
    b.register_hook(lambda g: 0.5)
    seen.clear()
    b.grad = 0.0
    d.backward()
    assert b.grad == 0.5
    assert [n for n, _ in seen] == ["a"]


def test_hook_errors_propagate_and_leave_grads():
    x = kindling.Value(1.0)
    x.grad = 7.0
    y = x * 2.0

    def bad(g):
        raise RuntimeError("from the hook")

    with x.register_hook(bad):
        with pytest.raises(RuntimeError, match="from the hook"):
            y.backward()
        assert x.grad == 7.0
    y.backward()  # the with-block removed the hook
    assert x.grad == 9.0
    with pytest.raises(TypeError):
        x.register_hook(lambda g: "not a number")
        y.backward()


def test_grad_graph_stepper_steps_the_create_graph_backward_and_second_order():
    x, y = kindling.Value(0.5, "x"), kindling.Value(2.0, "y")
    out = x ** 3.0 * y
    stepper = kindling.GradGraphStepper(out, [x])
    assert stepper.step_count == 2
    texts = [step.text() for step in stepper]
    assert texts[-1].startswith("[2/2]") and "grad x" in texts[-1]
    assert stepper.done()
    (g,) = stepper.gradients()
    assert not stepper.is_forward(g) and stepper.is_forward(out)
    tx = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(tx ** 3 * 2.0, tx, create_graph=True)
    assert g.data == float(tg)
    dot = stepper._frame_dot()
    assert "#1e88e5" in dot and "grad x" in dot
    # The gradient's own backward pass, stepped: x.grad becomes d2(out)/dx2 = 6xy = 6.
    second = kindling.ValueStepper(g)
    second.run_to_end()
    (th,) = torch.autograd.grad(tg, tx)
    assert x.grad == float(th) == 6.0
