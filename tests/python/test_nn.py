# kindling.nn's scalar networks from Python: forward passes against NumPy, parameter gradients
# against PyTorch on copies of the same weights, the losses, the SGD step, seeding, make_moons,
# and a short run of micrograd's moons demo.
import math

import numpy as np
import pytest

import kindling
from kindling import Value, nn
from conftest import close


def weights_of(layer):
    """A Layer's weights (nout, nin) and biases (nout,) as NumPy arrays."""
    w = np.array([[p.data for p in neuron.w] for neuron in layer.neurons])
    b = np.array([neuron.b.data for neuron in layer.neurons])
    return w, b


def numpy_forward(model, x):
    h = np.asarray(x, dtype=np.float64)
    for i, layer in enumerate(model.layers):
        w, b = weights_of(layer)
        h = w @ h + b
        if i + 1 < len(model.layers):
            h = np.maximum(h, 0.0)
    return h


def test_shapes_parameters_and_repr():
    model = nn.MLP(3, [4, 5, 2], seed=7)
    assert len(model.layers) == 3
    assert [len(layer.neurons) for layer in model.layers] == [4, 5, 2]
    assert len(model.parameters()) == (3 * 4 + 4) + (4 * 5 + 5) + (5 * 2 + 2)
    assert repr(model) == ("MLP of [Layer of [ReLUNeuron(3) x 4], Layer of [ReLUNeuron(4) x 5], "
                           "Layer of [LinearNeuron(5) x 2]]")
    neuron = nn.Neuron(3, nonlinear=False, seed=1)
    assert repr(neuron) == "LinearNeuron(3)" and neuron.nin == 3 and not neuron.nonlinear
    assert len(neuron.w) == 3 and neuron.b.data == 0.0
    # micrograd's initialisation: weights uniform in [-1, 1], biases 0.
    assert all(-1.0 <= p.data <= 1.0 for p in model.parameters())
    assert isinstance(model, nn.ScalarModule) and isinstance(neuron, nn.ScalarModule)


def test_forward_matches_numpy():
    model = nn.MLP(3, [8, 8, 3], seed=11)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.normal(size=3)
        out = model(list(x))
        assert [v.data for v in out] == pytest.approx(numpy_forward(model, x), rel=1e-12, abs=1e-12)
    # A NumPy row, Values and Python floats are all accepted; one output comes back bare.
    single = nn.MLP(2, [4, 1], seed=3)
    x = np.array([0.25, -0.5])
    a = single(x)
    b = single([Value(0.25), -0.5])
    assert isinstance(a, Value) and a.data == b.data == pytest.approx(numpy_forward(single, x)[0])
    layer = nn.Layer(2, 1, nonlinear=False, seed=3)
    assert isinstance(layer([1.0, 2.0]), Value)
    assert isinstance(nn.Layer(2, 3, seed=3)([1.0, 2.0]), list)


def test_parameter_gradients_match_torch(torch):
    model = nn.MLP(3, [6, 5, 1], seed=2)
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(12, 3))
    ys = np.where(rng.random(12) > 0.5, 1.0, -1.0)

    scores = [model(list(x)) for x in xs]
    loss = nn.svm_loss(scores, ys, model.parameters(), alpha=1e-3)
    model.zero_grad()
    loss.backward()

    # The same network in torch, built from kindling's weights.
    params = []
    for layer in model.layers:
        w, b = weights_of(layer)
        params.append((torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)))
    h = torch.tensor(xs)
    for i, (w, b) in enumerate(params):
        h = h @ w.T + b
        if i + 1 < len(params):
            h = torch.relu(h)
    s = h[:, 0]
    data_loss = torch.relu(1 - torch.tensor(ys) * s).mean()
    l2 = sum((w**2).sum() + (b**2).sum() for w, b in params)
    loss_t = data_loss + 1e-3 * l2
    loss_t.backward()

    assert close(loss.data, loss_t.item(), rel=1e-12)
    for layer, (w, b) in zip(model.layers, params):
        for j, neuron in enumerate(layer.neurons):
            assert [p.grad for p in neuron.w] == pytest.approx(w.grad[j].tolist(), rel=1e-10,
                                                               abs=1e-12)
            assert close(neuron.b.grad, b.grad[j].item(), rel=1e-10)


