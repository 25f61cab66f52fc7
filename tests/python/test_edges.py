# Safe at the edges (issue 11) from Python: nested lists that are ragged, hold non-numbers or nest
# too deep, and shapes given as Python ints past int64 or negative, each a kindling.Error (a
# ValueError) naming the function and the position or shape; and grads before any backward.
# None of these allocates more than a few bytes when the checks work.
import numpy as np
import pytest

import kindling


def error_of(call):
    with pytest.raises(ValueError) as caught:
        call()
    assert type(caught.value) is kindling.Error
    return str(caught.value)


# ---- nested lists ---------------------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    # This one gave "Internal error: pybind11::error_already_set called while Python error
    # indicator not set".
    ([[1.0], [2.0, 3.0]], "tensor: the list at [1] has 2 items, expected 1 (ragged nested lists)"),
    ([[1, 2], [3]], "tensor: the list at [1] has 1 items, expected 2 (ragged nested lists)"),
    ([[[1.0, 2.0]], [[3.0, 4.0], [5.0, 6.0]]],
     "tensor: the list at [1] has 2 items, expected 1 (ragged nested lists)"),
    ([[[1.0, 2.0]], [[3.0]]],
     "tensor: the list at [1][0] has 1 items, expected 2 (ragged nested lists)"),
    ([[1.0, 2.0], 3.0],
     "tensor: the item at [1] is a float, expected a list of 2 items (ragged nested lists)"),
    ([1.0, [2.0]], "tensor: the item at [1] is a list, expected a number (ragged nested lists)"),
    ([[], [1.0]], "tensor: the list at [1] has 1 items, expected 0 (ragged nested lists)"),
    (([1.0, 2.0], (3.0,)), "tensor: the list at [1] has 1 items, expected 2 (ragged nested lists)"),
])
def test_ragged_lists_name_the_position(data, message):
    assert error_of(lambda: kindling.tensor(data)) == message
    # The same with a dtype, which takes another path through NumPy.
    assert error_of(lambda: kindling.tensor(data, dtype="float64")) == message


@pytest.mark.parametrize("data, message", [
    ([1.0, "a"], "tensor: the item at [1] is a str, not a number"),
    ([[1.0, 2.0], [None, 4.0]], "tensor: the item at [1][0] is a NoneType, not a number"),
    ([[1, 2], [3, 1j]], "tensor: the item at [1][1] is a complex, not a number"),
    ([["x"]], "tensor: the item at [0][0] is a str, not a number"),
])
def test_items_that_are_not_numbers_name_the_position(data, message):
    assert error_of(lambda: kindling.tensor(data)) == message
    assert error_of(lambda: kindling.tensor(data, dtype="float32")) == message


def test_nesting_deeper_than_a_tensor_can_hold():
    # Past NumPy's 32 dimensions NumPy gives up; past kindling's 8 the shape is refused.
    deep = 1.0
    for _ in range(40):
        deep = [deep]
    message = error_of(lambda: kindling.tensor(deep))
    assert message == ("tensor: the lists at [0][0][0][0][0][0][0][0] are nested deeper than 8 "
                       "levels (a tensor has at most 8 dimensions)")
    nine = np.zeros((1,) * 9).tolist()
    assert "tensor: shape (1,1,1,1,1,1,1,1,1) has 9 dimensions; at most 8" in error_of(
        lambda: kindling.tensor(nine))


