# kindling.Tensor from Python: NumPy round trips (copies in, views out) and the lifetimes they
# imply, values and gradients of the operators and ops against PyTorch on the same float64
# inputs, NumPy-style indexing, error mapping, and no leaks over 10,000 creations.
import gc
import sys
import os

import numpy as np
import pytest

import kindling

RNG = np.random.default_rng(7)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---- NumPy in and out ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, expected", [
    (np.float32, "float32"), (np.float64, "float64"), (np.int64, "int64"),
    (np.int32, "int64"), (np.bool_, "bool"), (np.float16, "float32"),
])
def test_from_numpy_keeps_or_widens_the_dtype(dtype, expected):
    x = (RNG.normal(size=(3, 4)) * 10).astype(dtype)
    t = kindling.from_numpy(x)
    assert t.dtype == expected and t.shape == (3, 4)
    back = t.numpy()
    assert back.dtype == np.dtype(expected)
    assert (back == x.astype(expected)).all()


def test_round_trip_of_odd_layouts_and_shapes():
    x = RNG.normal(size=(4, 6))
    for array in (x[:, ::2], x.T, np.asfortranarray(x), x[1:3, 2:5][::-1], np.float64(2.5),
                  np.zeros((0, 3)), np.ones((2, 1, 3))):
        array = np.asarray(array)
        t = kindling.from_numpy(array)
        assert t.shape == array.shape
        assert np.array_equal(t.numpy(), array)
        assert np.array_equal(np.asarray(t), array)
    assert kindling.tensor(np.float64(2.5)).item() == 2.5


def test_python_data_follows_torch_defaults():
    assert kindling.tensor([1.5, 2.0]).dtype == "float32"
    assert kindling.tensor([1, 2]).dtype == "int64"
    assert kindling.tensor([1, 2], dtype="float64").dtype == "float64"
    assert kindling.tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]]


def test_from_numpy_shares_contiguous_arrays_and_keeps_them_alive():
    x = np.arange(6, dtype=np.float64)
    t = kindling.from_numpy(x)
    assert t.numpy().__array_interface__["data"][0] == x.__array_interface__["data"][0]
    x[0] = 100.0                      # one memory: the write shows in the tensor
    assert t.numpy()[0] == 100.0
    base_refs = sys.getrefcount(x)
    del x
    gc.collect()                      # the tensor keeps the array's memory alive
    assert t.numpy().tolist() == [100.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    y = np.ones(4, dtype=np.float32)
    before = sys.getrefcount(y)
    u = kindling.from_numpy(y)
    assert sys.getrefcount(y) == before + 1   # the tensor's reference
    del u
    gc.collect()
    assert sys.getrefcount(y) == before       # dropped with the last tensor
    assert base_refs > 1


def test_from_numpy_copies_what_it_cannot_share_and_tensor_always_copies():
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    for array in (x.T, x[:, ::2], x.astype(np.float16), x.astype(np.int32)):
        t = kindling.from_numpy(array)
        before = t.numpy().copy()
        array[...] = -1
        assert np.array_equal(t.numpy(), before)   # a copy: untouched
    c = np.arange(3, dtype=np.float32)
    t = kindling.tensor(c)
    c[0] = 9.0
    assert t.numpy()[0] == 0.0


def test_numpy_views_share_the_tensors_storage():
    t = kindling.zeros([2, 3], dtype="float64")
    a = t.numpy()
    a[1, 2] = 7.0
    assert t[1, 2].item() == 7.0
    assert np.shares_memory(t.numpy(), t.T.numpy())
    transposed = t.T.numpy()
    assert transposed.shape == (3, 2) and transposed[2, 1] == 7.0
    assert transposed.strides == (8, 24)
    expanded = kindling.ones([3, 1]).expand([3, 4]).numpy()
    assert not expanded.flags.writeable and expanded.strides[1] == 0


def test_a_numpy_view_keeps_the_storage_alive():
    t = kindling.randn([500, 200], dtype="float64", seed=3)
    expected = np.array(t.numpy(), copy=True)
    view = t.numpy()
    del t
    gc.collect()
    # New allocations would reuse the storage if the view had not kept it.
    scratch = [kindling.randn([500, 200], dtype="float64", seed=4) for _ in range(4)]
    assert np.array_equal(view, expected)
    assert isinstance(view.base, kindling.Tensor)
    del scratch


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
def test_no_leaks_over_ten_thousand_creations():
    x = RNG.normal(size=(64, 32))

    def body():
        t = kindling.from_numpy(x).requires_grad_()
        loss = ((t * 2.0).tanh() @ t.T).mean()
        loss.backward()
        return t.grad.numpy().sum() + t.numpy()[0, 0]

    for _ in range(500):
        body()
    gc.collect()
    before = rss_bytes()
    for _ in range(10_000):
        body()
    gc.collect()
    # Each iteration allocates about 100 KB of tensors; a leak of any of them would pass 1 GB.
    assert rss_bytes() - before < 16 * 1024 * 1024


# ---- values and gradients against PyTorch --------------------------------------------------------

def pair(torch, array):
    """The same float64 leaf in both libraries."""
    return (kindling.from_numpy(array).requires_grad_(),
            torch.tensor(array, dtype=torch.float64, requires_grad=True))


def check(torch, ours, theirs, leaves, rel=1e-10):
    """Forward values, then gradients of sum(out * w) for a fixed random w."""
    out, ref = ours, theirs
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rel, atol=1e-12)
    w = RNG.normal(size=ref.shape)
    (out * kindling.from_numpy(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for k, t in leaves:
        expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        np.testing.assert_allclose(k.grad.numpy(), expected, rtol=rel, atol=1e-12)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "pow": lambda a, b: (a * a + 1.0) ** b,
    "maximum": None,
}
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 5))]


