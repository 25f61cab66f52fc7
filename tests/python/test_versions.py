# Version counters from Python: every in-place write kindling makes (optimizer steps, state-dict
# loads, gradient clipping, BatchNorm's running statistics) bumps the tensor's _version, and a
# backward that would read a tensor changed after its op used it raises kindling.Error naming the
# op, as PyTorch's "modified by an inplace operation" does (Note [version counters]).
import pytest

import kindling
from kindling import nn, optim

MODIFIED = "saved a tensor that was modified in place after it was saved"


def retained_square_loss(p):
    """sum(p * p), backward run once with the graph kept: mul's backward reads p."""
    loss = (p * p).sum()
    loss.backward(retain_graph=True)
    return loss


def test_version_starts_at_zero_and_views_share_it():
    p = kindling.tensor([1.0, 2.0]).requires_grad_()
    assert p._version == 0
    assert p.detach()._version == 0
    assert p.clone()._version == 0


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=0.1),
    lambda ps: optim.RMSprop(ps, lr=0.1),
])
def test_an_optimizer_step_bumps_and_a_stale_backward_refuses(make):
    p = kindling.tensor([1.0, 2.0]).requires_grad_()
    untouched = kindling.tensor([3.0]).requires_grad_()  # no grad: not stepped
    opt = make([p, untouched])
    loss = retained_square_loss(p)
    opt.step()
    assert p._version > 0
    assert untouched._version == 0
    with pytest.raises(kindling.Error, match="mul " + MODIFIED + r" \(input 1 of shape \(2\)"):
        loss.backward()


def test_a_step_after_backward_is_fine():
    # The usual loop: the graph is used up before the step, so nothing stale is ever read.
    p = kindling.tensor([1.0, 2.0]).requires_grad_()
    opt = optim.SGD([p], lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    assert p.tolist() == [0.0, 0.0]  # p - 0.5 * 2p


def test_load_state_dict_bumps_the_parameters():
    layer = nn.Linear(3, 2, seed=1)
    loss = retained_square_loss(layer.weight)
    before = layer.weight._version
    layer.load_state_dict(layer.state_dict())
    assert layer.weight._version > before
    with pytest.raises(kindling.Error, match=MODIFIED):
        loss.backward()


def test_gradient_clipping_bumps_the_grads():
    p = kindling.tensor([3.0, 4.0]).requires_grad_()
    (p * p).sum().backward()
    g = p.grad
    before = g._version  # mul's second share for p was added in place
    nn.clip_grad_norm_([p], 1.0)
    assert g._version == before + 1
    nn.clip_grad_value_([p], 0.1)
    assert g._version == before + 2


def test_batchnorm_running_statistics_bump():
    norm = nn.BatchNorm1d(2)
    norm(kindling.tensor([[1.0, 2.0], [3.0, 5.0]]))
    assert norm.running_mean._version == 1
    assert norm.running_var._version == 1
