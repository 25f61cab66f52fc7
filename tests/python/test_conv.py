# Issue 17: conv2d, the pools, batch_norm, pad, unfold and fold against PyTorch, values and
# gradients, on random shapes with every combination of stride, padding, dilation and groups,
# non-contiguous inputs, float32 and float64; and the errors for bad shapes.
import itertools
import random

import numpy as np
import pytest

import kindling
import kindling.nn.functional as KF


def pair(torch, k_out, t_out, k_leaves, t_leaves, rel, what):
    got = k_out.numpy()
    want = t_out.detach().numpy()
    assert got.shape == want.shape, what
    np.testing.assert_allclose(got, want, rtol=rel, atol=rel, err_msg=what + " forward")
    upstream = np.random.default_rng(7).standard_normal(want.shape).astype(want.dtype)
    (k_out * kindling.from_numpy(upstream)).sum().backward()
    (t_out * torch.from_numpy(upstream)).sum().backward()
    for i, (k, t) in enumerate(zip(k_leaves, t_leaves)):
        np.testing.assert_allclose(k.grad.numpy(), t.grad.numpy(), rtol=rel * 10, atol=rel * 10,
                                   err_msg=f"{what} grad {i}")


def leaves(torch, shapes, dtype, transposed=False, seed=0):
    rng = np.random.default_rng(seed)
    k_list, t_list, k_in, t_in = [], [], [], []
    for shape in shapes:
        a = rng.standard_normal(shape).astype(dtype)
        if transposed and len(shape) == 4:
            # A non-contiguous input: the transpose of a (N, C, W, H) buffer.
            base = np.ascontiguousarray(np.swapaxes(a, 2, 3))
            k = kindling.from_numpy(base)
            k.requires_grad = True
            t = torch.tensor(base, requires_grad=True)
            k_list.append(k)
            t_list.append(t)
            k_in.append(k.transpose(2, 3))
            t_in.append(t.transpose(2, 3))
            continue
        k = kindling.from_numpy(np.ascontiguousarray(a))
        k.requires_grad = True
        t = torch.tensor(a, requires_grad=True)
        k_list += [k]
        t_list += [t]
        k_in += [k]
        t_in += [t]
    return k_list, t_list, k_in, t_in


