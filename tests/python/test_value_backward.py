"""Value.backward(gradient=None, retain_graph=None, create_graph=False), torch's signature: the
seed, second derivatives through x.grad_value against torch's x.grad and against central
differences, accumulation, released graphs and their errors."""

import math

import pytest

import kindling

torch = pytest.importorskip("torch")


def f(x, y):
    return x ** 3.0 * y + (x * y).exp() * x.tanh() + (y * y + 1.0).log()


def first(x, y):
    """(df/dx, df/dy) by a plain backward() on fresh leaves."""
    a, b = kindling.Value(x), kindling.Value(y)
    f(a, b).backward()
    return a.grad, b.grad


@pytest.mark.parametrize("point", [(0.5, -1.5), (-0.8, 0.3), (1.2, 0.9)])
def test_create_graph_second_derivatives_against_torch_and_finite_differences(point):
    x, y = kindling.Value(point[0], "x"), kindling.Value(point[1], "y")
    tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point)
    f(x, y).backward(create_graph=True)
    f(tx, ty).backward(create_graph=True)
    assert x.grad == pytest.approx(float(tx.grad), rel=1e-13)
    assert y.grad == pytest.approx(float(ty.grad), rel=1e-13)
    assert x.grad_value.op != "leaf" and x.grad_value.data == x.grad
    h = 1e-5
    for i, (g, tg) in enumerate([(x.grad_value, tx.grad), (y.grad_value, ty.grad)]):
        ours = kindling.autograd.grad(g, [x, y])
        theirs = torch.autograd.grad(tg, [tx, ty], retain_graph=True)
        fd_x = (first(point[0] + h, point[1])[i] - first(point[0] - h, point[1])[i]) / (2 * h)
        fd_y = (first(point[0], point[1] + h)[i] - first(point[0], point[1] - h)[i]) / (2 * h)
        for o, t, fd in zip(ours, theirs, (fd_x, fd_y)):
            assert o.data == pytest.approx(float(t), rel=1e-12)
            assert o.data == pytest.approx(fd, rel=1e-7)
    # Differentiating x.grad by backward(), as in torch: zero the grads, backward the gradient.
    x.grad, y.grad = 0.0, 0.0
    tx.grad, ty.grad = None, None
    g = kindling.autograd.grad(f(x, y), [x], create_graph=True)[0]
    tg = torch.autograd.grad(f(tx, ty), [tx], create_graph=True)[0]
    g.backward()
    tg.backward()
    assert x.grad == pytest.approx(float(tx.grad), rel=1e-12)
    assert y.grad == pytest.approx(float(ty.grad), rel=1e-12)


def test_gradient_seed_and_accumulation_match_torch():
    x = kindling.Value(0.4)
    tx = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    y, ty = x.tanh() * x, tx.tanh() * tx
    y.backward(2.5, retain_graph=True)
    ty.backward(torch.tensor(2.5, dtype=torch.float64), retain_graph=True)
    assert x.grad == pytest.approx(float(tx.grad), rel=1e-14)
    y.backward(gradient=kindling.Value(-1.0), create_graph=True)
    ty.backward(torch.tensor(-1.0, dtype=torch.float64), create_graph=True)
    assert x.grad == pytest.approx(float(tx.grad), rel=1e-14)
    # The accumulated gradient joins the graph: its derivative is the second pass's alone.
    (ours,) = kindling.autograd.grad(x.grad_value, [x])
    (theirs,) = torch.autograd.grad(tx.grad, [tx])
    assert ours.data == pytest.approx(float(theirs), rel=1e-13)


def test_third_derivative_by_repeated_create_graph_backward():
    x = kindling.Value(0.6)
    x.pow(4.0).backward(create_graph=True)
    g1 = x.grad_value
    x.zero_grad()
    g1.backward(create_graph=True)
    g2 = x.grad_value
    x.zero_grad()
    g2.backward()
    assert g2.data == pytest.approx(12 * 0.36, rel=1e-14)
    assert x.grad == pytest.approx(24 * 0.6, rel=1e-14)


def test_retain_graph_defaults_and_released_graph_errors():
    x, y = kindling.Value(0.3), kindling.Value(2.0)
    z = (x * y).exp()
    z.backward()  # no argument: micrograd's backward, the graph kept
    z.backward()
    assert x.grad == pytest.approx(2 * 2.0 * math.exp(0.6), rel=1e-14)
    z.backward(1.0)  # retain_graph defaults to create_graph=False: released
    with pytest.raises(kindling.Error, match="backward of exp.*retain_graph"):
        z.backward()
    with pytest.raises(kindling.Error, match="backward of exp"):
        kindling.autograd.grad(z, [x])
    w = x.tanh()
    w.backward(create_graph=True)  # retained
    w.backward(retain_graph=False)
    with pytest.raises(kindling.Error, match="backward of tanh"):
        w.backward(1.0, retain_graph=True)
    # torch says the same of a freed graph.
    tx = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    tz = tx.exp()
    tz.backward()
    with pytest.raises(RuntimeError, match="second time"):
        tz.backward()


def test_zero_grad_drops_the_gradient_graph():
    x = kindling.Value(0.5)
    x.exp().backward(create_graph=True)
    assert x.grad_value.op != "leaf"
    x.zero_grad()
    assert x.grad == 0.0 and x.grad_value.op == "leaf"
    x.exp().backward(create_graph=True)
    x.grad = 1.0  # setting the number drops the graph too
    assert x.grad_value.op == "leaf" and x.grad_value.data == 1.0


def test_constants_inside_the_graph_get_numbers_and_parameters_graphs():
    # torch gives no .grad to a tensor that does not require grad; a Value always gets one, and a
    # constant only the graph refers to (the 2.0 below) gets it as a number, not a graph.
    x = kindling.Value(0.5)
    y = x * 2.0 + x ** 3.0
    y.backward(create_graph=True)
    two = y.inputs[0].inputs[1]
    assert two.data == 2.0 and two.grad == 0.5 and two.grad_value.op == "leaf"
    (d2,) = kindling.autograd.grad(x.grad_value, [x])
    tx = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    (tx * 2.0 + tx ** 3.0).backward(create_graph=True)
    (td2,) = torch.autograd.grad(tx.grad, [tx])
    assert d2.data == pytest.approx(float(td2), rel=1e-15)
    x.zero_grad()