def test_mse_loss_and_sign_accuracy(torch):
    predictions = [Value(x) for x in (0.5, -1.0, 2.0, 0.0)]
    targets = [1.0, -1.0, 1.0, 1.0]
    loss = nn.mse_loss(predictions, targets)
    loss.backward()
    p = torch.tensor([0.5, -1.0, 2.0, 0.0], requires_grad=True)
    loss_t = torch.nn.functional.mse_loss(p, torch.tensor(targets))
    loss_t.backward()
    assert close(loss.data, loss_t.item())
    assert [v.grad for v in predictions] == pytest.approx(p.grad.tolist())
    # Signs agree for 0.5/1, -1/-1, 2/1; a score of 0 counts as negative.
    assert nn.sign_accuracy(predictions, targets) == 0.75


def test_sgd_step_and_zero_grad():
    model = nn.MLP(2, [3, 1], seed=4)
    out = model([1.0, -2.0])
    out.backward()
    before = [(p.data, p.grad) for p in model.parameters()]
    assert any(g != 0.0 for _, g in before)
    nn.sgd_step(model.parameters(), lr=0.1)
    after = [p.data for p in model.parameters()]
    assert after == pytest.approx([d - 0.1 * g for d, g in before], rel=1e-15)
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_seeding_reproduces_weights():
    a = [p.data for p in nn.MLP(2, [4, 1], seed=9).parameters()]
    b = [p.data for p in nn.MLP(2, [4, 1], seed=9).parameters()]
    c = [p.data for p in nn.MLP(2, [4, 1], seed=10).parameters()]
    assert a == b and a != c
    kindling.manual_seed(123)
    d = [p.data for p in nn.MLP(2, [4, 1]).parameters()]
    e = [p.data for p in nn.MLP(2, [4, 1]).parameters()]
    kindling.manual_seed(123)
    f = [p.data for p in nn.MLP(2, [4, 1]).parameters()]
    assert d == f and d != e


def test_make_moons_geometry():
    x, y = nn.make_moons(101, noise=0.0, seed=3)
    assert x.shape == (101, 2) and x.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert (y == 0).sum() == 51 and (y == 1).sum() == 50
    # Without noise each point lies on its unit half circle: centred (0, 0), upper half for
    # label 0; centred (1, 0.5), lower half for label 1.
    upper, lower = x[y == 0], x[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert (upper[:, 1] >= -1e-12).all()
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert (lower[:, 1] <= 0.5 + 1e-12).all()
    # Shuffled: the labels are not in two blocks.
    assert (np.diff(y) != 0).sum() > 10
    x2, y2 = nn.make_moons(101, noise=0.0, seed=3)
    assert (x == x2).all() and (y == y2).all()
    noisy, _ = nn.make_moons(101, noise=0.1, seed=4)
    assert not np.allclose(noisy, nn.make_moons(101, noise=0.1, seed=5)[0])


def test_moons_demo_learns():
    # micrograd's demo, shortened: the SVM loss falls and the accuracy climbs well above chance.
    x, y = nn.make_moons(100, noise=0.1, seed=1)
    labels = (2 * y - 1).astype(np.float64)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    losses, accuracy = [], 0.0
    for step in range(60):
        scores = [model(row) for row in x]
        loss = nn.svm_loss(scores, labels, model.parameters(), alpha=1e-4)
        accuracy = nn.sign_accuracy(scores, labels)
        model.zero_grad()
        loss.backward()
        nn.sgd_step(model.parameters(), lr=1.0 - 0.9 * step / 100)
        losses.append(loss.data)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy >= 0.9
