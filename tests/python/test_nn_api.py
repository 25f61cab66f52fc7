# Issue 13's nn surface from Python, against torch 1.13: the traps (one seed one model with C++,
# Linear's dtype check, csv labels), nn.functional's names and the losses' shapes, the new modules,
# optimizers and schedulers (lr sequences and parameter trajectories), random_split / Subset /
# read_csv / csv_dataset / ProgressBar, and precision / recall / F1, the confusion matrix and the
# model summary.
import gzip
import io
import math
import struct
import warnings

import numpy as np
import pytest

import kindling
from kindling import nn, optim
from kindling.nn import functional as F

from test_tensor_nn import quadratic_problem


def as_np(t):
    return np.array(t.detach().numpy() if hasattr(t, "detach") else t)


def float_bits(values):
    return [struct.unpack("<I", struct.pack("<f", float(v)))[0] for v in values]


# ---- traps ---------------------------------------------------------------------------------------

# Note [one seed, one model] in tests/nn/test_nn_traps.cpp: these bits were recorded from C++'s
# mlp<ReLU>({3, 4, 2}, Generator(1)); the first four weights of each Linear.
SEED_BITS_FIRST = [0x3e6fefff, 0x3cc150f6, 0x3daf3f44, 0xbe007e98]
SEED_BITS_SECOND = [0xbed6ce7a, 0xbc0d8f0e, 0xbee88a42, 0xbedf58f7]


def test_mlp_seed_gives_the_model_cpp_gives():
    model = nn.mlp([3, 4, 2], seed=1)
    assert float_bits(as_np(model[0].weight).ravel()[:4]) == SEED_BITS_FIRST
    assert float_bits(as_np(model[2].weight).ravel()[:4]) == SEED_BITS_SECOND
    # The second layer continues the first one's generator (it did not before: seed + 1).
    assert float_bits(as_np(nn.Linear(4, 2, seed=1).weight).ravel()[:4]) != SEED_BITS_SECOND
    assert float_bits(as_np(nn.Linear(4, 2, seed=2).weight).ravel()[:4]) != SEED_BITS_SECOND
    again = nn.mlp([3, 4, 2], seed=1)
    for p, q in zip(model.parameters(), again.parameters()):
        np.testing.assert_array_equal(as_np(p), as_np(q))


@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_linear_refuses_another_dtype(torch, dtype):
    layer = nn.Linear(2, 3, seed=0)
    x = kindling.tensor([[1, 2]], dtype=dtype)
    with pytest.raises(kindling.Error, match=rf"Linear\(in=2, out=3\).*input dtype {dtype}.*"
                                             r"weight dtype float32"):
        layer(x)
    with pytest.raises(kindling.Error, match=rf"linear: input dtype {dtype}"):
        F.linear(x, layer.weight, layer.bias)
    # torch refuses too.
    ref = torch.nn.Linear(2, 3, dtype=torch.float32)
    with pytest.raises(RuntimeError):
        ref(torch.tensor([[1, 2]], dtype=getattr(torch, dtype)))


