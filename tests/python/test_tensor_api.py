# PyTorch's Tensor methods and functions that issue 13 added, against torch 1.13 in one process:
# values, and gradients where the op is differentiable (float64, so both sides agree to rounding),
# with edge values where the op has them, and the errors for bad arguments.
import math

import numpy as np
import pytest

import kindling

RTOL = 1e-12


def pair(torch, array, requires_grad=True):
    """The same float64 values as a kindling leaf and a torch leaf."""
    array = np.ascontiguousarray(np.asarray(array, dtype=np.float64))
    k = kindling.from_numpy(array.copy())
    k.requires_grad = requires_grad
    t = torch.tensor(array, requires_grad=requires_grad)
    return k, t


def assert_same(k, t, rtol=RTOL, atol=1e-12):
    got = k.numpy() if isinstance(k, kindling.Tensor) else np.asarray(k)
    want = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def check_grad(torch, fn_k, fn_t, *arrays, rtol=RTOL):
    """fn_k on kindling leaves and fn_t on torch leaves: the values, then the gradients of the
    sum of the result times fixed weights (so every output element has its own weight)."""
    ks, ts = zip(*(pair(torch, a) for a in arrays))
    yk, yt = fn_k(*ks), fn_t(*ts)
    assert_same(yk, yt, rtol)
    w = np.random.default_rng(3).standard_normal(yt.shape)
    (yk * kindling.from_numpy(w.copy())).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    for k, t in zip(ks, ts):
        assert_same(k.grad, t.grad, rtol)


RNG = np.random.default_rng(13)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
C = RNG.standard_normal((2, 3, 5))


# ---- arithmetic and comparisons as methods ----

@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum"])
def test_binary_methods_match_torch(torch, name):
    check_grad(torch, lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b), A, B)
    # A number operand keeps the tensor's dtype (a wrapped number), as torch's.
    k = kindling.tensor([1.0, 2.0])
    if name not in ("maximum", "minimum"):
        assert getattr(k, name)(2).dtype == "float32"
        assert getattr(k, name)(2).numpy().tolist() == getattr(torch.tensor([1.0, 2.0],
                                                                            dtype=torch.float32),
                                                               name)(2).tolist()


def test_pow_method_matches_torch(torch):
    pos = np.abs(A) + 0.5
    check_grad(torch, lambda a, b: a.pow(b), lambda a, b: a.pow(b), pos, B)
    check_grad(torch, lambda a: a.pow(3), lambda a: a.pow(3), A)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparison_methods_and_functions_match_torch(torch, name):
    a = np.array([[1.0, 2.0, math.nan], [0.0, -0.0, math.inf]])
    b = np.array([[1.0, 3.0, math.nan], [-0.0, 1.0, math.inf]])
    ka, ta = pair(torch, a, False)
    kb, tb = pair(torch, b, False)
    want = getattr(ta, name)(tb).numpy()
    got = getattr(ka, name)(kb)
    assert got.dtype == "bool"
    assert (got.numpy() == want).all()
    assert (getattr(kindling, name)(ka, kb).numpy() == want).all()
    assert (getattr(ka, name)(1.0).numpy() == getattr(ta, name)(1.0).numpy()).all()
    with pytest.raises(kindling.Error, match=name):
        getattr(ka, name)("x")


def test_where_and_clamp_methods(torch):
    cond = A > 0
    check_grad(torch, lambda a, b: a.where(kindling.tensor(cond), b),
               lambda a, b: a.where(torch.tensor(cond), b), A, B)
    check_grad(torch, lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), A)
    check_grad(torch, lambda a: a.clamp(min=0.1), lambda a: a.clamp(min=0.1), A)
    check_grad(torch, lambda a: a.clamp(max=0.1), lambda a: a.clamp(max=0.1), A)
    with pytest.raises(kindling.Error, match="clamp"):
        kindling.tensor([1.0]).clamp()


# ---- softmax and reductions ----

def test_softmax_family_methods(torch):
    check_grad(torch, lambda a: a.softmax(1), lambda a: a.softmax(1), C)
    check_grad(torch, lambda a: a.log_softmax(0), lambda a: a.log_softmax(0), C)
    check_grad(torch, lambda a: a.logsumexp(2), lambda a: a.logsumexp(2), C)
    check_grad(torch, lambda a: a.logsumexp((0, 2), keepdim=True),
               lambda a: a.logsumexp((0, 2), keepdim=True), C)


