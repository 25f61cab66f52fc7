# Derivatives of derivatives on tensors from Python (issue 15): kindling.autograd.grad and
# backward(create_graph=True) against torch.autograd.grad on random small programs (first and
# second derivatives, float64), the errors as kindling.Error, and the tensor hooks (register_hook,
# retain_grad, register_post_accumulate_grad_hook) against torch's behaviour.
import numpy as np
import pytest

import kindling

RNG = np.random.default_rng(15)


def pair(torch, array):
    """The same float64 leaf in both libraries."""
    return (kindling.from_numpy(np.array(array, dtype=np.float64)).requires_grad_(),
            torch.tensor(array, dtype=torch.float64, requires_grad=True))


def assert_close(ours, theirs, rtol=1e-9, atol=1e-10):
    expected = theirs.detach().numpy() if theirs is not None else 0.0
    got = ours.numpy() if ours is not None else 0.0
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


# ---- random programs ------------------------------------------------------------------------------
# Each step applies one op to values of the pool (all of shape (3, 4)) in both libraries; domains
# are kept where the ops are smooth (log of x^2 + 1, division by y^2 + 1, no ties or kinks hit).

def _torch_f(torch):
    return torch.nn.functional


UNARY_STEPS = {
    "exp": (lambda x: (x * 0.5).exp(), lambda t, x: (x * 0.5).exp()),
    "log": (lambda x: (x * x + 1.0).log(), lambda t, x: (x * x + 1.0).log()),
    "sqrt": (lambda x: (x * x + 1.0).sqrt(), lambda t, x: (x * x + 1.0).sqrt()),
    "tanh": (lambda x: x.tanh(), lambda t, x: x.tanh()),
    "sigmoid": (lambda x: x.sigmoid(), lambda t, x: x.sigmoid()),
    "sin": (lambda x: x.sin(), lambda t, x: x.sin()),
    "cos": (lambda x: x.cos(), lambda t, x: x.cos()),
    "relu": (lambda x: x.relu() * x, lambda t, x: x.relu() * x),
    "abs": (lambda x: x.abs() * x, lambda t, x: x.abs() * x),
    "gelu": (lambda x: x.gelu(), lambda t, x: _torch_f(t).gelu(x)),
    "silu": (lambda x: x.silu(), lambda t, x: _torch_f(t).silu(x)),
    "erf": (lambda x: x.erf(), lambda t, x: x.erf()),
    "log1p": (lambda x: (x * x).log1p(), lambda t, x: (x * x).log1p()),
    "expm1": (lambda x: (x * 0.5).expm1(), lambda t, x: (x * 0.5).expm1()),
    "reciprocal": (lambda x: (x * x + 1.0).reciprocal(), lambda t, x: (x * x + 1.0).reciprocal()),
    "rsqrt": (lambda x: (x * x + 1.0).rsqrt(), lambda t, x: (x * x + 1.0).rsqrt()),
    "softplus": (lambda x: x.softplus(beta=2.0), lambda t, x: _torch_f(t).softplus(x, beta=2.0)),
    "elu": (lambda x: x.elu(alpha=0.7), lambda t, x: _torch_f(t).elu(x, alpha=0.7)),
    "leaky_relu": (lambda x: x.leaky_relu(0.2) * x,
                   lambda t, x: _torch_f(t).leaky_relu(x, 0.2) * x),
    "softmax": (lambda x: kindling.softmax(x, 1), lambda t, x: t.softmax(x, 1)),
    "log_softmax": (lambda x: kindling.log_softmax(x, 0), lambda t, x: t.log_softmax(x, 0)),
    "sum": (lambda x: x * x.sum(1, True), lambda t, x: x * x.sum(1, keepdim=True)),
    "mean": (lambda x: x - x.mean(0, True), lambda t, x: x - x.mean(0, keepdim=True)),
    "matmul": (lambda x: (x @ x.T) @ x * 0.2, lambda t, x: (x @ x.T) @ x * 0.2),
    "view": (lambda x: x.T.reshape([3, 4]), lambda t, x: x.T.reshape(3, 4)),
    "slice": (lambda x: kindling.cat([x[:, 2:], x[:, :2] * 2.0], 1),
              lambda t, x: t.cat([x[:, 2:], x[:, :2] * 2.0], 1)),
}
BINARY_STEPS = {
    "add": (lambda a, b: a + b, lambda t, a, b: a + b),
    "sub": (lambda a, b: a - b, lambda t, a, b: a - b),
    "mul": (lambda a, b: a * b, lambda t, a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda t, a, b: a / (b * b + 1.0)),
    "pow": (lambda a, b: (a * a + 1.0) ** (b * 0.5), lambda t, a, b: (a * a + 1.0) ** (b * 0.5)),
    "where": (lambda a, b: kindling.where(a > b, a * b, b), lambda t, a, b: t.where(a > b, a * b, b)),
}