def test_csv_dataset_label_that_is_not_a_class(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("x,label\n1.0,0\n2.0,2.7\n")
    with pytest.raises(kindling.Error, match=r"labels\.csv.*line 3, column 2.*2\.7.*not a class"):
        nn.csv_dataset(str(path), 1)
    data = nn.csv_dataset(str(path), 0)  # the other way round, the labels are inputs
    np.testing.assert_array_equal(as_np(data.targets), [1, 2])
    np.testing.assert_allclose(as_np(data.inputs).ravel(), [0.0, 2.7], rtol=1e-6)


def test_read_csv_reads_gzip_and_says_what_it_cannot(tmp_path):
    text = "0,1,2\n3.5,4,1\n"
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    table = nn.read_csv(str(path), has_header=False)
    assert (table.rows, table.cols) == (2, 3)
    np.testing.assert_array_equal(as_np(table.tensor()), [[0, 1, 2], [3.5, 4, 1]])
    data = nn.csv_dataset(table, 2)
    np.testing.assert_array_equal(as_np(data.targets), [2, 1])
    assert as_np(data.inputs).dtype == np.float32
    # A truncated gzip file is an error naming it, not binary noise.
    broken = tmp_path / "broken.csv.gz"
    broken.write_bytes(gzip.compress(text.encode())[:12])
    with pytest.raises(kindling.Error, match="broken.csv.gz"):
        nn.read_csv(str(broken), has_header=False)


# ---- nn.functional -------------------------------------------------------------------------------

def pair(torch, values, grad=True):
    """The same float64 values as a kindling tensor and a torch tensor, both requiring grad."""
    a = np.asarray(values, dtype=np.float64)
    ours = kindling.tensor(a)
    ref = torch.from_numpy(a.copy())
    if grad:
        ours.requires_grad_()
        ref.requires_grad_()
    return ours, ref


def check_same(ours, ref, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(as_np(ours), ref.detach().numpy(), rtol=rtol, atol=atol)


def check_value_and_grad(torch, fn_ours, fn_ref, *arrays, rtol=1e-10):
    pairs = [pair(torch, a) for a in arrays]
    y, yr = fn_ours(*[p[0] for p in pairs]), fn_ref(*[p[1] for p in pairs])
    check_same(y, yr, rtol=rtol)
    # A weighted sum, so every output element's gradient path is checked.
    w = np.linspace(0.5, 1.5, max(int(np.prod(yr.shape)), 1)).reshape(yr.shape)
    (y * kindling.tensor(w)).sum().backward()
    (yr * torch.from_numpy(w)).sum().backward()
    for (o, r) in pairs:
        np.testing.assert_allclose(as_np(o.grad), r.grad.numpy(), rtol=rtol, atol=1e-12)


X = [[-2.0, -0.5, 0.0, 0.3], [1.5, 3.0, -1e-3, 25.0]]


@pytest.mark.parametrize("name,kwargs", [
    ("relu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
    ("sigmoid", {}), ("tanh", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}),
    ("softplus", {"beta": 2.0, "threshold": 10.0}), ("softmax", {"dim": 1}),
    ("log_softmax", {"dim": 0}), ("normalize", {}), ("normalize", {"p": 1.0, "dim": 0}),
])
def test_functional_activations_match_torch(torch, name, kwargs):
    check_value_and_grad(torch, lambda x: getattr(F, name)(x, **kwargs),
                         lambda x: getattr(torch.nn.functional, name)(x, **kwargs), X)


def test_softmax_without_dim_warns_and_picks_torchs_dim(torch):
    x, xr = pair(torch, np.arange(24.0).reshape(2, 3, 4) / 10, grad=False)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    with pytest.warns(UserWarning):
        check_same(y, torch.nn.functional.softmax(xr))


def test_normalize_zero_vector_stays_zero_with_torchs_gradient(torch):
    check_value_and_grad(torch, lambda x: F.normalize(x, dim=1),
                         lambda x: torch.nn.functional.normalize(x, dim=1),
                         [[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])


def test_linear_layer_norm_embedding_pad_dropout_match_torch(torch):
    rng = np.random.default_rng(0)
    xs, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4)), rng.normal(size=5)
    check_value_and_grad(torch, F.linear, torch.nn.functional.linear, xs, w, b)
    check_value_and_grad(torch, lambda x, w: F.linear(x, w), torch.nn.functional.linear, xs, w)
    g, bb = rng.normal(size=4), rng.normal(size=4)
    check_value_and_grad(torch, lambda x, g, b: F.layer_norm(x, [4], g, b),
                         lambda x, g, b: torch.nn.functional.layer_norm(x, [4], g, b), xs, g, bb)
    check_value_and_grad(torch, lambda x: F.layer_norm(x, (3, 4), eps=1e-3),
                         lambda x: torch.nn.functional.layer_norm(x, (3, 4), eps=1e-3), xs)
    idx = [[0, 2, 2], [4, 1, 0]]
    table, table_ref = pair(torch, rng.normal(size=(5, 3)))
    y = F.embedding(kindling.tensor(idx), table)
    yr = torch.nn.functional.embedding(torch.tensor(idx), table_ref)
    check_same(y, yr)
    y.sum().backward()
    yr.sum().backward()
    check_same(table.grad, table_ref.grad)
    for amounts, value in [((1, 2), 0.0), ((1, 1, 2, 0), -3.5), ((-1, 2, 0, -1), 7.0),
                           ((0, 0, 1, 1, 1, 0), 0.0)]:
        check_value_and_grad(torch, lambda x: F.pad(x, list(amounts), value=value),
                             lambda x: torch.nn.functional.pad(x, amounts, value=value), xs)
    with pytest.raises(kindling.Error, match="mode must be 'constant', 'reflect'"):
        F.pad(kindling.tensor(xs), [1, 1], mode="mirror")
    kindling.manual_seed(5)
    x = kindling.ones([4000])
    dropped = as_np(F.dropout(x, 0.25))
    assert set(np.unique(dropped)) == {0.0, np.float32(1.0 / 0.75)}
    assert 0.2 < (dropped == 0).mean() < 0.3
    np.testing.assert_array_equal(as_np(F.dropout(x, 0.25, training=False)), np.ones(4000))


LOSS_INPUT = [[0.2, 0.9, 0.01], [0.5, 1e-3, 0.999]]
LOSS_TARGET = [[0.0, 1.0, 0.3], [1.0, 0.0, 0.5]]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(torch, reduction):
    tf = torch.nn.functional
    check_value_and_grad(torch, lambda x, y: F.binary_cross_entropy(x, y, reduction=reduction),
                         lambda x, y: tf.binary_cross_entropy(x, y, reduction=reduction),
                         LOSS_INPUT, LOSS_TARGET, rtol=1e-9)
    for beta in (1.0, 0.25, 0.0):
        check_value_and_grad(
            torch, lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
            lambda x, y: tf.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
            [[0.2, 3.0, -1.0], [0.1, -0.6, 2.0]], LOSS_TARGET)
    logp = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.4, 0.0 + 1e-9]]))
    target = [[0.1, 0.0, 0.9], [0.5, 0.5, 0.0]]  # zeros contribute 0, as torch's xlogy
    red = "batchmean" if reduction == "mean" else reduction
    # The target as a constant: at a target of 0 torch's gradient for it is NaN, kindling's 0.
    target = np.asarray(target, dtype=np.float64)
    t, tr = kindling.tensor(target), torch.from_numpy(target)
    check_value_and_grad(torch, lambda x: F.kl_div(x, t, reduction=red),
                         lambda x: tf.kl_div(x, tr, reduction=red), logp)
    check_value_and_grad(torch, lambda x, y: F.kl_div(x, y, reduction=red, log_target=True),
                         lambda x, y: tf.kl_div(x, y, reduction=red, log_target=True),
                         logp, np.log(np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])))
    positive = [[0.1, 0.3, 0.6], [0.5, 0.4, 0.1]]  # both gradients where targets are positive
    check_value_and_grad(torch, lambda x, y: F.kl_div(x, y, reduction=red),
                         lambda x, y: tf.kl_div(x, y, reduction=red), logp, positive)


