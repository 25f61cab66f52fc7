# Dtypes against PyTorch 1.13, side by side in one process: every binary op over every pair of
# operand kinds (a tensor of each dtype, a 0-d tensor of each dtype, a Python int, float and bool)
# gives torch's result dtype and values, or an error where torch raises one; the float -> int64
# conversion grid; the bool dtype through creation, NumPy, masks and reductions; the dtype of a
# tensor made from Python data, and of a list given as an operand; and the Python protocol of a
# Tensor (==, bool(), hash, len, int, float).
import math
import operator

import numpy as np
import pytest

import kindling

DTYPES = ["float32", "float64", "int64", "bool"]
# Values chosen to reach the interesting cases (negative bases and exponents, fractional results,
# ties for the comparisons, integer exponents of integers) without 0 to a negative power, whose
# value is the special-value math's to get right (tests/python of that work), not promotion's.
TENSOR_VALUES = {"float32": [1.5, -2.25, 3.0], "float64": [1.5, -2.25, 2.0],
                 "int64": [3, -2, 2], "bool": [False, True, True]}
ZERO_DIM_VALUES = {"float32": 2.5, "float64": 0.75, "int64": 2, "bool": True}
NUMBERS = {"int": 3, "float": 0.5, "bool": True, "negative int": -2}


