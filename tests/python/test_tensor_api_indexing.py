# Python indexing of kindling.Tensor against NumPy's values and torch 1.13's gradients (Note
# [python indexing] in python/src/tensor.cpp): tensor and bool indices, None, negative steps, and
# item assignment as an in-place write that bumps _version.
import numpy as np
import pytest

import kindling

X = np.arange(60, dtype=np.float64).reshape(3, 4, 5) * 0.5 - 7.0


def k_leaf(array=X):
    t = kindling.from_numpy(np.array(array, dtype=np.float64))
    t.requires_grad = True
    return t


def to_k(key):
    """The key with NumPy arrays as kindling tensors (lists stay lists)."""
    if isinstance(key, tuple):
        return tuple(to_k(k) for k in key)
    if isinstance(key, np.ndarray):
        return kindling.from_numpy(key.copy())
    return key


KEYS = [
    (0,),
    (slice(None), 1),
    (Ellipsis, 2),
    (None,),
    (slice(None), None, 1),
    (1, None, slice(1, 3), None),
    (slice(None, None, -1),),
    (slice(None), slice(3, 0, -2)),
    (Ellipsis, slice(None, None, -3)),
    (slice(5, 7, -1),),  # empty
    (np.array([2, 0, 0, -1]),),
    ([1, 2],),
    (slice(None), np.array([[0, 3], [1, 1]])),
    (np.array([0, 2]), slice(None), np.array([4, 1])),  # separated: advanced dims first
    (slice(None), np.array([0, 3]), np.array([4, 1])),  # adjacent: in place
    (np.array([0, 2]), 1),  # an int among advanced indices
    (slice(None), 0, slice(None), ),
    (X > 3.0,),
    (X[:, :, 0] > -3.0,),
    (slice(None), X[0, :, 0] > -6.0),
    (np.array([True, False, True]), slice(None, None, -1), np.array([0, 4])),
    (None, np.array([1]), Ellipsis, None),
    (np.array([], dtype=np.int64),),
]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k)[:60] for k in KEYS])
def test_getitem_matches_numpy_and_torch_gradients(torch, key):
    want = X[key]
    k = k_leaf()
    got = k[to_k(key)]
    assert got.shape == want.shape
    assert np.array_equal(got.numpy(), want)
    # Gradients: torch has no negative steps, so its reference flips those axes itself.
    w = np.random.default_rng(1).standard_normal(want.shape)
    (got * kindling.from_numpy(w.copy())).sum().backward()
    # The weights summed at the positions NumPy's own indexing picks from arange(size).
    picked = np.arange(X.size).reshape(X.shape)[key]
    expected = np.bincount(picked.ravel(), weights=w.ravel(), minlength=X.size).reshape(X.shape)
    np.testing.assert_allclose(k.grad.numpy(), expected, rtol=1e-12, atol=0)
    # ... and torch agrees where it can index the same way (no negative steps).
    if not any(isinstance(s, slice) and s.step is not None and s.step < 0
               for s in (key if isinstance(key, tuple) else (key,))):
        t = torch.tensor(X, requires_grad=True)
        tkey = tuple(torch.tensor(s) if isinstance(s, np.ndarray) else s for s in key)
        tv = t[tkey]
        assert tuple(tv.shape) == want.shape
        (tv * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=0)


def test_basic_indices_stay_views():
    t = kindling.tensor(X)
    v = t[None, 1]
    v_np = v.numpy()
    t.numpy()[1, 0, 0] = 99.0
    assert v_np[0, 0, 0] == 99.0


def test_index_errors():
    t = kindling.tensor(X)
    with pytest.raises(IndexError, match="out of bounds for axis 1 with size 4"):
        t[:, kindling.tensor([0, 4])]
    with pytest.raises(IndexError, match="out of bounds"):
        t[[-4]]
    with pytest.raises(IndexError, match="int64 or bool"):
        t[kindling.tensor([0.0, 1.0])]
    with pytest.raises(IndexError, match="shape of the mask"):
        t[kindling.tensor(np.ones((3, 5), dtype=bool))]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        t[..., 0, ...]
    with pytest.raises(TypeError, match="tensor indices must be"):
        t["a"]


SET_KEYS = [
    (0,),
    (slice(None), 1, slice(None, None, 2)),
    (slice(None, None, -1), 0),
    (X > 3.0,),
    (np.array([0, 2]), slice(None), np.array([4, 1])),
    (slice(None), np.array([3, 3, 0])),
]


@pytest.mark.parametrize("key", SET_KEYS, ids=[repr(k)[:60] for k in SET_KEYS])
def test_setitem_matches_numpy_and_bumps_the_version(key):
    for value in (-1.5, np.float64(2.0), "tensor"):
        want = X.copy()
        shape = want[key].shape
        v = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) if value == "tensor" \
            else value
        want[key] = v
        t = kindling.tensor(X)
        view = t[0]  # a view sees the write
        before = t._version
        t[to_k(key)] = kindling.tensor(v) if value == "tensor" else v
        assert np.array_equal(t.numpy(), want)
        assert t._version > before and view._version == t._version
        assert np.array_equal(view.numpy(), want[0])


def test_setitem_broadcasts_converts_and_refuses_bad_values():
    t = kindling.zeros((2, 3), dtype="int64")
    t[:, kindling.tensor([True, False, True])] = kindling.tensor([[7.9], [-2.0]])
    assert t.numpy().tolist() == [[7, 0, 7], [-2, 0, -2]]
    t[t > 0] = 1
    assert t.numpy().tolist() == [[1, 0, 1], [-2, 0, -2]]
    with pytest.raises(kindling.Error, match="setitem: a value of shape"):
        t[t < 0] = kindling.tensor([1, 2, 3])


def test_setitem_on_a_tensor_that_requires_grad_is_refused():
    w = kindling.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(kindling.Error, match="leaf tensor that requires grad"):
        w[0] = 5.0
    with pytest.raises(kindling.Error, match="leaf tensor that requires grad"):
        w[w > 1.5] = 5.0
    with kindling.no_grad():
        w[w > 1.5] = 5.0
    assert w.numpy().tolist() == [1.0, 5.0]


def test_setitem_invalidates_a_saved_tensor():
    x = kindling.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1.0
    z = (y * y).sum()  # saves y
    with kindling.no_grad():
        y[kindling.tensor([True, False, False])] = 0.0
    with pytest.raises(kindling.Error, match="modified"):
        z.backward()


def test_put_matches_torch(torch):
    k = kindling.zeros((2, 3), dtype="float64")
    t = torch.zeros(2, 3)
    index = np.array([0, -1, 4])
    source = np.array([1.5, 2.5, 3.5])
    before = k._version
    k.put_(kindling.tensor(index), kindling.tensor(source))
    t.put_(torch.tensor(index), torch.tensor(source))
    assert np.array_equal(k.numpy(), t.numpy()) and k._version == before + 1
    with pytest.raises(kindling.Error, match="put_: index 6 is out of range"):
        k.put_(kindling.tensor([6]), kindling.tensor([1.0]))