def run_program(torch, seed, steps=6):
    rng = np.random.default_rng(seed)
    leaves = [pair(torch, rng.normal(size=(3, 4))) for _ in range(3)]
    pool_k = [k for k, _ in leaves]
    pool_t = [t for _, t in leaves]
    names = []
    for _ in range(steps):
        if rng.random() < 0.55:
            name = list(UNARY_STEPS)[rng.integers(len(UNARY_STEPS))]
            i = rng.integers(len(pool_k))
            fk, ft = UNARY_STEPS[name]
            pool_k.append(fk(pool_k[i]))
            pool_t.append(ft(torch, pool_t[i]))
        else:
            name = list(BINARY_STEPS)[rng.integers(len(BINARY_STEPS))]
            i, j = rng.integers(len(pool_k), size=2)
            fk, ft = BINARY_STEPS[name]
            pool_k.append(fk(pool_k[i], pool_k[j]))
            pool_t.append(ft(torch, pool_t[i], pool_t[j]))
        names.append(name)
    target = rng.integers(0, 4, size=3)
    w = rng.normal(size=(3, 4))
    out_k = (pool_k[-1] * kindling.from_numpy(w)).sum() + kindling.cross_entropy(
        pool_k[-1] + pool_k[-2], kindling.from_numpy(target))
    out_t = (pool_t[-1] * torch.tensor(w)).sum() + torch.nn.functional.cross_entropy(
        pool_t[-1] + pool_t[-2], torch.tensor(target))
    return leaves, out_k, out_t, names, rng


@pytest.mark.parametrize("seed", range(40))
def test_second_derivatives_of_random_programs_match_torch(torch, seed):
    leaves, out_k, out_t, names, rng = run_program(torch, seed)
    ks = [k for k, _ in leaves]
    ts = [t for _, t in leaves]
    g_k = kindling.autograd.grad(out_k, ks, create_graph=True, allow_unused=True)
    g_t = torch.autograd.grad(out_t, ts, create_graph=True, allow_unused=True)
    for a, b in zip(g_k, g_t):
        assert_close(a, b)
    # s = sum_i <g_i, v_i>: its gradient is the Hessian times v.
    vs = [rng.normal(size=(3, 4)) for _ in ks]
    s_k = sum((g * kindling.from_numpy(v)).sum() for g, v in zip(g_k, vs) if g is not None)
    s_t = sum((g * torch.tensor(v)).sum() for g, v in zip(g_t, vs) if g is not None)
    if not s_t.requires_grad:
        return
    h_k = kindling.autograd.grad(s_k, ks, allow_unused=True)
    h_t = torch.autograd.grad(s_t, ts, allow_unused=True)
    for a, b in zip(h_k, h_t):
        assert_close(a, b, rtol=1e-8, atol=1e-9), names
    for k in ks:
        assert k.grad is None  # grad() touches no .grad