@pytest.fixture
def torch32(torch):
    """torch with its own default dtype, float32: what Python floats promote to (conftest sets
    float64 for the gradient tests)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield torch
    torch.set_default_dtype(previous)


def operands(torch):
    """(name, kindling operand, torch operand) for every kind of operand."""
    out = []
    for d in DTYPES:
        out.append((f"{d}[3]", kindling.tensor(np.array(TENSOR_VALUES[d], dtype=np_dtype(d))),
                    torch.tensor(TENSOR_VALUES[d], dtype=getattr(torch, d))))
        out.append((f"{d}0d", kindling.tensor(np.array(ZERO_DIM_VALUES[d], dtype=np_dtype(d))),
                    torch.tensor(ZERO_DIM_VALUES[d], dtype=getattr(torch, d))))
    for name, v in NUMBERS.items():
        out.append((name, v, v))
    return out


def np_dtype(name):
    return {"float32": np.float32, "float64": np.float64, "int64": np.int64, "bool": np.bool_}[name]


def dtype_name(torch_tensor):
    return str(torch_tensor.dtype).replace("torch.", "")


def assert_same(ours, theirs, what):
    assert isinstance(ours, kindling.Tensor), what
    assert ours.dtype == dtype_name(theirs), what
    assert ours.shape == tuple(theirs.shape), what
    got, want = ours.numpy(), theirs.numpy()
    if ours.dtype in ("int64", "bool"):
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-7 if ours.dtype == "float64" else 2e-6,
                                   atol=0, equal_nan=True, err_msg=what)


def run_both(fn, ka, kb, ta, tb):
    """fn on both libraries: (ours, theirs), or the exceptions they raised."""
    try:
        theirs = fn(ta, tb)
    except (RuntimeError, TypeError, ValueError) as e:
        theirs = e
    try:
        ours = fn(ka, kb)
    except (kindling.Error, TypeError, ValueError) as e:
        ours = e
    return ours, theirs


OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": operator.pow, "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_operators_follow_torch_promotion_over_every_operand_pair(torch32, symbol):
    fn = OPERATORS[symbol]
    checked = 0
    for na, ka, ta in operands(torch32):
        for nb, kb, tb in operands(torch32):
            if not (isinstance(ka, kindling.Tensor) or isinstance(kb, kindling.Tensor)):
                continue  # two Python numbers: Python's own arithmetic
            what = f"{na} {symbol} {nb}"
            ours, theirs = run_both(fn, ka, kb, ta, tb)
            if isinstance(theirs, Exception):
                assert isinstance(ours, Exception), f"{what}: torch raises '{theirs}', we gave {ours}"
                continue
            assert not isinstance(ours, Exception), f"{what}: we raised '{ours}', torch gave {theirs}"
            assert_same(ours, theirs, what)
            checked += 1
    assert checked > 60  # the grid did run (of 128 pairs, even `-` has this many without bool)


FUNCTIONS = {
    "maximum": (kindling.maximum, lambda t, a, b: t.maximum(a, b)),
    "minimum": (kindling.minimum, lambda t, a, b: t.minimum(a, b)),
    "logical_and": (kindling.logical_and, lambda t, a, b: t.logical_and(a, b)),
    "logical_or": (kindling.logical_or, lambda t, a, b: t.logical_or(a, b)),
    "logical_xor": (kindling.logical_xor, lambda t, a, b: t.logical_xor(a, b)),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_tensor_functions_follow_torch_promotion(torch32, name):
    ours_fn, theirs_fn = FUNCTIONS[name]
    tensors = [o for o in operands(torch32) if isinstance(o[1], kindling.Tensor)]
    for na, ka, ta in tensors:
        for nb, kb, tb in tensors:
            what = f"{name}({na}, {nb})"
            ours, theirs = run_both(lambda a, b: ours_fn(a, b) if isinstance(a, kindling.Tensor)
                                    else theirs_fn(torch32, a, b), ka, kb, ta, tb)
            if isinstance(theirs, Exception):
                assert isinstance(ours, Exception), what
            else:
                assert_same(ours, theirs, what)


def test_where_promotes_its_branches_and_needs_a_bool_condition(torch32):
    kc, tc = kindling.tensor([True, False, True]), torch32.tensor([True, False, True])
    checked = 0
    for na, ka, ta in operands(torch32):
        for nb, kb, tb in operands(torch32):
            what = f"where(cond, {na}, {nb})"
            ours, theirs = run_both(lambda a, b: kindling.where(kc, a, b)
                                    if not isinstance(a, torch32.Tensor)
                                    and not isinstance(b, torch32.Tensor)
                                    else torch32.where(tc, a, b), ka, kb, ta, tb)
            if isinstance(theirs, Exception):
                continue  # torch 1.13 lacks some scalar forms (where(c, True, 1)); ours has them
            assert_same(ours, theirs, what)
            checked += 1
    assert checked > 120
    with pytest.raises(kindling.Error, match="where: the condition must be bool, got float32"):
        kindling.where(kindling.tensor([1.0, 0.0]), 1.0, 0.0)
    with pytest.raises(RuntimeError, match="condition to be a boolean tensor"):
        torch32.where(torch32.tensor([1.0, 0.0]), 1.0, 0.0)


def test_result_type_matches_torch(torch32):
    for na, ka, ta in operands(torch32):
        for nb, kb, tb in operands(torch32):
            if not (isinstance(ka, kindling.Tensor) or isinstance(kb, kindling.Tensor)):
                continue
            ta_ = ta if isinstance(ta, torch32.Tensor) else ta
            assert kindling.result_type(ka, kb) == dtype_name(
                torch32.empty(0, dtype=torch32.result_type(ta_, tb))), f"{na}, {nb}"


def test_the_issue_examples(torch32):
    # int64 [1, 2] + 0.5 and * 1.5 no longer truncate; float32 with a 0-d float64 stays float32.
    assert kindling.tensor([1, 2]).__add__(0.5).tolist() == [1.5, 2.5]
    assert (kindling.tensor([1, 2]) * 1.5).tolist() == [1.5, 3.0]
    f64 = kindling.tensor(np.float64(2.0))
    assert (kindling.tensor([1.0, 2.0]) * f64).dtype == "float32"
    # Comparison masks are bool.
    assert (kindling.tensor([1.0, 2.0]) > 1).dtype == kindling.bool
    # INT64_MIN / -1 is true division, not SIGFPE.
    assert (kindling.tensor([-2**63]) / kindling.tensor([-1])).tolist() == [9.223372036854775808e18]
    with pytest.raises(kindling.Error, match="integers to negative integer powers"):
        kindling.tensor([2]) ** -1


SPECIAL = [math.nan, math.inf, -math.inf, 1e30, -1e30, 2.7, -2.7, 2.0**63, -2.0**63,
           2.0**63 - 1024, 0.5, -0.0, 9.2e18, -9.3e18, 1e-300]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_to_int64_and_bool_conversions_match_torch_bit_for_bit(torch32, dtype):
    x = np.array(SPECIAL, dtype=np_dtype(dtype))
    ours = kindling.tensor(x)
    theirs = torch32.tensor(x)
    np.testing.assert_array_equal(ours.to("int64").numpy(), theirs.long().numpy())
    np.testing.assert_array_equal(ours.to("bool").numpy(), theirs.bool().numpy())
    # A strided source goes through the same conversion.
    np.testing.assert_array_equal(ours[::2].to("int64").numpy(), theirs[::2].long().numpy())
    assert ours.to("int64").numpy()[0] == -2**63  # NaN: INT64_MIN, as torch on x86


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e30, -9.3e18, 2.0**63, 2.7,
                                   -2.7, 2**62 + 1, -2**63])
def test_full_into_int64_errors_where_torch_does(torch32, value):
    try:
        want = torch32.full((2,), value, dtype=torch32.int64)
    except RuntimeError:
        with pytest.raises(kindling.Error, match="cannot be converted to int64 without overflow"):
            kindling.full((2,), value, dtype="int64")
        return
    got = kindling.full((2,), value, dtype="int64")
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_masked_fill_matches_torch(torch32):
    x = np.array([[1.5, -2.0, 3.0], [0.0, 4.0, -1.0]])
    mask = np.array([[True, False, True], [False, False, True]])
    for dtype in ("float32", "float64", "int64", "bool"):
        kx = kindling.tensor(x.astype(np_dtype(dtype)))
        tx = torch32.tensor(x.astype(np_dtype(dtype)))
        for value in (7, -2.5, True, 0):
            assert_same(kx.masked_fill(kindling.tensor(mask), value),
                        tx.masked_fill(torch32.tensor(mask), value), f"{dtype} fill {value}")
    # A (2, 1) mask broadcasts the result, as torch 1.13's masked_fill does.
    assert_same(kindling.masked_fill(kindling.tensor([1, 2]), kindling.tensor([[True], [False]]), 5),
                torch32.tensor([1, 2]).masked_fill(torch32.tensor([[True], [False]]), 5),
                "broadcast")
    with pytest.raises(kindling.Error, match="masked_fill: value nan cannot be converted to int64"):
        kindling.tensor([1, 2]).masked_fill(kindling.tensor([True, False]), math.nan)
    with pytest.raises(kindling.Error, match="the mask must be bool"):
        kindling.tensor([1, 2]).masked_fill(kindling.tensor([1, 0]), 0)


@pytest.mark.parametrize("axis, keepdim", [(None, False), (0, False), (1, True), ((0, 2), False),
                                           (-1, True)])
def test_any_all_and_bool_sums_match_torch(torch32, axis, keepdim):
    x = np.random.default_rng(3).integers(0, 2, size=(3, 4, 2)).astype(bool)
    x[1] = True  # an all-true slice, so all() is not always False
    kx, tx = kindling.tensor(x), torch32.tensor(x)
    dims = () if axis is None else (axis,) if isinstance(axis, int) else axis

    def torch_reduce(name, t):
        out = t
        if not dims:
            return getattr(torch32, name)(out)
        for d in sorted((d % t.dim() for d in dims), reverse=True):
            out = getattr(torch32, name)(out, d, keepdim=keepdim)
        return out

    assert_same(kx.any(axis, keepdim), torch_reduce("any", tx), "any")
    assert_same(kx.all(axis, keepdim), torch_reduce("all", tx), "all")
    assert_same(kindling.any(kx.to("float32"), axis, keepdim),
                torch_reduce("any", tx.float()), "any of floats")
    assert_same(kx.sum(axis, keepdim), tx.sum(dim=dims, keepdim=keepdim) if dims else tx.sum(),
                "sum of bool")
    empty = kindling.zeros([0], dtype="bool")
    assert empty.any().item() is False and empty.all().item() is True


PYTHON_DATA = [2.5, [1.0, 2], [1, 2], [True, False], [[1.0], [2.0]], np.float64(2.0),
               [np.float64(1.0), np.float64(1e-310)], [np.float32(1.0), 2.0], [[1.0], [np.float64(2)]],
               (np.int32(3), 4), np.array([1.5, 2.0]), np.array([1.5], dtype=np.float32)]


@pytest.mark.parametrize("data", PYTHON_DATA, ids=repr)
def test_tensors_from_python_data_take_torchs_dtype(torch32, data):
    # Python floats become float32, NumPy floating scalars and arrays keep their dtype.
    want = torch32.tensor(data)
    got = kindling.tensor(data)
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    assert np.array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("args", [(5,), (5.0,), (1, 7, 2), (0, 1, 0.25), (3, -3, -1), (True,),
                                  (np.int64(4),), (np.float32(2), 4)], ids=repr)
def test_arange_takes_torchs_dtype_from_its_bounds(torch32, args):
    want = torch32.arange(*args)
    got = kindling.arange(*args)
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    assert np.array_equal(got.numpy(), want.numpy())
    assert kindling.arange(*args, dtype="float64").dtype == kindling.float64  # a dtype wins


@pytest.mark.parametrize("value", [7, -2, 0.5, True, np.float64(1.5), np.int64(3)], ids=repr)
def test_full_takes_torchs_dtype_from_its_value(torch32, value):
    want = torch32.full((2, 3), value)
    got = kindling.full((2, 3), value)
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    assert np.array_equal(got.numpy(), want.numpy())
    assert kindling.full((2,), value, "float64").dtype == kindling.float64
    with pytest.raises(kindling.Error, match="full: the value must be a number, got str"):
        kindling.full((2,), "7")
    with pytest.raises(kindling.Error, match="arange: stop must be a number, got str"):
        kindling.arange(0, "7")


def test_a_list_operand_is_the_tensor_kindling_tensor_makes_of_it():
    # torch rejects lists as operands; kindling takes them as kindling.tensor(list), so that
    # `t * [1.5, 2]` is `t * kindling.tensor([1.5, 2])`: float32, not NumPy's float64.
    for dtype in ("float32", "float64"):
        t = kindling.ones(2, dtype=dtype)
        for data in ([1.5, 2], [3, 4], [np.float64(0.5), np.float64(2)]):
            for got in (t * data, kindling.mul(t, data), t + data, data - t):
                want = kindling.tensor(data)
                assert got.dtype == kindling.result_type(t, want), (dtype, data)
    assert (kindling.ones(2) * [1.5, 2]).dtype == kindling.float32
    assert (kindling.ones(2) * np.array([1.5, 2])).dtype == kindling.float64  # NumPy's own


def test_bool_tensors_from_python_and_numpy_and_back():
    t = kindling.tensor([True, False, True])
    assert t.dtype == "bool" == kindling.bool
    assert repr(t) == "tensor([ True, False,  True], dtype=bool)"
    assert t.tolist() == [True, False, True]
    back = t.numpy()
    assert back.dtype == np.bool_ and back.tolist() == [True, False, True]
    assert np.asarray(t).dtype == np.bool_
    # NumPy bool arrays come in as bool, shared where they can be.
    a = np.array([True, False, False, True])
    shared = kindling.from_numpy(a)
    assert shared.dtype == "bool"
    a[1] = True
    assert shared.tolist() == [True, True, False, True]
    strided = kindling.from_numpy(np.array([[True, False], [False, False]]).T)
    assert strided.dtype == "bool" and strided.tolist() == [[True, False], [False, False]]
    # A uint8 array viewed as bool may hold bytes other than 0 and 1: NumPy reads them as True,
    # and so does kindling (a copy with the bytes made 0 or 1, not a share).
    odd = np.array([2, 0, 255], dtype=np.uint8).view(np.bool_)
    for made in (kindling.from_numpy(odd), kindling.tensor(odd)):
        assert made.tolist() == [True, False, True]
        assert made.numpy().view(np.uint8).tolist() == [1, 0, 1]
        assert (~made).tolist() == [False, True, False]
    assert kindling.tensor([1.0, 0.0], dtype="bool").tolist() == [True, False]
    assert kindling.zeros([2], dtype="bool").tolist() == [False, False]
    assert kindling.full((2,), 3, dtype="bool").tolist() == [True, True]
    assert kindling.ones([1], dtype=kindling.bool).item() is True
    assert (~t).tolist() == [False, True, False]
    assert (t & kindling.tensor([True, True, False])).tolist() == [True, False, False]
    assert (t | False).tolist() == [True, False, True]
    assert (True ^ t).tolist() == [False, True, False]
    with pytest.raises(kindling.Error, match="only floating-point tensors can require grad"):
        t.requires_grad = True
    with pytest.raises(kindling.Error, match="neg: not supported for bool"):
        -t
    with pytest.raises(kindling.Error, match="dtype: expected 'float32', 'float64', 'int64' or "
                                             "'bool'"):
        kindling.zeros([1], dtype="uint8")


def test_comparisons_give_masks_and_hashing_stays_by_identity(torch32):
    a = kindling.tensor([1.0, 2.0, 3.0])
    b = kindling.tensor([1.0, 5.0, 3.0])
    assert (a == b).tolist() == [True, False, True]
    assert (a != b).tolist() == [False, True, False]
    assert (a == 2).tolist() == [False, True, False]
    assert (2 == a).tolist() == [False, True, False]      # reflected by Python: a.__eq__(2)
    assert (2.5 < a).tolist() == [False, False, True]     # a > 2.5
    assert (a >= np.array([1.0, 3.0, 3.0])).tolist() == [True, False, True]
    assert (a == None) is False and (a != None) is True  # noqa: E711  (NotImplemented, identity)
    assert (a == "x") is False
    # Tensors are hashable by identity, as torch.Tensor: dict keys and sets work.
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert a in {a} and hash(a) == hash(a)
    assert a in [a, b]  # identity first, so no elementwise truth is needed
    c = kindling.tensor([7.0])
    assert c in [c] and kindling.tensor([7.0]) in [c]  # one element: its truth decides


def test_bool_int_float_and_len_of_a_tensor(torch32):
    for values in ([0.0], [2.5], 0.0, [True], [False], 7, [math.nan]):
        assert bool(kindling.tensor(values)) == bool(torch32.tensor(values)), values
    assert bool(kindling.tensor([0.0])) is False  # it used to be True (a length-1 sequence)
    with pytest.raises(kindling.Error,
                       match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(kindling.tensor([1.0, 2.0]))
    with pytest.raises(kindling.Error, match="Boolean value of Tensor with no values"):
        bool(kindling.zeros([0]))
    assert bool(kindling.tensor(1.0)) is True  # 0-d: its value (it used to raise from len())
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(kindling.tensor(1.0))
    assert len(kindling.zeros([4, 2])) == 4
    assert int(kindling.tensor([2.7])) == int(torch32.tensor([2.7])) == 2
    assert int(kindling.tensor(-2.7)) == -2
    assert int(kindling.tensor([2**62 + 1])) == 2**62 + 1  # exact, not through a double
    assert float(kindling.tensor(3)) == 3.0
    assert kindling.tensor([2**62 + 1]).item() == 2**62 + 1
    assert type(kindling.tensor([3]).item()) is int
    assert type(kindling.tensor(True).item()) is bool
    assert type(kindling.tensor(1.5).item()) is float
    for fn in (float, int):
        with pytest.raises(kindling.Error, match="only one element tensors can be converted"):
            fn(kindling.tensor([1.0, 2.0]))
    with pytest.raises(kindling.Error, match="does not fit int64"):
        kindling.tensor([1]) + 2**70