def test_argmax_argmin(torch):
    x = np.array([[1.0, 5.0, 5.0, -2.0], [math.nan, 0.0, 3.0, math.nan], [0.0, -1.0, -1.0, 4.0]])
    k, t = pair(torch, x, False)
    for name in ("argmax", "argmin"):
        assert getattr(k, name)().item() == getattr(t, name)().item()
        assert (getattr(k, name)(1).numpy() == getattr(t, name)(1).numpy()).all()
        assert getattr(k, name)(0, keepdim=True).shape == tuple(getattr(t, name)(0, keepdim=True).shape)
        assert (getattr(kindling, name)(k, 1).numpy() == getattr(torch, name)(t, 1).numpy()).all()


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_match_torch_with_ties_and_nan(torch, name):
    x = np.array([[1.0, 3.0, 3.0], [2.0, math.nan, 0.0], [-1.0, -1.0, -1.0]])
    for axis in (None, 1, (0, 1)):
        dims = (0, 1) if axis is None else axis
        check_grad(torch, lambda a: getattr(a, name)(axis),
                   lambda a: getattr(a, name)(dims), x)
        check_grad(torch, lambda a: getattr(kindling, name)(a, axis, keepdim=True),
                   lambda a: getattr(torch, name)(a, dims, keepdim=True), x)


def test_var_std_match_torch(torch):
    for name in ("var", "std"):
        check_grad(torch, lambda a: getattr(a, name)(), lambda a: getattr(a, name)(), A)
        check_grad(torch, lambda a: getattr(a, name)(1), lambda a: getattr(a, name)(1), A)
        check_grad(torch, lambda a: getattr(a, name)(1, correction=0, keepdim=True),
                   lambda a: getattr(a, name)(1, unbiased=False, keepdim=True), A)
        check_grad(torch, lambda a: getattr(kindling, name)(a, 0, unbiased=False),
                   lambda a: getattr(torch, name)(a, 0, unbiased=False), A)


def test_prod_matches_torch_with_zeros(torch):
    check_grad(torch, lambda a: a.prod(), lambda a: a.prod(), A)
    check_grad(torch, lambda a: a.prod(1), lambda a: a.prod(1), C[0])
    # One zero: its gradient is the product of the others; two zeros: every gradient 0.
    x = np.array([[2.0, 0.0, 3.0, -1.5, 0.5], [0.0, 4.0, 0.0, 1.0, 2.0]])
    check_grad(torch, lambda a: a.prod(1, keepdim=True), lambda a: a.prod(1, keepdim=True), x)
    ints = kindling.tensor([[2, 3], [4, 5]])
    assert ints.prod().item() == 120 and ints.prod().dtype == "int64"
    assert kindling.prod(ints, 0).numpy().tolist() == [8, 15]
    assert kindling.tensor([[True, False]]).prod(1).numpy().tolist() == [0]


def test_cumsum_matches_torch(torch):
    check_grad(torch, lambda a: a.cumsum(1), lambda a: a.cumsum(1), C)
    check_grad(torch, lambda a: kindling.cumsum(a, 0), lambda a: torch.cumsum(a, 0), C)
    check_grad(torch, lambda a: a.cumsum(-1), lambda a: a.cumsum(-1), RNG.standard_normal(37))
    big = kindling.tensor([2**62, 2**62, -(2**62)], dtype="int64")
    assert big.cumsum(0).numpy().tolist() == torch.tensor([2**62, 2**62, -(2**62)]).cumsum(0).tolist()
    assert kindling.tensor([True, True, False]).cumsum(0).numpy().tolist() == [1, 2, 2]


def test_norm_matches_torch(torch):
    for p in (2, 1, 3, 0.5, math.inf, -math.inf, -1, -2.5, "fro"):
        check_grad(torch, lambda a: a.norm(p), lambda a: a.norm(p), A, rtol=1e-10)
        check_grad(torch, lambda a: a.norm(p, 1, keepdim=True),
                   lambda a: a.norm(p, 1, keepdim=True), A, rtol=1e-10)
    # At an all-zero slice the gradient is 0, as torch's, not NaN.
    z = np.zeros((2, 3))
    z[1] = [3.0, 4.0, 0.0]
    check_grad(torch, lambda a: a.norm(axis=1), lambda a: a.norm(dim=1), z)
    # p = 0 counts the non-zero elements, as torch (whose gradient is None; kindling's is 0).
    x = np.array([[1.0, 0.0, -2.0], [0.0, 0.0, float("nan")]])
    assert kindling.tensor(x).norm(0, 1).numpy().tolist() == torch.tensor(x).norm(0, 1).tolist()
    # A zero makes a negative-p norm 0, with gradient 0; ties share the +-inf gradient evenly.
    for p in (-1, -math.inf, math.inf):
        check_grad(torch, lambda a: a.norm(p, 1), lambda a: a.norm(p, 1),
                   np.array([[0.0, 2.0, -3.0], [1.0, -1.0, 1.0]]))
    with pytest.raises(kindling.Error, match="norm"):
        kindling.tensor([1.0]).norm(float("nan"))
    with pytest.raises(kindling.Error, match="empty slice"):
        kindling.zeros(0).norm(-1.0)