CONV_CASES = [
    # (N, C, H, W, O, kh, kw, stride, padding, dilation, groups)
    (c[0],) + c[1:]
    for c in itertools.product([1, 3], [4], [7], [6], [6], [1, 3], [2], [1, 2], [0, 1],
                               [1, 2], [1, 2])
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_torch(torch, case):
    n, c, h, w, o, kh, kw, s, p, d, g = case
    if h + 2 * p < d * (kh - 1) + 1 or w + 2 * p < d * (kw - 1) + 1:
        pytest.skip("no window fits")
    dtype = np.float64
    k, t, ki, ti = leaves(torch, [(n, c, h, w), (o, c // g, kh, kw), (o,)], dtype,
                          transposed=(s == 2), seed=hash(case) % 1000)
    out_k = KF.conv2d(ki[0], ki[1], ki[2], stride=s, padding=p, dilation=d, groups=g)
    out_t = torch.nn.functional.conv2d(ti[0], ti[1], ti[2], stride=s, padding=p, dilation=d,
                                       groups=g)
    pair(torch, out_k, out_t, k, t, 1e-10, f"conv2d {case}")


def test_conv2d_random_shapes_float32(torch):
    rnd = random.Random(17)
    for trial in range(25):
        g = rnd.choice([1, 2, 3])
        c, o = g * rnd.randint(1, 3), g * rnd.randint(1, 3)
        kh, kw = rnd.randint(1, 4), rnd.randint(1, 4)
        s = (rnd.randint(1, 3), rnd.randint(1, 3))
        p = (rnd.randint(0, 2), rnd.randint(0, 2))
        d = (rnd.randint(1, 2), rnd.randint(1, 2))
        h = rnd.randint(d[0] * (kh - 1) + 1, 12)
        w = rnd.randint(d[1] * (kw - 1) + 1, 12)
        n = rnd.randint(1, 3)
        k, t, ki, ti = leaves(torch, [(n, c, h, w), (o, c // g, kh, kw), (o,)], np.float32,
                              transposed=trial % 2 == 1, seed=trial)
        out_k = KF.conv2d(ki[0], ki[1], ki[2], s, p, d, g)
        out_t = torch.nn.functional.conv2d(ti[0], ti[1], ti[2], s, p, d, g)
        pair(torch, out_k, out_t, k, t, 2e-4, f"conv2d trial {trial}")


def test_conv2d_without_bias_and_frozen_weight(torch):
    k, t, ki, ti = leaves(torch, [(2, 3, 8, 8), (5, 3, 3, 3)], np.float64)
    ki[1].requires_grad = False
    ti[1].requires_grad = False
    out_k = KF.conv2d(ki[0], ki[1], padding=1)
    out_t = torch.nn.functional.conv2d(ti[0], ti[1], padding=1)
    pair(torch, out_k, out_t, k[:1], t[:1], 1e-10, "conv2d no bias")


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil", [
    (2, None, 0, 1, False), (3, 2, 1, 1, False), ((2, 3), (1, 2), (1, 1), 1, False),
    (3, 2, 1, 2, False), (3, 2, 0, 1, True), (2, 2, 1, 1, True)])
def test_max_pool2d_matches_torch(torch, kernel, stride, padding, dilation, ceil):
    for dtype in (np.float32, np.float64):
        k, t, ki, ti = leaves(torch, [(2, 3, 9, 8)], dtype, transposed=True)
        out_k, idx_k = KF.max_pool2d(ki[0], kernel, stride, padding, dilation, ceil, True)
        out_t, idx_t = torch.nn.functional.max_pool2d(ti[0], kernel, stride, padding, dilation,
                                                      ceil, True)
        np.testing.assert_array_equal(idx_k.numpy(), idx_t.numpy())
        pair(torch, out_k, out_t, k, t, 1e-6, "max_pool2d")


def test_max_pool2d_ties_and_nan_as_torch(torch):
    a = np.array([[[[1.0, 1.0, 0.0, np.nan, np.nan, 3.0], [1.0, 0.5, 2.0, 2.0, np.nan, 1.0]]]])
    out_k, idx_k = KF.max_pool2d(kindling.from_numpy(a), 2, return_indices=True)
    out_t, idx_t = torch.nn.functional.max_pool2d(torch.tensor(a), 2, return_indices=True)
    np.testing.assert_array_equal(idx_k.numpy(), idx_t.numpy())
    np.testing.assert_array_equal(out_k.numpy(), out_t.numpy())


@pytest.mark.parametrize("kernel,stride,padding,include", [
    (2, None, 0, True), (3, 2, 1, True), (3, 2, 1, False), ((3, 2), (2, 1), (1, 0), False)])
def test_avg_pool2d_matches_torch(torch, kernel, stride, padding, include):
    k, t, ki, ti = leaves(torch, [(2, 3, 9, 8)], np.float64, transposed=True)
    out_k = KF.avg_pool2d(ki[0], kernel, stride, padding, count_include_pad=include)
    out_t = torch.nn.functional.avg_pool2d(ti[0], kernel, stride, padding,
                                           count_include_pad=include)
    pair(torch, out_k, out_t, k, t, 1e-12, "avg_pool2d")


@pytest.mark.parametrize("size", [1, (3, 4), (4, 3), 5, (2, 7)])
def test_adaptive_avg_pool2d_matches_torch(torch, size):
    k, t, ki, ti = leaves(torch, [(2, 3, 9, 8)], np.float64)
    pair(torch, KF.adaptive_avg_pool2d(ki[0], size),
         torch.nn.functional.adaptive_avg_pool2d(ti[0], size), k, t, 1e-12, "adaptive")


def test_batch_norm_training_and_eval_match_torch(torch):
    k, t, ki, ti = leaves(torch, [(4, 3, 5, 6), (3,), (3,)], np.float64)
    rm_k, rv_k = kindling.zeros([3], dtype=kindling.float64), kindling.ones([3], dtype=kindling.float64)
    rm_t, rv_t = torch.zeros(3), torch.ones(3)
    out_k = KF.batch_norm(ki[0], rm_k, rv_k, ki[1], ki[2], True, 0.1, 1e-5)
    out_t = torch.nn.functional.batch_norm(ti[0], rm_t, rv_t, ti[1], ti[2], True, 0.1, 1e-5)
    pair(torch, out_k, out_t, k, t, 1e-10, "batch_norm training")
    np.testing.assert_allclose(rm_k.numpy(), rm_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv_k.numpy(), rv_t.numpy(), rtol=1e-12)
    k, t, ki, ti = leaves(torch, [(4, 3, 5, 6), (3,), (3,)], np.float64, seed=3)
    out_k = KF.batch_norm(ki[0], rm_k, rv_k, ki[1], ki[2], False)
    out_t = torch.nn.functional.batch_norm(ti[0], rm_t, rv_t, ti[1], ti[2], False)
    pair(torch, out_k, out_t, k, t, 1e-10, "batch_norm eval")


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes_match_torch(torch, mode):
    k, t, ki, ti = leaves(torch, [(2, 3, 5, 6)], np.float64)
    amounts = [2, 1, 0, 3] if mode != "constant" else [2, -1, 1, 3]
    pair(torch, KF.pad(ki[0], amounts, mode), torch.nn.functional.pad(ti[0], amounts, mode),
         k, t, 1e-12, "pad " + mode)


def test_unfold_and_fold_match_torch(torch):
    k, t, ki, ti = leaves(torch, [(2, 3, 7, 6)], np.float64, transposed=True)
    pair(torch, KF.unfold(ki[0], (3, 2), 2, 1, (2, 1)),
         torch.nn.functional.unfold(ti[0], (3, 2), 2, 1, (2, 1)), k, t, 1e-12, "unfold")
    k, t, ki, ti = leaves(torch, [(2, 12, 12)], np.float64)
    pair(torch, KF.fold(ki[0], (5, 6), 2, 1, 0, (1, 2)),
         torch.nn.functional.fold(ti[0], (5, 6), 2, 1, 0, (1, 2)), k, t, 1e-12, "fold")


def test_conv2d_twice_differentiable_like_torch(torch):
    k, t, ki, ti = leaves(torch, [(2, 2, 6, 5), (4, 1, 3, 2)], np.float64)
    gk = kindling.autograd.grad(KF.conv2d(ki[0], ki[1], stride=2, padding=1, groups=2).square().sum(),
                                [ki[0], ki[1]], create_graph=True)
    gt = torch.autograd.grad(torch.nn.functional.conv2d(ti[0], ti[1], stride=2, padding=1,
                                                        groups=2).square().sum(),
                             [ti[0], ti[1]], create_graph=True)
    (gk[0].square().sum() + gk[1].square().sum()).backward()
    (gt[0].square().sum() + gt[1].square().sum()).backward()
    for a, b in zip(k, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("call,words", [
    (lambda: KF.conv2d(kindling.zeros([1, 3, 4, 4]), kindling.zeros([2, 3, 5, 5])),
     ["conv2d", "(1,3,4,4)", "(2,3,5,5)", "smaller than the kernel"]),
    (lambda: KF.conv2d(kindling.zeros([1, 3, 4, 4]), kindling.zeros([4, 1, 3, 3]), groups=2),
     ["conv2d", "(1,3,4,4)", "(4,1,3,3)", "divisible by groups = 2"]),
    (lambda: KF.conv2d(kindling.zeros([3, 4, 4]), kindling.zeros([2, 3, 3, 3])),
     ["conv2d", "4-d input", "(3,4,4)"]),
    (lambda: KF.conv2d(kindling.zeros([1, 3, 4, 4]), kindling.zeros([2, 2, 3, 3])),
     ["conv2d", "3 channels", "(2,2,3,3)"]),
    (lambda: KF.max_pool2d(kindling.zeros([1, 1, 4, 4]), 2, padding=2),
     ["max_pool2d", "padding", "half"]),
    (lambda: KF.conv2d(kindling.zeros([1, 1, 4, 4]), kindling.zeros([1, 1, 2, 2]), stride=0),
     ["conv2d", "stride", "positive"]),
    (lambda: KF.pad(kindling.zeros([1, 1, 4, 4]), [4, 0], "reflect"),
     ["pad", "reflect", "less than the size"]),
])
def test_bad_shapes_raise_kindling_error_naming_the_op_and_shapes(call, words):
    with pytest.raises(kindling.Error) as info:
        call()
    for word in words:
        assert word in str(info.value)


# ---- nn modules: torch's state_dict names and layouts, initialisation, DOT ----------------------

def write_safetensors(path, tensors):
    """A safetensors writer of our own (the format: 8-byte little-endian header length, the JSON
    header, the raw little-endian data), so that torch's weights reach kindling through the file
    format without the safetensors package."""
    import json
    import struct
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.array(array, order="C")  # ascontiguousarray would make a 0-d array 1-d
        dtype = {np.dtype("float32"): "F32", np.dtype("float64"): "F64",
                 np.dtype("int64"): "I64"}[array.dtype]
        data = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def torch_cnn(torch):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                          tnn.MaxPool2d(2), tnn.Conv2d(4, 6, 3, stride=2, groups=2),
                          tnn.ReLU(), tnn.AvgPool2d(2), tnn.AdaptiveAvgPool2d((2, 2)),
                          tnn.Flatten(), tnn.Identity(),
                          tnn.Linear(24, 3)).float()


def kindling_cnn():
    knn = kindling.nn
    return knn.Sequential(knn.Conv2d(1, 4, 3, padding=1), knn.BatchNorm2d(4), knn.ReLU(),
                          knn.MaxPool2d(2), knn.Conv2d(4, 6, 3, stride=2, groups=2), knn.ReLU(),
                          knn.AvgPool2d(2), knn.AdaptiveAvgPool2d((2, 2)), knn.Flatten(),
                          knn.Identity(), knn.Linear(24, 3))


def test_weights_trained_in_torch_load_and_give_the_same_logits(torch, tmp_path):
    torch.manual_seed(0)
    model = torch_cnn(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(8, 1, 16, 16, dtype=torch.float32)
    for _ in range(3):  # trained a little, so the batch-norm statistics are not their defaults
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    model.eval()
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    path = tmp_path / "torch_cnn.safetensors"
    write_safetensors(path, state)
    ours = kindling_cnn()
    assert [name for name, _ in ours.state_dict().items()] == list(state)
    ours.load_state_dict(kindling.load(str(path)))
    ours.eval()
    probe = np.random.default_rng(3).standard_normal((5, 1, 16, 16)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(probe)).numpy()
    got = ours(kindling.from_numpy(probe)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_batch_norm2d_training_updates_the_buffers_as_torch(torch):
    ours, theirs = kindling.nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3).float()
    for seed in range(3):
        x = np.random.default_rng(seed).standard_normal((4, 3, 5, 5)).astype(np.float32)
        np.testing.assert_allclose(ours(kindling.from_numpy(x)).numpy(),
                                   theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
    state = ours.state_dict()
    for name, t in theirs.state_dict().items():
        np.testing.assert_allclose(state[name].numpy(), t.numpy(), rtol=1e-5, atol=1e-6)


def test_conv2d_is_initialised_as_torch(torch):
    conv = kindling.nn.Conv2d(6, 32, (3, 5), groups=2, seed=1)
    bound = 1.0 / np.sqrt(3 * 3 * 5)  # fan_in = in / groups * kh * kw
    w, b = conv.weight.numpy(), conv.bias.numpy()
    assert w.shape == (32, 3, 3, 5) and b.shape == (32,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound
    # U(-bound, bound) has variance bound^2 / 3: torch's kaiming_uniform(a = sqrt(5)).
    assert abs(w.var() - bound ** 2 / 3) < 0.1 * bound ** 2 / 3
    assert "Conv2d(6, 32, kernel_size=(3, 5), stride=(1, 1), groups=2)" in repr(conv)


def test_dropout2d_zeroes_whole_channels():
    kindling.manual_seed(5)
    x = kindling.ones([4, 8, 3, 3])
    y = kindling.nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(4, 8, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()
    layer = kindling.nn.Dropout2d(0.5)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_dot_of_a_cnn_has_its_ops_and_module_clusters():
    model = kindling_cnn()
    loss = model(kindling.randn([2, 1, 16, 16])).sum()
    source = kindling.to_dot(loss, params=dict(model.named_parameters())).source
    for needle in ["conv2d", "max_pool2d", "0.weight", "4.weight", "subgraph \"cluster_",
                   "Conv2d", "BatchNorm2d"]:
        assert needle in source, needle
    if kindling.dot_available():
        assert "<svg" in kindling.to_dot(loss)._repr_svg_()
