# Tests of kindling.nn's tensor modules, kindling.optim, the DataLoader, kindling.save/load and
# the metrics from Python: forward, backward and optimizer steps against PyTorch with the same
# weights and inputs (float64, so both agree to rounding), data batching, error mapping and a
# bounded memory footprint over many creations.
import gc
import os

import numpy as np
import pytest

import kindling
from kindling import nn, optim

from conftest import close


def as_np(t):
    return np.array(t.detach().numpy() if hasattr(t, "detach") else t)


def torch_linear_like(torch, layer):
    """A torch.nn.Linear holding a copy of a kindling Linear's weights."""
    ref = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(as_np(layer.weight)))
        ref.bias.copy_(torch.from_numpy(as_np(layer.bias)))
    return ref


def mlp_pair(torch, sizes, seed):
    ours = nn.Sequential(*[m for i in range(len(sizes) - 1) for m in (
        [nn.Linear(sizes[i], sizes[i + 1], seed=seed + i, dtype="float64")] +
        ([nn.ReLU()] if i + 2 < len(sizes) else []))])
    layers = []
    for module in ours:
        layers.append(torch_linear_like(torch, module) if isinstance(module, nn.Linear)
                      else torch.nn.ReLU())
    return ours, torch.nn.Sequential(*layers)


def test_linear_forward_and_backward_match_torch(torch):
    layer = nn.Linear(5, 3, seed=4, dtype="float64")
    ref = torch_linear_like(torch, layer)
    x = np.random.default_rng(1).normal(size=(7, 5))
    out = layer(kindling.tensor(x))
    ref_out = ref(torch.from_numpy(x))
    np.testing.assert_allclose(as_np(out), ref_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    (out * out).sum().backward()
    (ref_out * ref_out).sum().backward()
    np.testing.assert_allclose(as_np(layer.weight.grad), ref.weight.grad.numpy(), rtol=1e-11)
    np.testing.assert_allclose(as_np(layer.bias.grad), ref.bias.grad.numpy(), rtol=1e-11)


def test_linear_initialisation_is_torchs_uniform_bound():
    layer = nn.Linear(400, 30, seed=1)
    w = as_np(layer.weight)
    bound = 1 / np.sqrt(400)
    assert w.shape == (30, 400) and np.all(np.abs(w) <= bound)
    # U(-b, b) has standard deviation b / sqrt(3): far from it means a wrong distribution.
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound


def test_mlp_cross_entropy_gradients_match_torch(torch):
    ours, ref = mlp_pair(torch, [6, 16, 8, 4], seed=10)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(9, 6)), rng.integers(0, 4, size=9)
    loss = nn.functional.cross_entropy(ours(kindling.tensor(x)), kindling.tensor(y))
    ref_loss = torch.nn.functional.cross_entropy(ref(torch.from_numpy(x)), torch.from_numpy(y))
    assert close(loss.item(), ref_loss.item(), rel=1e-12)
    loss.backward()
    ref_loss.backward()
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(as_np(p.grad), q.grad.numpy(), rtol=1e-10, atol=1e-13,
                                   err_msg=name)