def test_well_formed_lists_still_work():
    assert kindling.tensor([[1.0, 2.0], [3.0, 4.0]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert kindling.tensor([[1, 2], [3, 4]]).dtype == "int64"
    assert kindling.tensor(((1.0,), (2.0,))).shape == (2, 1)
    assert kindling.tensor([np.float32(1.5), np.int64(2)]).tolist() == [1.5, 2.0]
    assert kindling.tensor([True, False]).tolist() == [1, 0]
    assert kindling.tensor([]).shape == (0,)
    assert kindling.tensor([[], []]).shape == (2, 0)
    # NumPy arrays inside lists are NumPy's to stack, as before.
    assert kindling.tensor([np.array([1.0, 2.0]), np.array([3.0, 4.0])]).shape == (2, 2)


def test_other_unconvertible_data_gives_numpys_reason():
    message = error_of(lambda: kindling.tensor(np.array(["a", "b"]), dtype="float32"))
    assert message.startswith("tensor: cannot make a tensor from a numpy.ndarray: ValueError")
    assert "could not convert string to float: 'a'" in message


# ---- shapes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, name", [
    (lambda s: kindling.zeros(s), "zeros"),
    (lambda s: kindling.ones(s), "ones"),
    (lambda s: kindling.full(s, 2.0), "full"),
    (lambda s: kindling.rand(s, seed=1), "rand"),
    (lambda s: kindling.randn(s, seed=1), "randn"),
])
def test_shapes_past_int64_or_negative_are_errors_naming_the_op(make, name):
    # pybind11 turned 2**64 into "incompatible function arguments" (a TypeError).
    assert error_of(lambda: make((2, 2**64))) == (
        "%s: size 18446744073709551616 at position 1 of the shape does not fit in int64" % name)
    assert error_of(lambda: make(-2**63 - 1)).startswith(
        "%s: size -9223372036854775809 at position 0" % name)
    assert error_of(lambda: make((2, -3))) == "%s: negative dimension -3 in shape (2,-3)" % name
    assert error_of(lambda: make((2**32, 2**32))) == (
        "%s: shape (4294967296,4294967296) has more than 2^63 elements" % name)
    assert ("%s: shape (2147483648,2147483648) of float32 needs more than 2^63 bytes" % name
            in error_of(lambda: make([2**31, 2**31])))
    assert make(3).shape == (3,)  # an int is a 1-D shape
    assert make(np.array([2, 3])).shape == (2, 3)  # any sequence of ints
    with pytest.raises(TypeError, match="%s: the shape must be an int or a sequence of ints; "
                                        "item 1 is a float" % name):
        make((2, 3.5))
    with pytest.raises(TypeError, match="not a str"):
        make("23")


def test_view_shapes_from_python():
    x = kindling.ones((1, 1))
    assert error_of(lambda: x.expand((-5, 3))) == (
        "expand: (1,1) -> (-5,3): size -5 in dimension 0 is negative")
    assert x.expand((-1, 3)).shape == (1, 3)
    assert x.expand((2**31, 2**31)).shape == (2**31, 2**31)  # a stride-0 view: no memory
    assert error_of(lambda: x.expand((2**40, 2**40))) == (
        "expand: shape (1099511627776,1099511627776) has more than 2^63 elements")
    assert "expand: size 18446744073709551616 at position 0" in error_of(
        lambda: x.expand((2**64, 1)))
    y = kindling.arange(4.0)
    assert error_of(lambda: y.view((2**62 + 1, 4))) == (
        "view: shape (4611686018427387905,4) has more than 2^63 elements")
    assert error_of(lambda: y.reshape([2, -3])) == "reshape: negative size -3 in (2,-3)"
    assert y.reshape((2, -1)).shape == (2, 2)
    assert y.view(4).shape == (4,)
    assert kindling.ones((2, 3)).permute((1, 0)).shape == (3, 2)
    assert "permute: size 18446744073709551616" in error_of(
        lambda: kindling.ones((2, 3)).permute((2**64, 0)))


def test_ranges_too_long_for_any_tensor():
    assert error_of(lambda: kindling.arange(0, 1e30)).startswith(
        "arange: [0, 1e+30) with step 1 has 1e+30 elements")
    assert "must be finite" in error_of(lambda: kindling.arange(0, float("nan")))
    assert "must be finite" in error_of(lambda: kindling.arange(0, float("inf")))
    assert "linspace: shape (4611686018427387904) of float32 needs more than 2^63 bytes" in (
        error_of(lambda: kindling.linspace(0.0, 1.0, 2**62)))
    index = kindling.tensor([0, 1])
    assert "one_hot: shape (2,4611686018427387904) has more than 2^63 elements" in error_of(
        lambda: kindling.one_hot(index, 2**62))
    # 2^54 float64 elements are 2^57 bytes: more than any process can map, refused at once.
    message = error_of(lambda: kindling.randn((2**54,), dtype="float64", seed=0))
    assert message.startswith("randn: cannot allocate shape (18014398509481984) of float64")
    assert "cpu: out of memory allocating" in message


# ---- grads before backward ------------------------------------------------------------------------

def test_grad_before_backward_is_none():
    # The C++ grad() is an undefined Tensor here; Python sees None, never a handle to nothing.
    x = kindling.ones((2,)).requires_grad_()
    y = x * 3.0
    assert x.grad is None and y.grad is None
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.zero_grad()
    assert x.grad is None