def test_kl_div_mean_warns_as_torch():
    x = kindling.tensor([[-1.0, -0.5]])
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(x, kindling.tensor([[0.5, 0.5]]))


def test_binary_cross_entropy_edges(torch):
    # Probabilities of exactly 0 and 1: each log is clamped at -100, as torch's.
    x = kindling.tensor([0.0, 1.0, 0.0, 1.0])
    y = kindling.tensor([1.0, 0.0, 0.0, 1.0])
    ref = torch.nn.functional.binary_cross_entropy(torch.tensor([0.0, 1.0, 0.0, 1.0]),
                                                   torch.tensor([1.0, 0.0, 0.0, 1.0]),
                                                   reduction="none")
    check_same(F.binary_cross_entropy(x, y, reduction="none"), ref)
    for bad in ([1.5, 0.5], [-0.1, 0.5], [math.nan, 0.5]):
        with pytest.raises(kindling.Error, match=r"binary_cross_entropy: every input must be a "
                                                 r"probability in \[0, 1\]"):
            F.binary_cross_entropy(kindling.tensor(bad), kindling.tensor([0.0, 1.0]))
    with pytest.raises(kindling.Error, match=r"binary_cross_entropy: input \(2\) and target "
                                             r"\(2,1\) differ in shape"):
        F.binary_cross_entropy(kindling.tensor([0.5, 0.5]), kindling.tensor([[0.0], [1.0]]))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_and_nll_take_torchs_three_layouts(torch, reduction, label_smoothing):
    rng = np.random.default_rng(1)
    tf = torch.nn.functional
    cases = [
        (rng.normal(size=5), np.array(3)),                       # unbatched (C,), 0-d target
        (rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)),   # (N, C)
        (rng.normal(size=(2, 5, 3)), rng.integers(0, 5, size=(2, 3))),        # (N, C, d)
        (rng.normal(size=(2, 5, 3, 2)), rng.integers(0, 5, size=(2, 3, 2))),  # (N, C, d1, d2)
    ]
    for logits, target in cases:
        t, tr = kindling.tensor(target, dtype="int64"), torch.from_numpy(target).long()
        check_value_and_grad(
            torch, lambda z: F.cross_entropy(z, t, reduction=reduction,
                                             label_smoothing=label_smoothing),
            lambda z: tf.cross_entropy(z, tr, reduction=reduction,
                                       label_smoothing=label_smoothing), logits)
        if label_smoothing == 0.0:
            check_value_and_grad(torch, lambda z: F.nll_loss(z, t, reduction=reduction),
                                 lambda z: tf.nll_loss(z, tr, reduction=reduction), logits)
            check_value_and_grad(torch,
                                 lambda z: nn.NLLLoss(reduction=reduction)(
                                     F.log_softmax(z, dim=0 if z.ndim == 1 else 1), t),
                                 lambda z: torch.nn.NLLLoss(reduction=reduction)(
                                     tf.log_softmax(z, dim=0 if z.ndim == 1 else 1), tr), logits)