@pytest.mark.parametrize("loss_name", ["mse_loss", "l1_loss", "binary_cross_entropy_with_logits"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_torch(torch, loss_name, reduction):
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(4, 3)), rng.uniform(size=(4, 3))
    ta = kindling.tensor(a).requires_grad_()
    ra = torch.from_numpy(a).requires_grad_()
    out = getattr(nn.functional, loss_name)(ta, kindling.tensor(b), reduction=reduction)
    ref = getattr(torch.nn.functional, loss_name)(ra, torch.from_numpy(b), reduction=reduction)
    np.testing.assert_allclose(as_np(out), ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(as_np(ta.grad), ra.grad.numpy(), rtol=1e-11, atol=1e-14)


def test_loss_classes_and_mse_dispatch(torch):
    rng = np.random.default_rng(4)
    logits, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    out = nn.CrossEntropyLoss(label_smoothing=0.1)(kindling.tensor(logits), kindling.tensor(y))
    ref = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(torch.from_numpy(logits),
                                                          torch.from_numpy(y))
    assert close(out.item(), ref.item())
    # nn.mse_loss takes tensors (torch's) and lists of Values (micrograd's demo) alike.
    assert close(nn.mse_loss(kindling.tensor([1.0, 2.0]), kindling.tensor([0.0, 0.0])).item(), 2.5)
    assert close(nn.mse_loss([kindling.Value(1.0), kindling.Value(2.0)], [0.0, 0.0]).data, 2.5)


def test_layers_match_torch(torch):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4))
    for ours, ref in [(nn.GELU(), torch.nn.GELU()), (nn.Tanh(), torch.nn.Tanh()),
                      (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.ReLU(), torch.nn.ReLU()),
                      (nn.LeakyReLU(), torch.nn.LeakyReLU()),
                      (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
                      (nn.ELU(), torch.nn.ELU()), (nn.ELU(alpha=0.5), torch.nn.ELU(alpha=0.5)),
                      (nn.Softplus(), torch.nn.Softplus()),
                      (nn.Softplus(beta=2.0, threshold=1.0),
                       torch.nn.Softplus(beta=2.0, threshold=1.0)),
                      (nn.LayerNorm(4, dtype="float64"), torch.nn.LayerNorm(4))]:
        np.testing.assert_allclose(as_np(ours(kindling.tensor(x))),
                                   ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=repr(ours))
    # BatchNorm1d: batch statistics in training (and running ones updated), running ones in eval.
    ours, ref = nn.BatchNorm1d(4, dtype="float64"), torch.nn.BatchNorm1d(4)
    for _ in range(3):
        batch = rng.normal(loc=2.0, size=(8, 4))
        np.testing.assert_allclose(as_np(ours(kindling.tensor(batch))),
                                   ref(torch.from_numpy(batch)).detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    np.testing.assert_allclose(as_np(ours.running_var), ref.running_var.numpy(), rtol=1e-12)
    ours.eval()
    ref.eval()
    assert not ours.training
    np.testing.assert_allclose(as_np(ours(kindling.tensor(x))),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    flat = nn.Flatten()(kindling.zeros([2, 3, 4]))
    assert flat.shape == (2, 12)
    emb = nn.Embedding(10, 3, seed=1)
    looked = emb(kindling.tensor(np.array([[1, 9], [9, 0]])))
    assert looked.shape == (2, 2, 3)
    np.testing.assert_array_equal(as_np(looked)[0, 1], as_np(emb.weight)[9])


def test_dropout_train_and_eval():
    kindling.manual_seed(3)
    drop = nn.Dropout(0.5)
    x = kindling.ones([2000])
    y = as_np(drop(x))
    assert set(np.unique(y)) == {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    drop.eval()
    np.testing.assert_array_equal(as_np(drop(x)), np.ones(2000))


def quadratic_problem(torch, seed):
    """Parameters and a loss whose gradients change every step, in both libraries."""
    rng = np.random.default_rng(seed)
    w0, b0 = rng.normal(size=(3, 4)), rng.normal(size=3)
    x, t = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    ours = [kindling.tensor(w0).requires_grad_(), kindling.tensor(b0).requires_grad_()]
    refs = [torch.from_numpy(w0.copy()).requires_grad_(),
            torch.from_numpy(b0.copy()).requires_grad_()]

    def loss_ours():
        y = kindling.tensor(x) @ ours[0].T + ours[1]
        return ((y - kindling.tensor(t)) ** 2).sum() + (ours[0] ** 4).sum() * 0.1

    def loss_ref():
        y = torch.from_numpy(x) @ refs[0].T + refs[1]
        return ((y - torch.from_numpy(t)) ** 2).sum() + (refs[0] ** 4).sum() * 0.1

    return ours, refs, loss_ours, loss_ref


OPTIMIZERS = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.5, dampening=0.3)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, eps=1e-6)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.05)),
]


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("name,options", OPTIMIZERS)
def test_optimizer_steps_match_torch(torch, name, options, fused):
    ours, refs, loss_ours, loss_ref = quadratic_problem(torch, 6)
    opt = getattr(optim, name)(ours, **options)
    opt.set_use_fused(fused)
    ref_opt = getattr(torch.optim, name)(refs, **options)
    for _ in range(6):
        opt.zero_grad()
        ref_opt.zero_grad()
        loss_ours().backward()
        loss_ref().backward()
        opt.step()
        ref_opt.step()
    assert opt.step_count == 6
    for p, q in zip(ours, refs):
        np.testing.assert_allclose(as_np(p), q.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_optimizer_state_dict_resumes_exactly(torch):
    ours, _, loss_ours, _ = quadratic_problem(torch, 7)
    straight = optim.Adam(ours, lr=0.05)
    for _ in range(3):
        straight.zero_grad()
        loss_ours().backward()
        straight.step()
    state = {k: v.clone() for k, v in straight.state_dict().items()}
    params = [p.detach().clone() for p in ours]
    for _ in range(2):
        straight.zero_grad()
        loss_ours().backward()
        straight.step()
    expected = [as_np(p).copy() for p in ours]
    # Back to the saved point, a fresh optimizer loads the state and takes the same two steps.
    for p, saved in zip(ours, params):
        p.numpy()[...] = saved.numpy()
    resumed = optim.Adam(ours, lr=0.05)
    resumed.load_state_dict(state)
    assert resumed.step_count == 3
    for _ in range(2):
        resumed.zero_grad()
        loss_ours().backward()
        resumed.step()
    for p, e in zip(ours, expected):
        np.testing.assert_array_equal(as_np(p), e)


def test_clip_grad_norm_and_value_match_torch(torch):
    ours, refs, loss_ours, loss_ref = quadratic_problem(torch, 8)
    loss_ours().backward()
    loss_ref().backward()
    norm = nn.clip_grad_norm_(ours, 1.0)
    ref_norm = torch.nn.utils.clip_grad_norm_(refs, 1.0)
    assert close(norm, ref_norm.item(), rel=1e-11)
    for p, q in zip(ours, refs):
        np.testing.assert_allclose(as_np(p.grad), q.grad.numpy(), rtol=1e-11)
    nn.clip_grad_value_(ours, 0.01)
    torch.nn.utils.clip_grad_value_(refs, 0.01)
    for p, q in zip(ours, refs):
        np.testing.assert_allclose(as_np(p.grad), q.grad.numpy(), rtol=1e-12)


def test_schedulers_match_torch(torch):
    def lrs(make_ours, make_ref, steps=12):
        p = kindling.zeros([1]).requires_grad_()
        q = torch.zeros(1, requires_grad=True)
        opt, ref_opt = optim.SGD([p], lr=0.1), torch.optim.SGD([q], lr=0.1)
        s, r = make_ours(opt), make_ref(ref_opt)
        ours, ref = [], []
        for _ in range(steps):
            ref_opt.step()  # torch warns when the scheduler steps before the optimizer
            s.step()
            r.step()
            ours.append(opt.lr)
            ref.append(ref_opt.param_groups[0]["lr"])
        return ours, ref

    ours, ref = lrs(lambda o: optim.StepLR(o, 3, 0.5),
                    lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5))
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    ours, ref = lrs(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, 10, 0.01),
                    lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10, 0.01), steps=10)
    np.testing.assert_allclose(ours, ref, rtol=1e-9)
    ours, ref = lrs(lambda o: optim.LinearWarmup(o, 4, 0.25),
                    lambda o: torch.optim.lr_scheduler.LinearLR(o, 0.25, 1.0, 4))
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_scheduler_keeps_its_optimizer_alive():
    p = kindling.zeros([1]).requires_grad_()
    scheduler = optim.StepLR(optim.SGD([p], lr=1.0), 1, 0.5)
    gc.collect()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.5]


