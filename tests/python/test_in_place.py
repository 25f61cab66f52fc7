# Tensor.copy_, fill_ and zero_ from Python, against PyTorch: the values they write (broadcast,
# dtype conversion, through views), the version they bump, and the writes they refuse because
# kindling does not record in-place ops (Note [in-place writes] in tensor/src/tensor.cpp).
import numpy as np
import pytest

import kindling


@pytest.mark.parametrize("dst_dtype", ["float32", "float64", "int64", "bool"])
@pytest.mark.parametrize("src", [[2.75, -2.75, 0.0], [1e30, -0.5, 3.0], [0, 5, -7]])
def test_copy_converts_and_broadcasts_as_torch(torch, dst_dtype, src):
    src_np = np.array(src, dtype=np.float64)
    expected = torch.zeros(2, 3, dtype=getattr(torch, dst_dtype))
    expected.copy_(torch.tensor(src_np))
    dst = kindling.zeros([2, 3], dtype=dst_dtype)
    returned = dst.copy_(kindling.tensor(src_np))
    assert dst._version == 1
    assert returned._version == 1 and returned.shape == dst.shape
    np.testing.assert_array_equal(dst.numpy(), expected.numpy())


def test_fill_and_zero_write_through_views_as_torch(torch):
    base = kindling.ones([2, 4])
    view = base[:, 1:3]
    view.fill_(-0.5)
    expected = torch.ones(2, 4)
    expected[:, 1:3].fill_(-0.5)
    np.testing.assert_array_equal(base.numpy(), expected.numpy())
    base.zero_()
    assert base.numpy().tolist() == [[0.0] * 4] * 2
    assert base._version == 2
    view.fill_(kindling.tensor(3.0))  # a 0-d tensor as the value, as torch allows
    assert base.numpy()[0].tolist() == [0.0, 3.0, 3.0, 0.0]


def test_fill_int64_exactly_beyond_2_pow_53():
    t = kindling.zeros([2], dtype="int64")
    t.fill_(2**53 + 1)
    assert t.numpy().tolist() == [2**53 + 1] * 2


def test_a_stale_backward_after_fill_is_refused():
    w = kindling.tensor([1.0, 2.0]).requires_grad_()
    x = kindling.tensor([3.0, 4.0])
    loss = (w * x).sum()
    x.fill_(0.0)
    with pytest.raises(kindling.Error, match=r"mul saved a tensor that was modified in place"):
        loss.backward()


def test_writes_autograd_would_record_are_refused_in_grad_mode():
    leaf = kindling.tensor([1.0, 2.0]).requires_grad_()
    with pytest.raises(kindling.Error, match=r"fill_: a leaf tensor that requires grad"):
        leaf.fill_(0.0)
    with pytest.raises(kindling.Error, match=r"copy_: src \(shape \(2\)\) requires grad"):
        kindling.zeros([2]).copy_(leaf)
    with pytest.raises(kindling.Error, match=r"came from mul and requires grad"):
        (leaf * 2.0).zero_()
    with kindling.no_grad():
        leaf.fill_(4.0)
    assert leaf.numpy().tolist() == [4.0, 4.0]


def test_bad_arguments_name_the_function():
    with pytest.raises(kindling.Error, match=r"copy_: src of shape \(2,3\) cannot be broadcast"):
        kindling.zeros([3]).copy_(kindling.zeros([2, 3]))
    with pytest.raises(kindling.Error, match=r"fill_: value must be a number or a 0-d tensor"):
        kindling.zeros([3]).fill_("one")
    with pytest.raises(kindling.Error, match=r"fill_: value must be a number or a 0-d tensor"):
        kindling.zeros([3]).fill_(kindling.zeros([2]))
    with pytest.raises(kindling.Error, match=r"fill_: value nan cannot be converted to int64"):
        kindling.zeros([3], dtype="int64").fill_(float("nan"))