def test_class_losses_name_the_shapes_and_targets():
    z = kindling.zeros([2, 5, 3])
    with pytest.raises(kindling.Error, match=r"nll_loss: input \(2,5,3\) and target \(2,5\)"):
        F.nll_loss(z, kindling.zeros([2, 5], dtype="int64"))
    with pytest.raises(kindling.Error, match=r"cross_entropy: logits \(2,5,3\) and targets "
                                             r"\(2,5\)"):
        F.cross_entropy(z, kindling.zeros([2, 5], dtype="int64"))
    with pytest.raises(kindling.Error, match=r"nll_loss: target 7 is outside 0\.\.4"):
        F.nll_loss(kindling.zeros([2, 5]), kindling.tensor([1, 7]))


def test_mse_loss_broadcasts_with_torchs_warning(torch):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3, 1)), rng.normal(size=(3,))
    for fn, ref in [(F.mse_loss, torch.nn.functional.mse_loss),
                    (F.l1_loss, torch.nn.functional.l1_loss),
                    (F.smooth_l1_loss, torch.nn.functional.smooth_l1_loss)]:
        for reduction in ("mean", "sum", "none"):
            with pytest.warns(UserWarning, match=r"Using a target size \(\(3,\)\) that is "
                                                 r"different to the input size \(\(3, 1\)\)"):
                y = fn(kindling.tensor(a), kindling.tensor(b), reduction=reduction)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check_same(y, ref(torch.from_numpy(a), torch.from_numpy(b), reduction=reduction))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same shapes: no warning
        F.mse_loss(kindling.tensor(b), kindling.tensor(b))
    # nn.mse_loss (the tensor / Value dispatcher) and MSELoss go the same way.
    with pytest.warns(UserWarning):
        nn.MSELoss()(kindling.tensor(a), kindling.tensor(b))


# ---- modules -------------------------------------------------------------------------------------