def test_save_load_round_trip(tmp_path):
    model = nn.mlp([8, 16, 4], seed=1)
    path = str(tmp_path / "model.safetensors")
    kindling.save(model, path, metadata={"epoch": "3"})
    state, metadata = kindling.load(path, with_metadata=True)
    assert metadata == {"epoch": "3"}
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    other = nn.mlp([8, 16, 4], seed=99)
    x = kindling.randn([3, 8])
    assert not np.allclose(as_np(other(x)), as_np(model(x)))
    other.load_state_dict(kindling.load(path))
    np.testing.assert_array_equal(as_np(other(x)), as_np(model(x)))
    # A dict of tensors of each dtype comes back bit for bit.
    tensors = {"f32": kindling.tensor(np.float32([1.5, -2.25])),
               "f64": kindling.tensor(np.array([[np.pi]])),
               "i64": kindling.tensor(np.array([2**40, -7]))}
    kindling.save(tensors, path)
    back = kindling.load(path)
    for name, t in tensors.items():
        assert back[name].dtype == t.dtype
        np.testing.assert_array_equal(as_np(back[name]), as_np(t))


def test_safetensors_bytes_are_the_documented_format(tmp_path):
    """An independent reader (the format written out in a few lines of NumPy) sees our file."""
    import json
    import struct
    path = tmp_path / "t.safetensors"
    kindling.save({"w": kindling.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))}, str(path))
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    begin, end = header["w"]["data_offsets"]
    assert header["w"]["dtype"] == "F32" and header["w"]["shape"] == [2, 3]
    data = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype="<f4").reshape(2, 3)
    np.testing.assert_array_equal(data, np.arange(6).reshape(2, 3))