@pytest.mark.parametrize("name", list(UNARY_STEPS) + list(BINARY_STEPS))
def test_third_derivative_of_each_step(torch, name):
    """d^3/dx^3 along a direction, through two create_graph passes."""
    (ka, ta), (kb, tb) = pair(torch, RNG.normal(size=(3, 4))), pair(torch, RNG.normal(size=(3, 4)))
    if name in UNARY_STEPS:
        fk, ft = UNARY_STEPS[name]
        out_k, out_t = (fk(ka) * kb).sum(), (ft(torch, ta) * tb).sum()
    else:
        fk, ft = BINARY_STEPS[name]
        out_k, out_t = fk(ka, kb).sum(), ft(torch, ta, tb).sum()
    (gk,) = kindling.autograd.grad(out_k, [ka], create_graph=True)
    (gt,) = torch.autograd.grad(out_t, [ta], create_graph=True)
    assert_close(gk, gt)
    assert gk.requires_grad == gt.requires_grad  # a constant gradient (add's) is no graph node
    if not gt.requires_grad:
        return
    hk = kindling.autograd.grad((gk * gk).sum(), [ka, kb], create_graph=True, allow_unused=True)
    ht = torch.autograd.grad((gt * gt).sum(), [ta, tb], create_graph=True, allow_unused=True)
    for a, b in zip(hk, ht):
        assert_close(a, b, rtol=1e-8, atol=1e-9)
    if hk[0] is None or not ht[0].requires_grad:
        return
    (tk,) = kindling.autograd.grad(hk[0].sum(), [ka], allow_unused=True)
    (tt,) = torch.autograd.grad(ht[0].sum(), [ta], allow_unused=True)
    assert_close(tk, tt, rtol=1e-7, atol=1e-8)


def test_backward_create_graph_matches_torch(torch):
    ka, ta = pair(torch, RNG.normal(size=(4,)))
    kb, tb = pair(torch, RNG.normal(size=(4,)))
    fk = (ka.tanh() * kb * kb).sum() + (ka * ka * ka).sum()
    ft = (ta.tanh() * tb * tb).sum() + (ta * ta * ta).sum()
    fk.backward(create_graph=True)
    ft.backward(create_graph=True)
    assert ka.grad.requires_grad and not ka.grad.is_leaf
    assert_close(ka.grad, ta.grad)
    # A gradient penalty: d/dx |grad|^2, through the recorded .grad.
    (pk,) = kindling.autograd.grad((ka.grad * ka.grad).sum(), [kb], retain_graph=True)
    (pt,) = torch.autograd.grad((ta.grad * ta.grad).sum(), [tb], retain_graph=True)
    assert_close(pk, pt)
    # A second create_graph backward accumulates out of place, as torch's.
    (ka.grad * kb).sum().backward(create_graph=True)
    (ta.grad * tb).sum().backward(create_graph=True)
    assert_close(ka.grad, ta.grad)
    assert_close(kb.grad, tb.grad)
    ka.zero_grad()  # the recorded grads refer back to the leaves (a reference cycle)
    kb.grad = None  # torch's spelling of the same
    assert ka.grad is None and kb.grad is None
    with pytest.raises(kindling.Error, match="only None can be assigned"):
        ka.grad = kindling.zeros([4], dtype="float64")


def test_grad_outputs_and_several_outputs_match_torch(torch):
    ka, ta = pair(torch, RNG.normal(size=(2, 3)))
    v = RNG.normal(size=(2, 3))
    yk, yt = ka.exp() * ka, ta.exp() * ta
    zk, zt = (ka * ka).sum(), (ta * ta).sum()
    gk = kindling.autograd.grad([yk, zk], ka, grad_outputs=[kindling.from_numpy(v), None],
                                retain_graph=True)
    gt = torch.autograd.grad([yt, zt], ta, grad_outputs=[torch.tensor(v), None],
                             retain_graph=True)
    assert isinstance(gk, tuple) and len(gk) == 1
    assert_close(gk[0], gt[0])
    # A grad_output that requires grad, under create_graph: the double-vjp trick gives J^T-free
    # Jacobian-vector products (d/du <u, J v> = J v).
    ku, tu = pair(torch, np.zeros((2, 3)))
    (vjp_k,) = kindling.autograd.grad(yk, ka, grad_outputs=ku, create_graph=True)
    (vjp_t,) = torch.autograd.grad(yt, ta, grad_outputs=tu, create_graph=True)
    d = RNG.normal(size=(2, 3))
    (jvp_k,) = kindling.autograd.grad(vjp_k, ku, grad_outputs=kindling.from_numpy(d))
    (jvp_t,) = torch.autograd.grad(vjp_t, tu, grad_outputs=torch.tensor(d))
    assert_close(jvp_k, jvp_t)