def test_identity_softmax_logsoftmax_silu_leakyrelu_modules(torch):
    x, xr = pair(torch, np.arange(24.0).reshape(2, 3, 4) / 7 - 1.5, grad=False)
    check_same(nn.Identity(54, unused="x")(x), xr)
    for dim in (0, 1, -1):
        check_same(nn.Softmax(dim=dim)(x), torch.nn.Softmax(dim=dim)(xr))
        check_same(nn.LogSoftmax(dim)(x), torch.nn.LogSoftmax(dim)(xr))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(x)
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        z = nn.LogSoftmax()(x[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the implicit dim too
        check_same(y, torch.nn.Softmax()(xr))  # implicit dim 0 for 3 dims
        check_same(z, torch.nn.LogSoftmax()(xr[0]))  # dim 1 for 2 dims
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an explicit dim: no warning
        nn.Softmax(dim=1)(x)
    check_same(nn.SiLU()(x), torch.nn.SiLU()(xr))
    check_same(nn.LeakyReLU(0.3)(x), torch.nn.LeakyReLU(0.3)(xr))
    assert "dim=1" in repr(nn.Sequential(nn.Softmax(dim=1)))


def test_bce_losses_as_modules(torch):
    x, xr = pair(torch, LOSS_INPUT)
    y, yr = pair(torch, LOSS_TARGET, grad=False)
    check_same(nn.BCELoss()(x, y), torch.nn.BCELoss()(xr, yr))
    check_same(nn.BCELoss(reduction="sum")(x, y), torch.nn.BCELoss(reduction="sum")(xr, yr))
    check_same(nn.SmoothL1Loss(beta=0.5)(x, y), torch.nn.SmoothL1Loss(beta=0.5)(xr, yr))
    check_same(nn.KLDivLoss(reduction="batchmean")(x, y),
               torch.nn.KLDivLoss(reduction="batchmean")(xr, yr))


class Tower(nn.Module):
    """A model holding its layers in a ModuleList and its heads in a ModuleDict."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4, seed=i) for i in range(3)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2, seed=7), "b": nn.Linear(4, 1, seed=8)})

    def forward(self, x):
        for block in self.blocks:
            x = nn.functional.relu(block(x))
        return self.heads["a"](x)


def test_module_list_and_dict_register_their_modules():
    model = Tower()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                     "blocks.2.weight", "blocks.2.bias", "heads.a.weight", "heads.a.bias",
                     "heads.b.weight", "heads.b.bias"]
    assert len(model.blocks) == 3 and model.blocks[-1] is model.blocks[2]
    assert list(model.heads) == ["a", "b"] and "b" in model.heads and "c" not in model.heads
    assert [k for k, _ in model.heads.items()] == ["a", "b"]
    with pytest.raises(KeyError):
        model.heads["c"]
    with pytest.raises(IndexError):
        model.blocks[3]
    model.blocks.append(nn.Linear(4, 4, seed=9))
    model.blocks.extend([nn.ReLU()])
    assert len(model.blocks) == 5
    assert model(kindling.ones([2, 4])).shape == (2, 2)
    state = model.state_dict()
    assert "blocks.3.weight" in state and "heads.b.bias" in state
    with pytest.raises(kindling.Error, match="ModuleList: forward"):
        model.blocks(kindling.ones([1, 4]))
    with pytest.raises(kindling.Error, match="already registered"):
        model.heads["a"] = nn.ReLU()
    # Modules written in Python stay alive inside the containers.
    holder = nn.ModuleList([Tower()])
    import gc
    gc.collect()
    assert holder[0](kindling.ones([1, 4])).shape == (1, 2)


# ---- optimizers and schedulers -------------------------------------------------------------------

NEW_OPTIMIZERS = [
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3,
                     eps=1e-6)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, eps=1e-5)),
    ("RAdam", dict(lr=0.05)),  # rho_t > 5 from step 6 on with beta2 0.999: both branches
    ("RAdam", dict(lr=0.05, betas=(0.7, 0.9), weight_decay=0.1)),
]


@pytest.mark.parametrize("name,options", NEW_OPTIMIZERS)
def test_new_optimizer_trajectories_match_torch(torch, name, options):
    ours, refs, loss_ours, loss_ref = quadratic_problem(torch, 7)
    opt = getattr(optim, name)(ours, **options)
    ref_opt = getattr(torch.optim, name)(refs, **options)
    for _ in range(10):
        opt.zero_grad()
        ref_opt.zero_grad()
        loss_ours().backward()
        loss_ref().backward()
        opt.step()
        ref_opt.step()
        for p, q in zip(ours, refs):
            np.testing.assert_allclose(as_np(p), q.detach().numpy(), rtol=1e-10, atol=1e-12)
    state = opt.state_dict()
    again = getattr(optim, name)(ours, **options)
    again.load_state_dict(state)
    assert again.step_count == 10


def nadam_reference(torch, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    momentum_decay=4e-3):
    """torch 1.13's NAdam update written out with the paper's product prod_{i<=t+1} mu_i (torch
    1.13 multiplies mu_t in twice there; torch 2.0 fixed it, Note [NAdam's product])."""
    beta1, beta2 = betas
    state = {"t": 0, "mu_product": 1.0,
             "m": [torch.zeros_like(p) for p in params], "v": [torch.zeros_like(p) for p in params]}

    def step():
        state["t"] += 1
        t = state["t"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        state["mu_product"] *= mu
        product, product_next = state["mu_product"], state["mu_product"] * mu_next
        with torch.no_grad():
            for p, m, v in zip(params, state["m"], state["v"]):
                g = p.grad if weight_decay == 0 else p.grad.add(p, alpha=weight_decay)
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                denom = v.div(1 - beta2 ** t).sqrt().add_(eps)
                p.addcdiv_(g, denom, value=-lr * (1.0 - mu) / (1.0 - product))
                p.addcdiv_(m, denom, value=-lr * mu_next / (1.0 - product_next))
    return step


@pytest.mark.parametrize("options", [dict(lr=0.05), dict(lr=0.05, betas=(0.8, 0.99),
                                                         weight_decay=0.1, momentum_decay=0.01)])
def test_nadam_trajectory_matches_the_reference(torch, options):
    ours, refs, loss_ours, loss_ref = quadratic_problem(torch, 8)
    opt = optim.NAdam(ours, **options)
    ref_step = nadam_reference(torch, refs, **options)
    for _ in range(8):
        opt.zero_grad()
        for q in refs:
            q.grad = None
        loss_ours().backward()
        loss_ref().backward()
        opt.step()
        ref_step()
    for p, q in zip(ours, refs):
        np.testing.assert_allclose(as_np(p), q.detach().numpy(), rtol=1e-10, atol=1e-12)
    # torch 1.13's own first step differs only through that product.
    _, refs13, _, loss13 = quadratic_problem(torch, 8)
    torch_opt = torch.optim.NAdam(refs13, **options)
    loss13().backward()
    torch_opt.step()
    assert not np.allclose(refs13[0].detach().numpy(), refs[0].detach().numpy())


def lr_sequence(opt, scheduler, steps, momentum=None):
    lrs, momenta = [opt.lr], []
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(opt.lr)
    return lrs


def torch_lr_sequence(torch_opt, scheduler, steps):
    lrs = [torch_opt.param_groups[0]["lr"]]
    for _ in range(steps):
        torch_opt.step()
        scheduler.step()
        lrs.append(torch_opt.param_groups[0]["lr"])
    return lrs


SCHEDULERS = [
    ("MultiStepLR", dict(milestones=[3, 7, 7, 12], gamma=0.5), 15),
    ("MultiStepLR", dict(milestones=[0, 4]), 6),
    ("ExponentialLR", dict(gamma=0.9), 12),
    ("LinearLR", dict(), 8),
    ("LinearLR", dict(start_factor=0.5, end_factor=0.1, total_iters=4), 8),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=20), 20),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=17, pct_start=0.25, anneal_strategy="linear",
                        div_factor=10.0, final_div_factor=100.0), 17),
    ("OneCycleLR", dict(max_lr=0.3, epochs=3, steps_per_epoch=5, three_phase=True), 15),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=10, cycle_momentum=False), 10),
]