def test_dataloader_batches_cover_the_data_once():
    x = np.arange(23 * 2, dtype=np.float32).reshape(23, 2)
    y = np.arange(23)
    data = nn.TensorDataset(x, y)
    assert len(data) == 23
    xi, yi = data[5]
    np.testing.assert_array_equal(as_np(xi), x[5])
    assert yi.item() == 5
    loader = nn.DataLoader(data, batch_size=5)
    batches = list(loader)
    assert len(loader) == len(batches) == 5
    assert [b[0].shape[0] for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.concatenate([as_np(b[1]) for b in batches]), y)
    assert len(nn.DataLoader(data, batch_size=5, drop_last=True)) == 4
    assert [b[0].shape[0] for b in nn.DataLoader(data, batch_size=5, drop_last=True)] == [5] * 4


def test_dataloader_seeded_shuffle():
    x = np.arange(40, dtype=np.float64).reshape(20, 2)
    y = np.arange(20)
    data = nn.TensorDataset(x, y)

    def epochs(seed, count=3):
        loader = nn.DataLoader(data, batch_size=6, shuffle=True, seed=seed)
        result = []
        for _ in range(count):
            order = []
            for inputs, targets in loader:
                # Rows stay paired with their targets.
                np.testing.assert_array_equal(as_np(inputs), x[as_np(targets)])
                order.extend(as_np(targets).tolist())
            result.append(order)
        return result

    a, b, c = epochs(1), epochs(1), epochs(2)
    assert a == b
    assert all(sorted(order) == list(range(20)) for order in a)
    assert a[0] != a[1] and a[0] != c[0]
    assert a[0] != list(range(20))


def test_dataloader_keeps_a_temporary_dataset_alive():
    """The C++ loader holds a reference to its data set; the binding keeps it alive."""
    loader = nn.DataLoader(nn.TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2),
                                            np.arange(6)), batch_size=4)
    gc.collect()
    targets = np.concatenate([as_np(t) for _, t in loader])
    np.testing.assert_array_equal(targets, np.arange(6))


def test_reader_and_writer_failures_are_kindling_errors(tmp_path):
    import struct
    # A directory used to raise RuntimeError (std::ios_base::failure).
    with pytest.raises(kindling.Error, match="directory"):
        kindling.load(str(tmp_path))
    # A shape nested 100,000 deep used to overflow the stack.
    deep = (b'{"a":{"dtype":"F32","shape":' + b"[" * 100000 + b"]" * 100000 +
            b',"data_offsets":[0,0]}}')
    path = tmp_path / "deep.safetensors"
    path.write_bytes(struct.pack("<Q", len(deep)) + deep)
    with pytest.raises(kindling.Error, match="deep.safetensors"):
        kindling.load(str(path))
    # A failed save says why (errno's text) and leaves no temporary behind.
    missing = tmp_path / "missing" / "x.safetensors"
    with pytest.raises(kindling.Error, match="No such file or directory"):
        kindling.save({"w": kindling.tensor(np.ones(2, dtype=np.float32))}, str(missing))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep.safetensors"]


