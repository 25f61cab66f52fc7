# kindling.ValueStepper from Python: stepping to the end leaves backward()'s gradients (and
# PyTorch's), each step reports the chain rule with the numbers the engine used, reset() restores
# the start, parse_expression and parse_program build the graph Python's operators would, and the
# player page holds one frame per state.
import math
import re
import shutil

import pytest

import kindling
from kindling import Value


def neuron_graph():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return [x1, x2, w1, w2, b], o


def test_stepping_to_the_end_matches_backward_and_torch(torch):
    leaves, o = neuron_graph()
    stepper = kindling.ValueStepper(o)
    assert stepper.step_count == sum(1 for v in kindling.topological_order(o) if v.inputs)
    steps = list(stepper)
    assert stepper.done() and len(steps) == stepper.step_count
    stepped = [v.grad for v in leaves]

    leaves2, o2 = neuron_graph()
    o2.backward()
    assert stepped == [v.grad for v in leaves2]

    t = [torch.tensor(v.data, requires_grad=True) for v in leaves2]
    ((t[0] * t[2] + t[1] * t[3] + t[4]).tanh()).backward()
    assert stepped == pytest.approx([x.grad.item() for x in t], rel=1e-12, abs=1e-15)


def test_each_step_reports_what_the_engine_did():
    _, o = neuron_graph()
    stepper = kindling.ValueStepper(o)
    assert stepper.state_text().startswith("[0/5] start: o.grad = 1.0000")
    order = kindling.topological_order(o)
    expected_nodes = [v for v in reversed(order) if v.inputs]
    for number, expected in enumerate(expected_nodes, start=1):
        assert stepper.next == expected
        step = stepper.step()
        assert step.number == number and step.node == expected == stepper.current
        assert step.upstream == expected.grad
        for c in step.contributions:
            assert c.parent == expected.inputs[c.input_index]
            assert c.local_derivative == expected.local_derivative(c.input_index)
            assert c.contribution == c.local_derivative * step.upstream
            assert c.grad_after == pytest.approx(c.grad_before + c.contribution)
        # "[2/5] n = ...: a.grad += ...", later lines indented under the tag; no final newline.
        text = step.text()
        tag = f"[{number}/{len(expected_nodes)}] "
        assert step.total == len(expected_nodes) and not text.endswith("\n")
        lines = text.split("\n")
        assert len(lines) == len(step.contributions)
        assert lines[0].startswith(tag + step.expression + ": ")
        assert all(line.startswith(" " * len(tag) + step.expression + ": ") for line in lines[1:])
        assert stepper.is_done(expected)
    assert stepper.next is None
    with pytest.raises(ValueError, match="already done"):
        stepper.step()


def test_first_step_text_for_tanh():
    _, o = neuron_graph()
    step = kindling.ValueStepper(o).step()
    # tanh's local derivative is 1 - o^2 = 1 - tanh(0.8814)^2 = 0.5.
    assert step.expression.startswith("o = tanh(")
    assert step.contributions[0].formula == "1 - o^2"
    assert math.isclose(step.contributions[0].local_derivative, 0.5, rel_tol=1e-12)


def test_grad_finality_and_reset():
    a = Value(1.5, "a")
    b = a * a
    b.label = "b"
    c = b + a
    c.label = "c"
    a.grad = 10.0  # reset() must bring the leaf back to this, not to 0
    stepper = kindling.ValueStepper(c)
    assert stepper.is_grad_final(c) and not stepper.is_grad_final(a)
    stepper.step()  # c = b + a: a gets 1, but b still owes it 2a
    assert not stepper.is_grad_final(a) and stepper.is_grad_final(b)
    stepper.step()  # b = a * a
    assert stepper.is_grad_final(a)
    assert a.grad == 10.0 + 1.0 + 2 * 1.5
    stepper.reset()
    assert stepper.position == 0 and stepper.current is None and stepper.last_step is None
    assert a.grad == 10.0 and c.grad == 1.0 and b.grad == 0.0
    stepper.run_to_end()
    assert a.grad == 10.0 + 1.0 + 2 * 1.5