@pytest.mark.parametrize("name", [n for n in BINARY if BINARY[n]])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_broadcasting_binary_ops(torch, name, shapes):
    f = BINARY[name]
    (ka, ta), (kb, tb) = pair(torch, RNG.normal(size=shapes[0])), pair(torch, RNG.normal(size=shapes[1]))
    check(torch, f(ka, kb), f(ta, tb), [(ka, ta), (kb, tb)])


def test_scalar_operands_both_ways(torch):
    ka, ta = pair(torch, RNG.normal(size=(2, 3)))
    f = lambda x: (2.0 - x) * 3.0 + 1.0 / (x * x + 1.0) - x / 4.0 + (x * x + 1.0) ** 1.5 + 2.0 ** x
    check(torch, f(ka), f(ta), [(ka, ta)])
    k = kindling.tensor([1.0, 2.0])
    assert (k + 1).dtype == "float32" and (1 + k).dtype == "float32"  # numbers take the dtype
    assert np.array_equal((np.array([1.0, 2.0]) + kindling.tensor([1.0, 2.0], dtype="float64"))
                          .numpy(), [2.0, 4.0])


UNARY = ["exp", "tanh", "sigmoid", "relu", "abs", "gelu", "silu"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops(torch, name):
    ka, ta = pair(torch, RNG.normal(size=(4, 5)))
    functional = name in ("gelu", "silu")  # torch.Tensor has no method of these names
    theirs = getattr(torch.nn.functional, name)(ta) if functional else getattr(ta, name)()
    check(torch, getattr(ka, name)(), theirs, [(ka, ta)], rel=1e-9)
    kp, tp = pair(torch, RNG.uniform(0.5, 2.0, size=(3, 3)))
    check(torch, kp.log() + kp.sqrt(), tp.log() + tp.sqrt(), [(kp, tp)])


# The rows with parameters: the same call through kindling.nn.functional, kindling.<name> and the
# method, with torch.nn.functional's keyword names, against torch in float64 (values and grads).
PARAM_UNARY = [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("leaky_relu", {"negative_slope": 0.0}), ("leaky_relu", {"negative_slope": -0.3}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("elu", {"alpha": 2.0}),
    ("softplus", {}), ("softplus", {"beta": 2.0}), ("softplus", {"beta": 2.0, "threshold": 1.0}),
    ("softplus", {"threshold": 0.5}),
]


@pytest.mark.parametrize("name, kwargs", PARAM_UNARY, ids=str)
def test_unary_ops_with_parameters(torch, name, kwargs):
    import kindling.nn.functional as KF
    theirs_f = getattr(torch.nn.functional, name)
    forms = [getattr(KF, name), getattr(kindling, name),
             lambda t, **kw: getattr(t, name)(**kw)]
    x = RNG.normal(size=(4, 5)) * 2
    for form in forms:
        ka, ta = pair(torch, x)
        check(torch, form(ka, **kwargs), theirs_f(ta, **kwargs), [(ka, ta)], rel=1e-12)
    # positional parameters, in torch's order
    ka, ta = pair(torch, x)
    check(torch, getattr(kindling, name)(ka, *kwargs.values()), theirs_f(ta, *kwargs.values()),
          [(ka, ta)], rel=1e-12)


def test_unary_ops_with_parameters_reject_bad_input():
    with pytest.raises(kindling.Error, match="leaky_relu: needs a floating-point"):
        kindling.leaky_relu(kindling.tensor([1, 2], dtype="int64"))
    with pytest.raises(kindling.Error, match="softplus: not supported for bool"):
        kindling.softplus(kindling.tensor([True]))


@pytest.mark.parametrize("axis, keepdim", [(None, False), (0, False), (1, True), ((0, 2), False),
                                           (-1, True)])
def test_reductions(torch, axis, keepdim):
    ka, ta = pair(torch, RNG.normal(size=(3, 4, 5)))
    dims = () if axis is None else axis
    for ours, theirs in [
        (ka.sum(axis, keepdim), ta.sum(dim=dims, keepdim=keepdim) if dims != () else ta.sum()),
        (ka.mean(axis, keepdim), ta.mean(dim=dims, keepdim=keepdim) if dims != () else ta.mean()),
    ]:
        if axis is None and keepdim is False:
            assert ours.shape == ()
        check(torch, ours, theirs, [(ka, ta)])
        ka.zero_grad()
        ta.grad = None


def test_max_and_logsumexp(torch):
    ka, ta = pair(torch, RNG.normal(size=(4, 6)))
    check(torch, ka.max(1).values, ta.max(dim=1).values, [(ka, ta)])
    kb, tb = pair(torch, RNG.normal(size=(4, 6)))
    check(torch, kindling.logsumexp(kb, 1), torch.logsumexp(tb, dim=1), [(kb, tb)])


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 2)), ((4,), (4, 3)),
                                    ((2, 3), (3,)), ((5,), (5,))], ids=str)