# ---- indexing ops ----

def test_gather_index_select_scatter_add(torch):
    idx = np.array([[0, 2, 1, 1], [2, 2, 0, 1], [1, 0, 0, 2]])
    check_grad(torch, lambda a: a.gather(0, kindling.tensor(idx)),
               lambda a: a.gather(0, torch.tensor(idx)), A)
    sel = np.array([3, 0, 0])
    check_grad(torch, lambda a: a.index_select(1, kindling.tensor(sel)),
               lambda a: a.index_select(1, torch.tensor(sel)), A)
    src = RNG.standard_normal((3, 4))
    check_grad(torch, lambda a, s: a.scatter_add(0, kindling.tensor(idx), s),
               lambda a, s: a.scatter_add(0, torch.tensor(idx), s), A, src)
    check_grad(torch, lambda a, s: kindling.scatter_add(a, 1, kindling.tensor(idx % 2), s),
               lambda a, s: torch.scatter_add(a, 1, torch.tensor(idx % 2), s), A, src)
    with pytest.raises(kindling.Error, match="scatter_add.*int64"):
        kindling.tensor(A).scatter_add(0, kindling.tensor(idx.astype(float)), kindling.tensor(src))
    with pytest.raises(kindling.Error, match="out of range"):
        kindling.tensor(A).scatter_add(0, kindling.tensor(idx + 5), kindling.tensor(A))


def test_masked_fill_method(torch):
    mask = A > 0.3
    check_grad(torch, lambda a: a.masked_fill(kindling.tensor(mask), -1.0),
               lambda a: a.masked_fill(torch.tensor(mask), -1.0), A)


def test_sort_and_topk_match_torch(torch):
    x = np.array([[3.0, 1.0, math.nan, 2.0, -math.inf], [0.5, 0.5, -1.0, 7.0, 2.0]])
    for descending in (False, True):
        k, t = pair(torch, x)
        kv, ki = k.sort(1, descending=descending)
        tv, ti = t.sort(stable=True, dim=1, descending=descending)
        assert_same(kv, tv)
        assert (ki.numpy() == ti.numpy()).all()
        r = kindling.sort(k, 1, descending)
        assert r.values.shape == (2, 5) and (r.indices.numpy() == ti.numpy()).all()
    finite = RNG.standard_normal((4, 6))
    for largest in (True, False):
        check_grad(torch, lambda a: a.topk(3, 1, largest=largest).values,
                   lambda a: a.topk(3, 1, largest=largest).values, finite)
        k, t = pair(torch, finite, False)
        assert (k.topk(3, 0, largest).indices.numpy() == t.topk(3, 0, largest).indices.numpy()).all()
        check_grad(torch, lambda a: a.sort(0)[0], lambda a: a.sort(0)[0], finite)
    with pytest.raises(kindling.Error, match="topk: k 7"):
        kindling.tensor(finite).topk(7)


# ---- shape ops ----

def test_repeat_tile_flip(torch):
    check_grad(torch, lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), A)
    check_grad(torch, lambda a: a.repeat((2, 2)), lambda a: a.repeat((2, 2)), A)
    check_grad(torch, lambda a: a.tile(2), lambda a: a.tile(2), A)
    check_grad(torch, lambda a: kindling.tile(a, (2, 1, 1)), lambda a: torch.tile(a, (2, 1, 1)), A)
    check_grad(torch, lambda a: a.flip(1), lambda a: a.flip(1), C)
    check_grad(torch, lambda a: a.flip(0, 2), lambda a: a.flip(0, 2), C)
    check_grad(torch, lambda a: kindling.flip(a, (-1,)), lambda a: torch.flip(a, (-1,)), C)
    with pytest.raises(kindling.Error, match="repeat"):
        kindling.tensor(A).repeat(2)


def test_chunk_split_unbind(torch):
    x = RNG.standard_normal((7, 3))
    for fn_k, fn_t in [
        (lambda a: a.chunk(3), lambda a: a.chunk(3)),
        (lambda a: a.chunk(2, 1), lambda a: a.chunk(2, 1)),
        (lambda a: a.split(2), lambda a: a.split(2)),
        (lambda a: a.split([3, 4]), lambda a: a.split([3, 4])),
        (lambda a: kindling.split(a, (1, 2), 1), lambda a: torch.split(a, (1, 2), 1)),
        (lambda a: a.unbind(1), lambda a: a.unbind(1)),
        (lambda a: kindling.unbind(a), lambda a: torch.unbind(a)),
    ]:
        k, t = pair(torch, x)
        pk, pt = fn_k(k), fn_t(t)
        assert len(pk) == len(pt)
        for i, (a, b) in enumerate(zip(pk, pt)):
            assert_same(a, b)
            (a * (i + 1)).sum().backward()
            (b * (i + 1)).sum().backward()
        assert_same(k.grad, t.grad)
    with pytest.raises(kindling.Error, match="split: sizes"):
        kindling.tensor(x).split([3, 3])


