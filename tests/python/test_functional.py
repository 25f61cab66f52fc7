# kindling.autograd.functional and kindling.autograd.forward_ad against torch.autograd.functional
# and torch.autograd.forward_ad: random programs of tensor ops, the same float64 inputs, every
# transform and both jacobian strategies; the structures of the results (tensor or tuple), and the
# errors as kindling.Error.
import numpy as np
import pytest

import kindling
import kindling.autograd.forward_ad as fwd
import kindling.autograd.functional as F

torch = pytest.importorskip("torch")
import torch.autograd.forward_ad as tfwd  # noqa: E402
import torch.autograd.functional as TF  # noqa: E402

# (name, arity, kindling function, torch function): ops a random program draws from. Each takes
# tensors of one shape (n,) and gives one of that shape, smooth on the values drawn.
UNARY = [
    ("tanh", lambda m, a: m.tanh(a)),
    ("sin", lambda m, a: m.sin(a)),
    ("exp", lambda m, a: m.exp(a * 0.3)),
    ("sigmoid", lambda m, a: m.sigmoid(a)),
    ("softmax", lambda m, a: m.softmax(a, 0)),
    ("log_softmax", lambda m, a: m.log_softmax(a, 0)),
    ("square", lambda m, a: a * a),
    ("gelu", lambda m, a: m.nn.functional.gelu(a)),
    ("silu", lambda m, a: m.nn.functional.silu(a)),
    ("log1p_abs", lambda m, a: m.log1p(a * a)),
    ("cumsum", lambda m, a: m.cumsum(a, 0)),
    ("flip", lambda m, a: m.flip(a, [0])),
]
BINARY = [
    ("add", lambda m, a, b: a + b),
    ("mul", lambda m, a, b: a * b),
    ("div", lambda m, a, b: a / (b * b + 1.0)),
    ("maximum", lambda m, a, b: m.maximum(a, b)),
    ("outer_matmul", lambda m, a, b: m.matmul(m.outer(a, b), a)),
]


def random_program(rng, n_inputs, length):
    """A list of steps; each applies an op to earlier values (inputs first)."""
    steps = []
    n_values = n_inputs
    for _ in range(length):
        if rng.random() < 0.5:
            steps.append(("u", int(rng.integers(len(UNARY))), int(rng.integers(n_values))))
        else:
            steps.append(("b", int(rng.integers(len(BINARY))), int(rng.integers(n_values)),
                          int(rng.integers(n_values))))
        n_values += 1
    return steps


def run(steps, m, inputs, outputs=1):
    values = list(inputs)
    for step in steps:
        if step[0] == "u":
            values.append(UNARY[step[1]][1](m, values[step[2]]))
        else:
            values.append(BINARY[step[1]][1](m, values[step[2]], values[step[3]]))
    outs = values[-outputs:]
    return outs[0] if outputs == 1 else tuple(outs)


def as_kindling(x):
    return kindling.from_numpy(np.asarray(x, dtype=np.float64))


def close(ours, theirs, rtol=1e-9, atol=1e-11):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            close(o, t, rtol, atol)
        return
    assert isinstance(ours, kindling.Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)


def case(seed, n_inputs=2, length=6, outputs=1):
    rng = np.random.default_rng(seed)
    steps = random_program(rng, n_inputs, length)
    xs = [rng.normal(size=4) for _ in range(n_inputs)]
    ours = tuple(as_kindling(x) for x in xs)
    theirs = tuple(torch.tensor(x) for x in xs)

    def f(*a):
        return run(steps, kindling, a, outputs)

    def g(*a):
        return run(steps, torch, a, outputs)

    return rng, f, g, ours, theirs


@pytest.mark.parametrize("seed", range(12))
def test_jacobian_both_strategies_match_torch(seed):
    _, f, g, ours, theirs = case(seed, outputs=2)
    want = TF.jacobian(g, theirs)
    close(F.jacobian(f, ours), want)
    close(F.jacobian(f, ours, strategy="forward-mode"), want)


@pytest.mark.parametrize("seed", range(12))
def test_vjp_and_jvp_match_torch(seed):
    rng, f, g, ours, theirs = case(100 + seed, outputs=2)
    v_out = [rng.normal(size=4) for _ in range(2)]
    v_in = [rng.normal(size=4) for _ in range(2)]
    out_t, vjp_t = TF.vjp(g, theirs, tuple(torch.tensor(v) for v in v_out))
    out_k, vjp_k = F.vjp(f, ours, tuple(as_kindling(v) for v in v_out))
    close(out_k, out_t)
    close(vjp_k, vjp_t)
    _, jvp_t = TF.jvp(g, theirs, tuple(torch.tensor(v) for v in v_in))
    _, jvp_k = F.jvp(f, ours, tuple(as_kindling(v) for v in v_in))
    close(jvp_k, jvp_t)