def test_fashion_mnist_loader_when_installed():
    folder = nn.fashion_mnist_dir()
    if not os.path.exists(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")):
        pytest.skip("dataset-fashion-mnist is not installed")
    test = nn.fashion_mnist("test")
    assert len(test) == 10000
    assert test.inputs.shape == (10000, 784) and test.inputs.dtype == "float32"
    images, labels = as_np(test.inputs), as_np(test.targets)
    assert images.min() >= 0.0 and images.max() <= 1.0
    # The test set is balanced: 1000 images of each of the 10 classes.
    np.testing.assert_array_equal(np.bincount(labels), [1000] * 10)
    assert len(nn.FASHION_MNIST_LABELS) == 10


def test_metrics_against_numpy():
    rng = np.random.default_rng(9)
    logits, y = rng.normal(size=(50, 4)), rng.integers(0, 4, size=50)
    predicted = logits.argmax(axis=1)
    assert close(nn.accuracy(kindling.tensor(logits), kindling.tensor(y)), (predicted == y).mean())
    cm = nn.ConfusionMatrix(4)
    cm.update(kindling.tensor(logits), kindling.tensor(y))
    expected = np.zeros((4, 4), dtype=np.int64)
    np.add.at(expected, (y, predicted), 1)
    np.testing.assert_array_equal(cm.numpy(), expected)
    assert cm.total == 50 and close(cm.accuracy(), (predicted == y).mean())
    # A computed value is a method, a stored one a property (Note [properties and methods]).
    running = nn.RunningMean()
    running.add(2.0)
    running.add(4.0, weight=3.0)
    assert running.mean() == 3.5  # (2 * 1 + 4 * 3) / 4
    assert cm.num_classes == 4


def test_module_walks_and_modes():
    model = nn.Sequential(nn.Linear(3, 4, seed=1), nn.Dropout(0.2), nn.BatchNorm1d(4))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    assert [n for n, _ in model.named_buffers()] == ["2.running_mean", "2.running_var",
                                                     "2.num_batches_tracked"]
    assert model.num_parameters() == 3 * 4 + 4 + 4 + 4
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "2"]
    assert model.eval() is model and not any(m.training for _, m in model.named_modules())
    model.train()
    assert all(m.training for _, m in model.named_modules())
    assert "Linear(in_features=3, out_features=4" in repr(model)
    out = model(kindling.randn([5, 3])).sum()
    out.backward()
    assert model[0].weight.grad is not None
    model.zero_grad()
    assert model[0].weight.grad is None
    assert len(model) == 3 and isinstance(model[-1], nn.BatchNorm1d)


class Residual(nn.Module):
    """A module written in Python: a submodule, a parameter, and forward in Python."""

    def __init__(self, width):
        super().__init__("Residual")
        self.fc = nn.Linear(width, width, seed=2, dtype="float64")
        self.register_parameter("scale", kindling.ones([width], dtype="float64"))

    def forward(self, x):
        return x + self.fc(x).tanh() * self.scale