def test_matmul(torch, shapes):
    (ka, ta), (kb, tb) = pair(torch, RNG.normal(size=shapes[0])), pair(torch, RNG.normal(size=shapes[1]))
    check(torch, ka @ kb, ta @ tb, [(ka, ta), (kb, tb)])


def test_softmax_and_cross_entropy(torch):
    ka, ta = pair(torch, RNG.normal(size=(6, 5)))
    check(torch, kindling.softmax(ka, -1), torch.softmax(ta, -1), [(ka, ta)])
    kb, tb = pair(torch, RNG.normal(size=(6, 5)))
    check(torch, kindling.log_softmax(kb, 1), torch.log_softmax(tb, 1), [(kb, tb)])
    target = RNG.integers(0, 5, size=6)
    for reduction in ("mean", "sum", "none"):
        kc, tc = pair(torch, RNG.normal(size=(6, 5)))
        ours = kindling.cross_entropy(kc, kindling.from_numpy(target), reduction=reduction)
        theirs = torch.nn.functional.cross_entropy(tc, torch.tensor(target), reduction=reduction)
        check(torch, ours, theirs, [(kc, tc)])
        # Label smoothing, as torch's keyword (the one cross_entropy, kindling and nn.functional).
        kd, td = pair(torch, RNG.normal(size=(6, 5)))
        ours = kindling.cross_entropy(kd, kindling.from_numpy(target), reduction=reduction,
                                      label_smoothing=0.2)
        theirs = torch.nn.functional.cross_entropy(td, torch.tensor(target), reduction=reduction,
                                                   label_smoothing=0.2)
        check(torch, ours, theirs, [(kd, td)])