@pytest.mark.parametrize("seed", range(12))
def test_hessian_hvp_vhp_match_torch(seed):
    rng, f, g, ours, theirs = case(200 + seed)

    def fs(*a):
        return kindling.sum(f(*a))

    def gs(*a):
        return torch.sum(g(*a))

    want = TF.hessian(gs, theirs)
    close(F.hessian(fs, ours), want, rtol=1e-8, atol=1e-10)
    close(F.hessian(fs, ours, outer_jacobian_strategy="forward-mode"), want, rtol=1e-8,
          atol=1e-10)
    v = [rng.normal(size=4) for _ in range(2)]
    for ours_fn, theirs_fn in ((F.hvp, TF.hvp), (F.vhp, TF.vhp)):
        out_t, prod_t = theirs_fn(gs, theirs, tuple(torch.tensor(x) for x in v))
        out_k, prod_k = ours_fn(fs, ours, tuple(as_kindling(x) for x in v))
        close(out_k, out_t)
        close(prod_k, prod_t, rtol=1e-8, atol=1e-10)


def test_hessian_against_central_differences():
    _, f, _, ours, _ = case(7)

    def fs(a, b):
        return kindling.sum(f(a, b))

    h = F.hessian(fs, ours)
    eps = 1e-5
    for j in range(2):
        for e in range(4):
            shifted = []
            for sign in (1.0, -1.0):
                moved = [x.numpy().copy() for x in ours]
                moved[j][e] += sign * eps
                shifted.append(F.vjp(fs, tuple(as_kindling(x) for x in moved))[1])
            for i in range(2):
                numeric = (shifted[0][i].numpy() - shifted[1][i].numpy()) / (2 * eps)
                np.testing.assert_allclose(h[i][j].numpy()[:, e], numeric, rtol=1e-5, atol=1e-7)


def test_structures_follow_torch():
    x = as_kindling([0.5, -1.0, 2.0])
    assert isinstance(F.jacobian(lambda a: a * a, x), kindling.Tensor)
    j = F.jacobian(lambda a, b: a * b, (x, x))
    assert isinstance(j, tuple) and len(j) == 2 and tuple(j[0].shape) == (3, 3)
    j = F.jacobian(lambda a: (a, a * 2.0), x)
    assert isinstance(j, tuple) and len(j) == 2
    j = F.jacobian(lambda a, b: (a, b), (x, x))
    assert isinstance(j[0], tuple) and len(j[0]) == 2
    h = F.hessian(lambda a: kindling.sum(a * a * a), x)
    np.testing.assert_allclose(h.numpy(), np.diag(6 * x.numpy()))
    out, v = F.vjp(lambda a: kindling.sum(a), x)
    assert isinstance(out, kindling.Tensor) and isinstance(v, kindling.Tensor)


def test_forward_ad_matches_torch_and_drops_tangents_at_exit():
    rng, f, g, ours, theirs = case(300, outputs=1)
    t = [rng.normal(size=4) for _ in range(2)]
    with fwd.dual_level():
        duals = [fwd.make_dual(x, as_kindling(v)) for x, v in zip(ours, t)]
        y = f(*duals)
        primal, tangent = fwd.unpack_dual(y)
        assert tangent is not None
        assert fwd.unpack_dual(ours[0]).tangent is None
    with tfwd.dual_level():
        ty = g(*[tfwd.make_dual(x, torch.tensor(v)) for x, v in zip(theirs, t)])
        close(tangent, tfwd.unpack_dual(ty).tangent)
    close(primal, g(*theirs))
    assert fwd.unpack_dual(y).tangent is None


def test_errors_are_kindling_errors():
    x = as_kindling([1.0, 2.0])
    with pytest.raises(kindling.Error, match="vjp: v can be omitted only when"):
        F.vjp(lambda a: a * 2.0, x)
    with pytest.raises(kindling.Error, match="must return tensors|must be a Tensor"):
        F.jacobian(lambda a: 3.0, x)
    with pytest.raises(kindling.Error, match="inputs must be a Tensor"):
        F.jacobian(lambda a: a, [1.0, 2.0])
    with pytest.raises(kindling.Error, match="hessian: the function must return one tensor"):
        F.hessian(lambda a: a * a, x)
    with pytest.raises(kindling.Error, match="strategy must be"):
        F.jacobian(lambda a: a, x, strategy="sideways")
    with pytest.raises(kindling.Error, match="make_dual: no dual_level"):
        fwd.make_dual(x, x)
    with fwd.dual_level():
        with pytest.raises(kindling.Error, match="already active"):
            with fwd.dual_level():
                pass
        with pytest.raises(kindling.Error, match="the tangent has shape"):
            fwd.make_dual(x, as_kindling([1.0, 2.0, 3.0]))