def test_t_and_the_as_forms(torch):
    check_grad(torch, lambda a: a.t(), lambda a: a.t(), A)
    check_grad(torch, lambda a: kindling.t(a), lambda a: torch.t(a), A[0])
    with pytest.raises(kindling.Error, match="t: needs at most 2"):
        kindling.tensor(C).t()
    other = kindling.zeros((2, 3, 4))
    check_grad(torch, lambda a: a.expand_as(other), lambda a: a.expand_as(torch.zeros(2, 3, 4)), A)
    check_grad(torch, lambda a: a.reshape_as(kindling.zeros((4, 3))),
               lambda a: a.reshape_as(torch.zeros(4, 3)), A)
    check_grad(torch, lambda a: a.view_as(kindling.zeros((2, 6))),
               lambda a: a.view_as(torch.zeros(2, 6)), A)


# ---- matrices ----

def test_mm_bmm_dot_outer(torch):
    m = RNG.standard_normal((4, 2))
    check_grad(torch, lambda a, b: a.mm(b), lambda a, b: a.mm(b), A, m)
    check_grad(torch, lambda a, b: kindling.mm(a, b), lambda a, b: torch.mm(a, b), A, m)
    b1, b2 = RNG.standard_normal((2, 3, 5)), RNG.standard_normal((2, 5, 4))
    check_grad(torch, lambda a, b: a.bmm(b), lambda a, b: a.bmm(b), b1, b2)
    v, w = RNG.standard_normal(5), RNG.standard_normal(5)
    check_grad(torch, lambda a, b: a.dot(b), lambda a, b: a.dot(b), v, w)
    check_grad(torch, lambda a, b: kindling.outer(a, b), lambda a, b: torch.outer(a, b), v, w[:3])
    with pytest.raises(kindling.Error, match=r"mm: \(3,4\) x \(2,4\)"):
        kindling.tensor(A).mm(kindling.tensor(B[:2]))
    with pytest.raises(kindling.Error, match="bmm: needs two 3-D"):
        kindling.tensor(A).bmm(kindling.tensor(A))
    with pytest.raises(kindling.Error, match="bmm.*batch sizes 2 and 1"):
        kindling.tensor(b1).bmm(kindling.tensor(b2[:1]))
    with pytest.raises(kindling.Error, match="dot: lengths 5 and 3"):
        kindling.tensor(v).dot(kindling.tensor(w[:3]))


def test_tril_triu_diag(torch):
    for k in (0, 1, -1, 5, -5):
        check_grad(torch, lambda a: a.tril(k), lambda a: a.tril(k), A)
        check_grad(torch, lambda a: kindling.triu(a, k), lambda a: torch.triu(a, k), C)
    for k in (0, 1, -2, 4, -3):
        check_grad(torch, lambda a: a.diag(k), lambda a: a.diag(k), A)
        check_grad(torch, lambda a: kindling.diag(a, k), lambda a: torch.diag(a, k), A[0])
    # inf on the diagonal stays there, 0 off it (no inf * 0).
    k, t = pair(torch, [math.inf, 1.0], False)
    assert_same(k.diag(), t.diag())


def test_einsum_matches_torch(torch):
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))
    check_grad(torch, lambda x, y: kindling.einsum("bij,bjk->bik", x, y),
               lambda x, y: torch.einsum("bij,bjk->bik", x, y), a, b)
    check_grad(torch, lambda x, y: kindling.einsum("bij,bjk->kb", [x, y]),
               lambda x, y: torch.einsum("bij,bjk->kb", x, y), a, b)
    check_grad(torch, lambda x, y: kindling.einsum("ij,kj", x, y),
               lambda x, y: torch.einsum("ij,kj", x, y), A, B)
    check_grad(torch, lambda x: kindling.einsum("ijk->", x), lambda x: torch.einsum("ijk->", x), a)
    check_grad(torch, lambda x: kindling.einsum("ijk", x), lambda x: torch.einsum("ijk", x), a)
    v, w, u = RNG.standard_normal(3), RNG.standard_normal(4), RNG.standard_normal((3, 4))
    check_grad(torch, lambda x, y, z: kindling.einsum("i,j,ij->", x, y, z),
               lambda x, y, z: torch.einsum("i,j,ij->", x, y, z), v, w, u)
    with pytest.raises(kindling.Error, match="subscript 'j' has size 4 .* and 3"):
        kindling.einsum("ij,jk->ik", kindling.tensor(A), kindling.tensor(A))
    with pytest.raises(kindling.Error, match="appears twice"):
        kindling.einsum("ii->i", kindling.zeros((3, 3)))
    with pytest.raises(kindling.Error, match="2 operand subscripts but 1"):
        kindling.einsum("ij,jk", kindling.tensor(A))


