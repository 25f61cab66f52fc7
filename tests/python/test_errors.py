# C++ exceptions arrive in Python with their message unchanged: kindling::error as kindling.Error,
# a subclass of ValueError (Note [error mapping] in python/src/module.cpp).
import math
import os

import pytest

import kindling
from kindling import Value, nn


def test_error_is_a_value_error():
    assert issubclass(kindling.Error, ValueError)


def test_wrong_input_count_names_the_counts():
    with pytest.raises(kindling.Error) as caught:
        nn.Neuron(3, seed=0)([1.0, 2.0])
    assert str(caught.value) == "Neuron: expected 3 inputs, got 2"
    with pytest.raises(ValueError, match=r"^Neuron: expected 2 inputs, got 4$"):
        nn.MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: nn.MLP(2, []), "MLP: needs at least one layer"),
        (lambda: nn.make_moons(1), "make_moons: need at least 2 points, got 1"),
        (lambda: nn.make_moons(10, noise=-0.5), "make_moons: noise must be >= 0, got -0.5"),
        (lambda: nn.svm_loss([Value(1.0)], [1.0, -1.0], []), "svm_loss: 1 scores and 2 labels"),
        (lambda: nn.mse_loss([], []), "mse_loss: 0 predictions and 0 targets"),
        (lambda: nn.sign_accuracy([Value(1.0)], []), "sign_accuracy: 1 scores and 0 labels"),
        (lambda: Value(1.0).local_derivative(0),
         "local_derivative: leaf has 0 inputs, asked for input 0"),
        (lambda: kindling.to_dot(Value(1.0), rankdir="RL"),
         "to_dot: rankdir must be 'LR' or 'TB', got 'RL'"),
    ],
)
def test_messages_arrive_unchanged(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert type(caught.value) is kindling.Error
    assert str(caught.value) == message


def test_unwritable_path_names_the_path(tmp_path):
    path = str(tmp_path / "no" / "such" / "folder" / "graph.dot")
    with pytest.raises(ValueError) as caught:
        kindling.to_dot(Value(1.0)).save(path)
    assert str(caught.value) == "write_text_file: cannot open '%s' for writing" % path
    assert not os.path.exists(path)


def test_anomaly_mode_names_the_op_forward_and_backward():
    with pytest.raises(ValueError, match=r"^log: result is -?nan for input a = -1"):
        with kindling.detect_anomaly():
            Value(-1.0).log()
    # The switch is restored after the exception, so NaN propagates quietly again.
    assert not kindling.is_anomaly_enabled()
    assert math.isnan(Value(-1.0).log().data)

    # sqrt at 0 is finite forward (0) but its derivative 0.5 / sqrt(0) is infinite.
    x = Value(0.0)
    y = x**0.5
    with kindling.detect_anomaly():
        with pytest.raises(kindling.Error, match=r"^backward of pow: gradient of input a is inf"):
            y.backward()
    y.backward()  # without anomaly mode the infinity simply propagates
    assert x.grad == math.inf


def test_python_errors_in_dot_hooks_propagate():
    def bad_hook(value):
        raise KeyError("from the hook")

    with pytest.raises(KeyError, match="from the hook"):
        kindling.to_dot(Value(1.0) + 2.0, node_attributes=bad_hook)


def test_bad_argument_types_raise_type_error():
    with pytest.raises(TypeError):
        nn.Neuron(2, seed=0)(["a", "b"])
    with pytest.raises(TypeError):
        nn.Neuron(2, seed=0)(Value(1.0))  # a single Value is not a list of inputs
    with pytest.raises(TypeError):
        nn.MLP(2, 3)


def test_bad_indices_are_kindling_errors_and_index_errors():
    t = kindling.ones([3, 2])
    for bad in (lambda: t[5], lambda: t[kindling.tensor([4])], lambda: t[0, 0, 0],
                lambda: nn.Sequential(nn.Linear(1, 1))[3]):
        with pytest.raises(kindling.Error, match="out of|too many"):
            bad()
        with pytest.raises(IndexError):
            bad()
    assert issubclass(kindling.IndexError, kindling.Error)
    assert issubclass(kindling.IndexError, IndexError)
    assert kindling.IndexError.__module__ == "kindling"
    # Python's sequence protocol still stops at the end.
    assert len(list(nn.TensorDataset(kindling.ones([3, 1]), kindling.zeros([3])))) == 3