def test_parse_expression_builds_the_graph_of_the_formula():
    values = {"x": 0.7, "y": -1.2}
    v = kindling.parse_expression("tanh(x*y + 2) - x^2 / (1 + exp(y))", values)
    x, y = values["x"], values["y"]
    assert v.data == pytest.approx(math.tanh(x * y + 2) - x**2 / (1 + math.exp(y)), rel=1e-15)
    shared = Value(3.0, "s")
    w = kindling.parse_expression("s * s", {"s": shared})
    w.backward()
    assert shared.grad == 6.0  # one variable, one node: both uses reach it


def test_parse_program_binds_names_as_pythons_assignments_do(torch):
    program = "c = a + b; d = a * b + b^3; c = c + (c + 1); e = c - d; f = e^2; f / 2 + 10 / f;"
    a, b = Value(-4.0, "a"), Value(2.0, "b")
    out = kindling.parse_program(program, {"a": a, "b": b})
    out.backward()
    # The same statements in PyTorch, float64, as micrograd's README writes them.
    ta = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    c = ta + tb
    d = ta * tb + tb**3
    c = c + (c + 1)
    e = c - d
    f = e**2
    expected = f / 2 + 10 / f
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-15)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-15)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-15)
    # A bound name labels its node, and both uses of f are that one node.
    half, ten_over_f = out.inputs
    assert half.inputs[0].label == "f" and half.inputs[0].op == "pow"
    assert ten_over_f.inputs[1].label == "f"
    ten_over_f.inputs[1].data = 5.0  # the same node: the change shows through both uses
    assert half.inputs[0].data == 5.0
    with pytest.raises(kindling.ExpressionError) as caught:
        kindling.parse_program("c = a +; c", {"a": 1.0})
    assert caught.value.column == 8
    with pytest.raises(kindling.ExpressionError):
        kindling.parse_program("", {})


def test_parse_errors_carry_their_column():
    with pytest.raises(kindling.ExpressionError) as caught:
        kindling.parse_expression("x + * 2", {"x": 1.0})
    assert isinstance(caught.value, kindling.Error) and isinstance(caught.value, ValueError)
    assert caught.value.column == 5
    assert str(caught.value).splitlines()[-1].index("^") == 2 + 4  # two spaces of indent


def test_frames_and_player():
    _, o = neuron_graph()
    stepper = kindling.ValueStepper(o)
    stepper.step()
    source = stepper.frame().source
    assert source.count("#ffd54f") == 1  # amber: the node just stepped
    assert '+= 0.5000' in source  # the edge that carried tanh's gradient is labelled
    if shutil.which("dot") is None:
        pytest.skip("the player needs Graphviz's dot")
    page = kindling.player(o, title="neuron").page
    frames = int(re.search(r'data-frames="(\d+)"', page).group(1))
    assert frames == stepper.step_count + 1  # the start plus one frame per step
    assert page.count("<svg") == frames


def test_start_text_warns_about_leaf_gradients_and_zero_grads_clears_them():
    a = kindling.Value(3.0, "a")
    out = 0.5 * a * a
    out.label = "out"
    out.backward()
    assert "1 leaf already holds a gradient" not in kindling.ValueStepper(out).state_text()
    assert "leaves already hold gradients from an earlier backward" in (
        kindling.ValueStepper(out).state_text())
    kindling.zero_grads(out)
    assert a.grad == 0.0 and all(v.grad == 0.0 for v in kindling.topological_order(out))
    stepper = kindling.ValueStepper(out)
    assert "already hold" not in stepper.state_text()
    stepper.run_to_end()
    assert a.grad == 3.0  # d(0.5 a^2)/da = a, not doubled by the earlier backward