# ---- elementwise math and tests ----

@pytest.mark.parametrize("name", ["square", "tan", "log2", "log10", "sin", "cos", "log1p",
                                  "expm1", "erf", "rsqrt", "reciprocal"])
def test_math_methods_match_torch(torch, name):
    x = np.abs(A) + 0.1 if name in ("log2", "log10", "rsqrt", "log1p") else A
    check_grad(torch, lambda a: getattr(a, name)(), lambda a: getattr(a, name)(), x, rtol=1e-11)
    check_grad(torch, lambda a: getattr(kindling, name)(a), lambda a: getattr(torch, name)(a), x,
               rtol=1e-11)


def test_log2_and_log10_are_exact_at_powers(torch):
    x = kindling.tensor([1.0, 2.0, 8.0, 1024.0, 0.125])
    assert x.log2().numpy().tolist() == [0.0, 1.0, 3.0, 10.0, -3.0]
    assert kindling.tensor([10.0, 1000.0, 1.0]).log10().numpy().tolist() == [1.0, 3.0, 0.0]
    assert kindling.tensor([0.01]).log10().item() == pytest.approx(-2.0, rel=1e-7)


def test_isnan_isinf(torch):
    x = np.array([0.0, -0.0, math.nan, math.inf, -math.inf, 1e-310, 3.0])
    k, t = pair(torch, x, False)
    assert (k.isnan().numpy() == t.isnan().numpy()).all()
    assert (kindling.isinf(k).numpy() == torch.isinf(t).numpy()).all()
    assert kindling.tensor([1, 2]).isnan().numpy().tolist() == [False, False]
    assert k.isnan().dtype == "bool"
    r = kindling.tensor([math.nan, 1.0], requires_grad=True)
    assert not r.isnan().requires_grad


def test_abs_builtin_and_any_all():
    x = kindling.tensor([[-1.5, 0.0], [2.0, -0.0]], requires_grad=True)
    y = abs(x)
    assert y.numpy().tolist() == [[1.5, 0.0], [2.0, 0.0]]
    y.sum().backward()
    assert x.grad.numpy().tolist() == [[-1.0, 0.0], [1.0, 0.0]]
    assert x.any().item() and not x.all().item()


# ---- conversions and new tensors ----

def test_conversions(torch):
    x = kindling.tensor([1.5, -2.5, 0.0])
    assert x.double().dtype == "float64" and x.float().dtype == "float32"
    assert x.long().numpy().tolist() == torch.tensor([1.5, -2.5, 0.0]).long().tolist()
    assert x.bool().numpy().tolist() == [True, True, False]
    assert x.cpu().device == "cpu"
    z = x.new_zeros((2, 3))
    assert z.shape == (2, 3) and z.dtype == "float32" and not z.numpy().any()
    assert x.new_zeros(2, dtype="int64").dtype == "int64"
    assert x.new_ones((2,)).numpy().tolist() == [1.0, 1.0]
    assert x.new_full((2,), 7).numpy().tolist() == [7.0, 7.0]
    w = kindling.tensor([1.0, 2.0], requires_grad=True)
    w.double().sum().backward()  # the cast carries the gradient
    assert w.grad.numpy().tolist() == [1.0, 1.0]


def test_zero_and_fill_in_place_bump_the_version():
    x = kindling.tensor([1.0, 2.0])
    v = x._version
    assert x.zero_() is not None and x.numpy().tolist() == [0.0, 0.0]
    x.fill_(3)
    assert x.numpy().tolist() == [3.0, 3.0] and x._version == v + 2


# ---- functions ----

def test_creation_functions(torch):
    assert (kindling.eye(3).numpy() == torch.eye(3, dtype=torch.float32).numpy()).all()
    assert (kindling.eye(2, 4, dtype="int64").numpy() == torch.eye(2, 4).long().numpy()).all()
    assert kindling.eye(0).shape == (0, 0)
    x = kindling.tensor([[1, 2], [3, 4]])
    assert kindling.zeros_like(x).dtype == "int64" and kindling.zeros_like(x).shape == (2, 2)
    assert kindling.ones_like(x, dtype="float64").numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert kindling.full_like(x, 7).numpy().tolist() == [[7, 7], [7, 7]]
    c = kindling.cat([kindling.tensor(A), kindling.tensor(B)], 1)
    assert_same(c, torch.cat([torch.tensor(A), torch.tensor(B)], 1))
    with pytest.raises(kindling.Error, match="eye"):
        kindling.eye(-1)