@pytest.mark.parametrize("name,options,steps", SCHEDULERS)
def test_scheduler_lr_sequences_match_torch(torch, name, options, steps):
    p = kindling.zeros([2]).requires_grad_()
    pr = torch.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    torch_opt = torch.optim.SGD([pr], lr=0.1, momentum=0.9)
    ours = getattr(optim.lr_scheduler, name)(opt, **options)
    ref = getattr(torch.optim.lr_scheduler, name)(torch_opt, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch_lr_sequence(torch_opt, ref, steps)
    np.testing.assert_allclose(lr_sequence(opt, ours, steps), expected, rtol=1e-12, atol=1e-15)


def test_one_cycle_cycles_beta1_and_stops_at_total_steps(torch):
    p = kindling.zeros([2]).requires_grad_()
    pr = torch.zeros(2, requires_grad=True)
    opt, torch_opt = optim.Adam([p], lr=0.1), torch.optim.Adam([pr], lr=0.1)
    ours = optim.OneCycleLR(opt, max_lr=1.0, total_steps=6)
    ref = torch.optim.lr_scheduler.OneCycleLR(torch_opt, max_lr=1.0, total_steps=6)
    betas = [opt.momentum]
    expected = [torch_opt.param_groups[0]["betas"][0]]
    for _ in range(6):
        ours.step()
        ref.step()
        betas.append(opt.momentum)
        expected.append(torch_opt.param_groups[0]["betas"][0])
    np.testing.assert_allclose(betas, expected, rtol=1e-12)
    with pytest.raises(kindling.Error, match="OneCycleLR: tried to step 8 times; the specified "
                                             "number of total steps is 6"):
        ours.step()
    assert optim.Adagrad([p]).momentum is None
    assert opt.state_dict()["beta1"].item() == opt.momentum
    with pytest.raises(kindling.Error, match="Adagrad has no momentum to cycle"):
        optim.OneCycleLR(optim.Adagrad([p]), max_lr=1.0, total_steps=6)


def test_lambda_lr_matches_torch(torch):
    p = kindling.zeros([2]).requires_grad_()
    pr = torch.zeros(2, requires_grad=True)
    opt, torch_opt = optim.SGD([p], lr=0.5), torch.optim.SGD([pr], lr=0.5)
    fn = lambda epoch: 1.0 / (1.0 + epoch) ** 0.5  # noqa: E731
    ours = optim.LambdaLR(opt, fn)
    ref = torch.optim.lr_scheduler.LambdaLR(torch_opt, fn)
    np.testing.assert_allclose(lr_sequence(opt, ours, 9), torch_lr_sequence(torch_opt, ref, 9),
                               rtol=1e-14)


# ---- data helpers --------------------------------------------------------------------------------

def test_random_split_and_subset():
    x = kindling.tensor(np.arange(20.0).reshape(10, 2))
    y = kindling.tensor(np.arange(10), dtype="int64")
    data = nn.TensorDataset(x, y)
    train, test = nn.random_split(data, [7, 3], seed=4)
    assert (len(train), len(test)) == (7, 3)
    together = sorted(train.indices + test.indices)
    assert together == list(range(10))  # a partition
    assert train.dataset is data
    again, _ = nn.random_split(data, [7, 3], seed=4)
    assert again.indices == train.indices  # the seed decides the order
    inputs, targets = train[0]
    assert int(targets.item()) == train.indices[0]
    np.testing.assert_array_equal(as_np(inputs), [2 * train.indices[0], 2 * train.indices[0] + 1])
    batches = list(nn.DataLoader(train, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 3]
    assert sorted(int(v) for b in batches for v in as_np(b[1])) == sorted(train.indices)
    parts = nn.random_split(data, [0.5, 0.3, 0.2], seed=1)
    assert [len(s) for s in parts] == [5, 3, 2]
    parts = nn.random_split(nn.TensorDataset(x[:7], y[:7]), [0.5, 0.5], seed=1)
    assert [len(s) for s in parts] == [4, 3]  # the remainder goes to the first, as torch's
    sub = nn.Subset(data, [9, 0, 9])
    np.testing.assert_array_equal(as_np(sub.get_batch([0, 1, 2])[1]), [9, 0, 9])
    with pytest.raises(kindling.Error, match=r"random_split: lengths \(7, 2\) add up to 9, not "
                                             r"to the data set's 10 samples"):
        nn.random_split(data, [7, 2])
    with pytest.raises(kindling.Error, match="Subset: index 10 at position 1 is out of range"):
        nn.Subset(data, [0, 10])


def test_progress_bar_lines():
    out = io.StringIO()
    bar = nn.ProgressBar(20, "epoch 1", file=out)
    assert not bar.interactive
    for i in range(1, 21):
        bar.update(i, f"loss {1 / i:.2f}")
    bar.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10  # one per tenth of the run
    assert lines[0].startswith("epoch 1 [###...........................] 2/20")
    assert lines[0].endswith("loss 0.50")
    assert lines[-1].startswith("epoch 1 [##############################] 20/20")
    tty = io.StringIO()
    items = list(nn.ProgressBar(range(3), "x", file=tty, interactive=True))
    assert items == [0, 1, 2]
    assert tty.getvalue().count("\r") == 3 and tty.getvalue().endswith("\n")


# ---- metrics -------------------------------------------------------------------------------------

PRED = [0, 2, 1, 1, 0, 2, 2, 1, 0, 0]
TRUE = [0, 1, 1, 1, 2, 2, 2, 0, 0, 2]


def test_precision_recall_f1_by_hand():
    # Class 0: predicted at 0, 4, 8, 9 (right at 0, 8): precision 2/4; true at 0, 7, 8: recall 2/3.
    # Class 1: predicted at 2, 3, 7 (right at 2, 3): 2/3; true at 1, 2, 3: 2/3.
    # Class 2: predicted at 1, 5, 6 (right at 5, 6): 2/3; true at 4, 5, 6, 9: 2/4.
    p = [2 / 4, 2 / 3, 2 / 3]
    r = [2 / 3, 2 / 3, 2 / 4]
    f = [2 * a * b / (a + b) for a, b in zip(p, r)]
    pred, true = kindling.tensor(PRED), kindling.tensor(TRUE)
    cm = nn.ConfusionMatrix(3)
    cm.update(pred, true)
    np.testing.assert_allclose(cm.precision(None), p)
    np.testing.assert_allclose(cm.recall(None), r)
    np.testing.assert_allclose(cm.f1(None), f)
    assert cm.precision() == pytest.approx(np.mean(p))
    support = [3, 3, 4]
    assert cm.recall("weighted") == pytest.approx(np.dot(r, support) / 10)
    assert cm.f1("micro") == pytest.approx(0.6) == cm.accuracy()
    assert nn.precision(pred, true, 3) == pytest.approx(np.mean(p))
    assert nn.recall(pred, true, 3, average="weighted") == pytest.approx(np.dot(r, support) / 10)
    np.testing.assert_allclose(nn.f1_score(pred, true, 3, average=None), f)
    # A class never predicted has precision 0 (scikit-learn's zero_division=0), not NaN.
    assert nn.precision(kindling.tensor([0, 0]), kindling.tensor([0, 1]), 2, None) == [0.5, 0.0]
    with pytest.raises(kindling.Error, match="average must be"):
        cm.precision("samples")


def test_precision_recall_f1_match_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    pred, true = kindling.tensor(PRED), kindling.tensor(TRUE)
    for average in ("macro", "micro", "weighted"):
        assert nn.precision(pred, true, 3, average) == pytest.approx(
            metrics.precision_score(TRUE, PRED, average=average))
        assert nn.recall(pred, true, 3, average) == pytest.approx(
            metrics.recall_score(TRUE, PRED, average=average))
        assert nn.f1_score(pred, true, 3, average) == pytest.approx(
            metrics.f1_score(TRUE, PRED, average=average))


def test_confusion_matrix_header_and_errors():
    cm = nn.ConfusionMatrix(3)
    cm.update(kindling.tensor(PRED), kindling.tensor(TRUE))
    lines = str(cm).splitlines()
    assert lines[0] == "true \\ predicted"
    assert lines[1].split() == ["0", "1", "2"]
    assert lines[2].split() == ["0", "2", "1", "0"]  # true 0: predicted 0 twice, 1 once
    labelled = cm.to_string(["cat", "dog", "bird"]).splitlines()
    assert labelled[3].split() == ["1", "dog", "0", "2", "1"]
    with pytest.raises(kindling.Error, match=r"ConfusionMatrix: prediction 12 at index 3 is "
                                             r"outside 0\.\.9 \(num_classes 10\)"):
        nn.ConfusionMatrix(10).update(kindling.tensor([0, 1, 2, 12]), kindling.tensor([0, 1, 2, 3]))
    with pytest.raises(kindling.Error, match=r"target -1 at index 0 is outside 0\.\.2"):
        cm.update(kindling.tensor([0]), kindling.tensor([-1]))
    assert cm.total == 10  # the bad batches counted nothing


def test_model_summary():
    model = nn.Sequential(nn.Linear(64, 32, seed=0), nn.ReLU(), nn.Sequential(
        nn.Linear(32, 10, seed=1), nn.LogSoftmax(dim=1)))
    rows = nn.summarize(model, kindling.zeros([4, 64]))
    assert [(r["name"], r["type"], r["depth"], r["output_shape"], r["parameters"]) for r in rows] == [
        ("", "Sequential", 0, (4, 10), 64 * 32 + 32 + 32 * 10 + 10),
        ("0", "Linear", 1, (4, 32), 64 * 32 + 32),
        ("1", "ReLU", 1, (4, 32), 0),
        ("2", "Sequential", 1, (4, 10), 330),
        ("2.0", "Linear", 2, (4, 10), 330),
        ("2.1", "LogSoftmax", 2, (4, 10), 0),
    ]
    text = nn.summary(model, (4, 64))
    assert "Total params: 2,410" in text and "Trainable params: 2,410" in text
    line = next(l for l in text.splitlines() if "0 (Linear)" in l)
    assert "(4,32)" in line and line.rstrip().endswith("2,080")
    # A model written in Python: its submodules are found through their calls.
    rows = nn.summarize(Tower(), kindling.zeros([2, 4]))
    assert [r["name"] for r in rows] == ["", "blocks.0", "blocks.1", "blocks.2", "heads.a"]


def test_csv_without_header_keeps_its_first_row_and_the_last_column_is_the_target(tmp_path):
    import gzip

    path = tmp_path / "digits_like.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write("0.0,1.5,3\n2.0,0.5,1\n")
    data = nn.csv_dataset(str(path))  # no header row (sklearn's digits.csv.gz has none)
    assert len(data) == 2
    inputs, targets = data[0]
    assert inputs.tolist() == [0.0, 1.5] and targets.item() == 3
    assert nn.read_csv(str(path)).rows == 2
    assert nn.read_csv(str(path), has_header=True).rows == 1