def test_grad_errors_are_kindling_errors():
    x = kindling.from_numpy(np.array([1.0, 2.0])).requires_grad_()
    unused = kindling.from_numpy(np.array([3.0])).requires_grad_()
    y = x * x
    with pytest.raises(kindling.Error, match="grad: output 0 has shape"):
        kindling.autograd.grad(y, x)
    with pytest.raises(kindling.Error, match="grad: input 1 .* allow_unused"):
        kindling.autograd.grad(y.sum(), [x, unused])
    assert kindling.autograd.grad(y.sum(), [x, unused], allow_unused=True)[1] is None
    with pytest.raises(kindling.Error, match="grad: input 0 .*does not require grad"):
        kindling.autograd.grad(y.sum(), kindling.tensor([1.0]))
    z = (x.exp() * x).sum()
    kindling.autograd.grad(z, x)
    with pytest.raises(kindling.Error, match="second time"):
        kindling.autograd.grad(z, x)
    with pytest.raises(kindling.Error, match="second time"):
        z.backward()
    with pytest.raises(kindling.Error, match="output 0 is a Value but input 0 is a Tensor"):
        kindling.autograd.grad(kindling.Value(1.0), x)
    with pytest.raises(kindling.Error, match="output 0 is a Tensor but input 0 is a Value"):
        kindling.autograd.grad(y.sum(), kindling.Value(1.0))


# ---- hooks --------------------------------------------------------------------------------------

def test_hooks_match_torch(torch):
    ka, ta = pair(torch, RNG.normal(size=(3,)))
    hk, ht = ka * ka, ta * ta
    seen_k, seen_t = [], []
    hk.register_hook(lambda g: seen_k.append(g.numpy().copy()))
    ht.register_hook(lambda g: seen_t.append(g.numpy().copy()))
    handle_k = hk.register_hook(lambda g: g * 3.0)
    handle_t = ht.register_hook(lambda g: g * 3.0)
    ka.register_hook(lambda g: g + 1.0)
    ta.register_hook(lambda g: g + 1.0)
    hk.retain_grad()
    ht.retain_grad()
    assert hk.retains_grad and ht.retains_grad and not ka.retains_grad
    w = RNG.normal(size=(3,))
    (hk * kindling.from_numpy(w)).sum().backward(retain_graph=True)
    (ht * torch.tensor(w)).sum().backward(retain_graph=True)
    np.testing.assert_allclose(seen_k[0], seen_t[0])
    assert_close(ka.grad, ta.grad)
    assert_close(hk.grad, ht.grad)
    handle_k.remove()
    handle_t.remove()
    (hk * kindling.from_numpy(w)).sum().backward()
    (ht * torch.tensor(w)).sum().backward()
    assert_close(ka.grad, ta.grad)


def test_post_accumulate_grad_hook_and_hook_errors():
    w = kindling.from_numpy(np.array([1.0, -2.0])).requires_grad_()
    calls = []
    w.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.numpy().copy()))
    (w * w).sum().backward()
    (w * 2.0).sum().backward()
    np.testing.assert_allclose(calls[0], [2.0, -4.0])
    np.testing.assert_allclose(calls[1], [4.0, -2.0])
    with pytest.raises(kindling.Error, match="only leaves"):
        (w * 2.0).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(kindling.Error, match="does not require grad"):
        kindling.tensor([1.0]).register_hook(lambda g: g)
    h = w * 3.0
    h.register_hook(lambda g: "not a tensor")
    with pytest.raises(kindling.Error, match="must return a Tensor or None"):
        h.sum().backward()
    h2 = w * 3.0
    h2.register_hook(lambda g: kindling.zeros([5], dtype="float64"))
    with pytest.raises(kindling.Error, match="register_hook"):
        h2.sum().backward()
    h3 = w * 3.0

    def broken(g):
        raise RuntimeError("from the hook")

    h3.register_hook(broken)
    with pytest.raises(RuntimeError, match="from the hook"):
        h3.sum().backward()
    # The failed passes left w's grad as it was.
    np.testing.assert_allclose(w.grad.numpy(), [4.0, -2.0])