def test_randint_and_randperm():
    r = kindling.randint(3, 7, (1000,), seed=5)
    values = r.numpy()
    assert r.dtype == "int64" and values.min() == 3 and values.max() == 6
    assert (kindling.randint(10, (5,), seed=1).numpy() < 10).all()
    assert (kindling.randint(3, 7, (4,), seed=5).numpy() == values[:4]).all()  # seeded
    p = kindling.randperm(50, seed=2)
    assert p.dtype == "int64" and sorted(p.numpy().tolist()) == list(range(50))
    assert (kindling.randperm(50, seed=2).numpy() == p.numpy()).all()
    assert not (kindling.randperm(50, seed=3).numpy() == p.numpy()).all()
    assert kindling.randperm(0).shape == (0,)
    with pytest.raises(kindling.Error, match="randint: empty range"):
        kindling.randint(5, 5, (2,))
    with pytest.raises(kindling.Error, match="randperm"):
        kindling.randperm(-1)


# ---- torch's dim= keyword ----

def test_dim_is_accepted_where_axis_is(torch):
    x = RNG.standard_normal((3, 4))
    k, t = pair(torch, x, False)
    assert_same(k.sum(dim=1), t.sum(dim=1))
    assert_same(kindling.mean(k, dim=0, keepdim=True), torch.mean(t, dim=0, keepdim=True))
    assert_same(k.softmax(dim=-1), t.softmax(dim=-1))
    assert_same(kindling.cat([k, k], dim=1), torch.cat([t, t], dim=1))
    assert_same(k.var(dim=1, unbiased=False), t.var(dim=1, unbiased=False))
    assert_same(k.sort(dim=0, descending=True).values, t.sort(dim=0, descending=True).values)
    assert (k.argmax(dim=1).numpy() == t.argmax(dim=1).numpy()).all()
    assert k.size(dim=1) == t.size(dim=1)
    assert_same(k.sum(axis=1), t.sum(dim=1))  # kindling's own name still works
    with pytest.raises(TypeError, match="got both dim and axis"):
        k.sum(axis=1, dim=1)


def test_clamp_function_takes_torch_keywords(torch):
    check_grad(torch, lambda a: kindling.clamp(a, min=0.2), lambda a: torch.clamp(a, min=0.2), A)
    check_grad(torch, lambda a: kindling.clamp(a, max=-0.2), lambda a: torch.clamp(a, max=-0.2), A)
    check_grad(torch, lambda a: kindling.clamp(a, -0.3, 0.3), lambda a: torch.clamp(a, -0.3, 0.3), A)
    with pytest.raises(kindling.Error, match="clamp: at least one"):
        kindling.clamp(kindling.tensor([1.0]))


def test_scatter_add_with_an_index_smaller_than_src(torch):
    """Values against torch; gradients by hand (torch 1.13's own backward fails here: "returned an
    invalid gradient at index 1 - got [2, 2] but expected shape compatible with [3, 4]")."""
    idx = np.array([[0, 2], [1, 0]])
    src = RNG.standard_normal((3, 4))
    w = RNG.standard_normal((3, 4))
    for axis in (0, 1):
        k, t = pair(torch, A)
        ks, ts = pair(torch, src)
        y = k.scatter_add(axis, kindling.tensor(idx), ks)
        assert_same(y, t.detach().scatter_add(axis, torch.tensor(idx), ts.detach()))
        (y * kindling.tensor(w)).sum().backward()
        assert_same(k.grad, w)
        want = np.zeros_like(src)
        for i in range(2):
            for j in range(2):
                want[i, j] = w[idx[i, j], j] if axis == 0 else w[i, idx[i, j]]
        assert_same(ks.grad, want)
    with pytest.raises(kindling.Error, match="scatter_add: index .* is larger than src"):
        kindling.tensor(A).scatter_add(0, kindling.tensor(np.zeros((4, 4), dtype=np.int64)),
                                       kindling.tensor(src))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_follow_torch(torch, name):
    x = np.array([[1.0, 3.0, 3.0, -2.0], [math.nan, 0.0, 5.0, math.nan], [4.0, -1.0, -1.0, 4.0]])
    for axis in (0, 1, -1):
        for keepdim in (False, True):
            k, t = pair(torch, x)
            kr = getattr(k, name)(axis, keepdim=keepdim)
            tr = getattr(t, name)(axis, keepdim=keepdim)
            assert_same(kr.values, tr.values)
            assert (kr.indices.numpy() == tr.indices.numpy()).all()
            # out.max(1)[1] is the index, as in torch (not the second row of values).
            assert (getattr(k, name)(axis)[1].numpy() == getattr(t, name)(axis)[1].numpy()).all()
            w = np.arange(kr.values.numel(), dtype=np.float64).reshape(kr.values.shape) + 1
            (kr.values * kindling.tensor(w)).sum().backward()
            (tr.values * torch.tensor(w)).sum().backward()
            assert_same(k.grad, t.grad)  # to the named index only, ties included
    k, t = pair(torch, x)
    assert_same(getattr(k, name)(), getattr(t, name)())
    y = RNG.standard_normal((3, 4))
    assert_same(getattr(kindling, name)(kindling.tensor(A), kindling.tensor(y)),
                getattr(torch, name)(torch.tensor(A), torch.tensor(y)))
    # A tuple of axes: the values, as torch.amax / amin.
    finite = RNG.standard_normal((2, 3, 4))
    kf, tf = pair(torch, finite, False)
    assert_same(getattr(kf, name)((0, 2)), getattr(torch, "a" + name)(tf, (0, 2)))
    assert_same(getattr(kindling, name)(kf, dim=1).values, getattr(torch, name)(tf, dim=1).values)