def test_python_subclass_matches_torch_and_outlives_its_handle(torch):
    block = Residual(3)
    assert [n for n, _ in block.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    model = nn.Sequential(block, nn.ReLU())
    del block
    gc.collect()  # the Python half of Residual must survive: forward is written there
    x = np.random.default_rng(3).normal(size=(4, 3))
    ref_fc = torch_linear_like(torch, model[0].fc)
    ref = torch.relu(torch.from_numpy(x) + torch.tanh(ref_fc(torch.from_numpy(x))))
    np.testing.assert_allclose(as_np(model(kindling.tensor(x))), ref.detach().numpy(), rtol=1e-12)


def test_errors_map_to_value_error_with_the_cpp_message():
    layer = nn.Linear(4, 2)
    with pytest.raises(ValueError, match=r"Linear\(in=4, out=2\): input of shape \(3,5\)"):
        layer(kindling.zeros([3, 5]))
    with pytest.raises(kindling.Error, match="0.weight"):
        nn.Sequential(nn.Linear(2, 2)).load_state_dict({"weight": kindling.zeros([2, 2])})
    with pytest.raises(ValueError, match="reduction"):
        nn.functional.mse_loss(kindling.zeros([2]), kindling.zeros([2]), reduction="avg")
    with pytest.raises(ValueError, match="device"):
        layer.to("tpu")
    with pytest.raises(ValueError):
        nn.TensorDataset(kindling.zeros([3, 2]), kindling.zeros([4]))


def test_bad_safetensors_file_is_a_value_error(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ValueError, match="bad.safetensors"):
        kindling.load(str(path))
    with pytest.raises(ValueError):
        kindling.load(str(tmp_path / "missing.safetensors"))


def test_cuda_reports_consistently():
    assert kindling.cuda.is_available() == (kindling.cuda.device_count() > 0)
    if not kindling.cuda.is_available():
        assert kindling.cuda.unavailable_reason() != ""
        with pytest.raises(ValueError):
            kindling.zeros([2]).to("cuda")
    else:
        model = nn.Linear(3, 2, seed=1)
        x = kindling.randn([4, 3])
        expected = as_np(model(x))
        model.to("cuda")
        assert model.weight.device == "cuda:0"
        np.testing.assert_allclose(as_np(model(x.to("cuda")).to("cpu")), expected, rtol=1e-5,
                                   atol=1e-6)


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_is_bounded_over_10000_creations():
    def churn(count):
        for _ in range(count):
            model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
            opt = optim.Adam(model.parameters())
            loss = model(kindling.randn([8, 16])).sum()
            loss.backward()
            opt.step()
            _ = model.state_dict()

    churn(500)  # warm up allocator pools and pybind11's type caches
    gc.collect()
    before = rss_bytes()
    churn(10_000)
    gc.collect()
    grown = rss_bytes() - before
    # Each iteration allocates about 10 KB of tensors; a leak of even one would be ~100 MB here.
    assert grown < 16 * 1024 * 1024, f"resident memory grew by {grown / 2**20:.1f} MB"


def test_reduce_lr_on_plateau_matches_torch(torch):
    metrics = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    p = kindling.zeros([1]).requires_grad_()
    q = torch.zeros(1, requires_grad=True)
    opt, ref_opt = optim.SGD([p], lr=1.0), torch.optim.SGD([q], lr=1.0)
    ours = optim.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, factor=0.5, patience=2, cooldown=1,
                                                     min_lr=0.1)
    lrs, ref_lrs = [], []
    for metric in metrics:
        ours.step(metric)
        ref.step(metric)
        lrs.append(opt.lr)
        ref_lrs.append(ref_opt.param_groups[0]["lr"])
    assert lrs == pytest.approx(ref_lrs, rel=1e-12)
    assert min(lrs) < 1.0  # the sequence does reduce, so the comparison is not vacuous
    with pytest.raises(TypeError):  # the metric is required, as in torch
        ours.step()


def test_deeply_nested_modules_walk_free_and_refuse_a_too_deep_forward():
    # Module walks and teardown do not recurse; a forward nested past the documented limit
    # (kindling's engine::kMaxScopeDepth, 10000) is kindling.Error, not a stack overflow.
    model = nn.Sequential(nn.Linear(3, 2, seed=1))
    for _ in range(20000):
        model = nn.Sequential(model)
    assert len(model.parameters()) == 2
    assert model.named_parameters()[0][0] == "0." * 20000 + "0.weight"
    with pytest.raises(kindling.Error, match="module nesting deeper than 10000"):
        model(kindling.randn([2, 3]))
    del model
    gc.collect()
    # named_modules: every prefix, outermost first.
    model = nn.Sequential(nn.Linear(3, 2, seed=1))
    for _ in range(500):
        model = nn.Sequential(model)
    names = [n for n, _ in model.named_modules()]
    assert len(names) == 502 and names[:3] == ["", "0", "0.0"]
    assert names[-1] == ".".join(["0"] * 501)
    assert all(isinstance(m, nn.Module) for _, m in model.named_modules())