def test_views_and_movement(torch):
    ka, ta = pair(torch, RNG.normal(size=(2, 3, 4)))
    f_k = lambda x: x.permute([2, 0, 1]).reshape([4, 6]).T.flatten().unsqueeze(0).expand([3, 24])
    f_t = lambda x: x.permute(2, 0, 1).reshape(4, 6).T.flatten().unsqueeze(0).expand(3, 24)
    check(torch, f_k(ka), f_t(ta), [(ka, ta)])


def test_gradients_accumulate_and_backward_takes_a_gradient(torch):
    ka, ta = pair(torch, RNG.normal(size=(3,)))
    out_k, out_t = ka * ka, ta * ta
    g = RNG.normal(size=(3,))
    out_k.backward(kindling.from_numpy(g), retain_graph=True)
    out_t.backward(torch.tensor(g), retain_graph=True)
    out_k.backward(kindling.from_numpy(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(ka.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    assert ka.is_leaf and not out_k.is_leaf and out_k.op == "mul"


# ---- indexing --------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [
    1, -1, slice(1, 3), slice(None, None, 2), (slice(None), 2), (1, slice(0, 4, 3), -2),
    (Ellipsis, 1), (0, Ellipsis), slice(-3, None), slice(5, 1), slice(-100, 100),
], ids=str)
def test_indexing_matches_numpy(torch, key):
    x = RNG.normal(size=(4, 5, 3))
    ka, ta = pair(torch, x)
    assert np.array_equal(ka[key].numpy(), x[key])
    check(torch, ka[key], ta[key], [(ka, ta)])


def test_indexing_errors_are_python_errors():
    t = kindling.zeros([2, 3])
    with pytest.raises(IndexError, match="out of bounds for axis 1 with size 3"):
        t[0, 3]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0]
    # Negative steps are supported since issue 13 (tests/python/test_tensor_api_indexing.py).
    assert t[::-1].shape == (2, 3)
    with pytest.raises(TypeError, match="tensor indices must be"):
        t["a"]
    assert len(t) == 2 and [row.shape for row in t] == [(3,), (3,)]


# ---- errors and grad mode -------------------------------------------------------------------------

def test_errors_arrive_as_value_errors_with_the_cpp_message():
    a, b = kindling.zeros([2, 3]), kindling.zeros([4, 5])
    with pytest.raises(kindling.Error) as caught:
        a @ b
    message = str(caught.value)
    assert message.startswith("matmul") and "(2,3)" in message and "(4,5)" in message
    with pytest.raises(ValueError, match=r"\(2,3\).*\(4,5\)|\(4,5\).*\(2,3\)"):
        a + b
    with pytest.raises(ValueError, match="a non-scalar root needs an explicit gradient"):
        kindling.ones([2]).requires_grad_().__mul__(2.0).backward()
    with pytest.raises(ValueError, match="item: the tensor has shape \\(2,3\\)"):
        a.item()
    with pytest.raises(ValueError, match="dtype: expected"):
        kindling.zeros([2], dtype="float16")


def test_no_grad_applies_to_tensors():
    x = kindling.ones([3]).requires_grad_()
    with kindling.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    z = x * 2
    assert z.requires_grad and z.op == "mul"


def test_to_dot_draws_a_tensor_graph():
    x = kindling.ones([2, 3]).requires_grad_()
    loss = (x @ x.T).sum()
    source = kindling.to_dot(loss).source
    # x, its transpose (a permute view), the matmul and the sum: four records, three ops, and
    # four input edges (x feeds the permute and the matmul) plus one edge per op into its node.
    assert source.count("shape=record") == 4
    assert [source.count('label="%s"' % op) for op in ("permute", "matmul", "sum")] == [1, 1, 1]
    assert source.count(" -> ") == 4 + 3
    assert "(2,3)" in source and "(3,2)" in source and "(2,2)" in source