def test_squeeze_without_an_axis_drops_every_size_one_axis(torch):
    x = np.zeros((1, 3, 1, 2))
    check_grad(torch, lambda a: a.squeeze(), lambda a: a.squeeze(), x)
    check_grad(torch, lambda a: a.squeeze(dim=2), lambda a: a.squeeze(dim=2), x)
    check_grad(torch, lambda a: a.squeeze(1), lambda a: a.squeeze(1), x)  # size 3: unchanged
    assert kindling.tensor([[5.0]]).squeeze().shape == ()


# torch wraps a dim with max(ndim, 1), so a 0-d tensor takes dim 0 and -1 where torch's op does
# (Note [0-d axes] in tensor/src/helpers.cpp), with torch's value and gradient, and 1 or -2 raise.
ZERO_D_OPS = {
    "sum": lambda x, d: x.sum(d),
    "mean_keepdim": lambda x, d: x.mean(d, keepdim=True),
    "max_values": lambda x, d: x.max(d).values,
    "min_values": lambda x, d: x.min(d)[0],
    "amax": lambda x, d: x.amax(d),
    "prod": lambda x, d: x.prod(d),
    "logsumexp": lambda x, d: x.logsumexp(d),
    "softmax": lambda x, d: x.softmax(d),
    "log_softmax": lambda x, d: x.log_softmax(d),
    "cumsum": lambda x, d: x.cumsum(d),
    "transpose": lambda x, d: x.transpose(0, d),
    "flatten": lambda x, d: x.flatten(d),
    "flip": lambda x, d: x.flip(d),
    "sort_values": lambda x, d: x.sort(d)[0],
}


@pytest.mark.parametrize("name", sorted(ZERO_D_OPS))
def test_zero_d_tensor_takes_dim_0_and_minus_1_as_torch(torch, name):
    f = ZERO_D_OPS[name]
    for d in (0, -1):
        check_grad(torch, lambda a: f(a, d), lambda a: f(a, d), np.array(3.0))
    for d in (1, -2):
        with pytest.raises(IndexError, match="Dimension out of range"):
            f(torch.tensor(3.0), d)
        with pytest.raises(kindling.Error, match="axis %d is out of range for a 0-d tensor" % d):
            f(kindling.tensor(3.0), d)


def test_zero_d_tensor_dims_without_gradient_and_kept_errors(torch):
    k, t = kindling.tensor(3.0), torch.tensor(3.0)
    for d in (0, -1):
        for op in ("argmax", "argmin"):
            assert getattr(k, op)(d).numpy().tolist() == getattr(t, op)(d).tolist() == 0
        assert k.max(d).indices.numpy().tolist() == t.max(d).indices.tolist() == 0
        assert (kindling.norm(k, 2.0, dim=d).numpy().tolist()
                == torch.linalg.vector_norm(t, 2.0, dim=d).tolist())
        i0 = kindling.tensor(np.array(0, dtype=np.int64))
        assert_same(k.gather(d, i0), t.gather(d, torch.tensor(0)))
        assert_same(kindling.stack([k, k], d), torch.stack([t, t], d))
    # torch.cat of 0-d tensors is an error whatever the dim, and so are split, chunk and unbind.
    with pytest.raises(RuntimeError, match="zero-dimensional tensor"):
        torch.cat([t, t])
    with pytest.raises(kindling.Error, match="concat: axis 0: the tensor at position 0 is 0-d"):
        kindling.cat([k, k])
    for op, args in (("split", (1, 0)), ("chunk", (1, 0)), ("unbind", (0,))):
        with pytest.raises((RuntimeError, IndexError)):  # unbind's is an IndexError
            getattr(t, op)(*args)
        with pytest.raises(kindling.Error, match=op + ": axis 0 given for a 0-d tensor"):
            getattr(k, op)(*args)


def test_shapes_as_separate_ints(torch):
    x = RNG.standard_normal((2, 3, 4))
    check_grad(torch, lambda a: a.view(-1, 4), lambda a: a.view(-1, 4), x)
    check_grad(torch, lambda a: a.reshape(4, 6), lambda a: a.reshape(4, 6), x)
    check_grad(torch, lambda a: a.permute(2, 0, 1), lambda a: a.permute(2, 0, 1), x)
    check_grad(torch, lambda a: a[:, :1].expand(2, 5, 4), lambda a: a[:, :1].expand(2, 5, 4), x)
    check_grad(torch, lambda a: a.view((6, 4)), lambda a: a.view((6, 4)), x)  # one sequence
    check_grad(torch, lambda a: a.reshape([24]), lambda a: a.reshape([24]), x)
    check_grad(torch, lambda a: a.reshape(-1), lambda a: a.reshape(-1), x)


def test_creation_takes_sizes_as_separate_ints():
    assert kindling.zeros(2, 3).shape == (2, 3) and kindling.zeros((2, 3)).shape == (2, 3)
    assert kindling.ones(4, dtype="int64").dtype == "int64"
    assert kindling.randn(2, 5, seed=1).shape == (2, 5)
    assert np.array_equal(kindling.rand(3, 2, seed=4).numpy(), kindling.rand((3, 2), seed=4).numpy())
    assert kindling.zeros([]).shape == ()


# ---- creation functions take requires_grad by keyword, as torch's ----
@pytest.mark.parametrize("make_k, make_t", [
    (lambda: kindling.zeros(2, 3, requires_grad=True), lambda t: t.zeros(2, 3, requires_grad=True)),
    (lambda: kindling.ones(2, 3, requires_grad=True), lambda t: t.ones(2, 3, requires_grad=True)),
    (lambda: kindling.full((2, 3), 1.5, requires_grad=True),
     lambda t: t.full((2, 3), 1.5, requires_grad=True)),
    (lambda: kindling.arange(0.0, 6.0, requires_grad=True),
     lambda t: t.arange(0.0, 6.0, requires_grad=True)),
    (lambda: kindling.linspace(0.0, 1.0, 6, requires_grad=True),
     lambda t: t.linspace(0.0, 1.0, 6, requires_grad=True)),
    (lambda: kindling.rand(2, 3, seed=1, requires_grad=True),
     lambda t: t.rand(2, 3, requires_grad=True)),
    (lambda: kindling.randn(2, 3, seed=1, requires_grad=True),
     lambda t: t.randn(2, 3, requires_grad=True)),
])
def test_creation_requires_grad(torch, make_k, make_t):
    k, t = make_k(), make_t(torch)
    assert k.requires_grad and t.requires_grad
    assert k.is_leaf and t.is_leaf
    assert tuple(k.shape) == tuple(t.shape)
    (k * k).sum().backward()
    (t * t).sum().backward()
    # d(sum x^2)/dx = 2x, for each side's own values.
    assert_same(k.grad, 2 * k.detach().numpy())
    np.testing.assert_allclose(t.grad.numpy(), 2 * t.detach().numpy(), rtol=1e-6)
    assert not kindling.zeros(2).requires_grad  # the default, as torch's


# ---- the thread count, as torch.set_num_threads / get_num_threads ----
def test_num_threads_round_trip_and_results_do_not_depend_on_it():
    before = kindling.get_num_threads()
    x = kindling.randn(1 << 18, seed=3, dtype="float64")
    w = kindling.randn(512, 512, seed=4)
    try:
        kindling.set_num_threads(1)
        assert kindling.get_num_threads() == 1
        one = (x.sum().item(), (w @ w).numpy())
        kindling.set_num_threads(2)
        assert kindling.get_num_threads() == 2
        two = (x.sum().item(), (w @ w).numpy())
    finally:
        kindling.set_num_threads(before)
    assert one[0] == two[0]
    assert np.array_equal(one[1], two[1])
    with pytest.raises(kindling.Error, match="set_num_threads: threads must be at least 1, got 0"):
        kindling.set_num_threads(0)
