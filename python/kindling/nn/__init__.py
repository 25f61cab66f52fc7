"""kindling.nn: neural networks, on tensors and on scalars.

Tensor modules, as torch.nn (the base class is ``kindling.nn.Module``), with the losses as
modules (MSELoss, CrossEntropyLoss, ...) and as functions (kindling.nn.functional), data sets and
the DataLoader, metrics, and safetensors checkpoints through kindling.save / kindling.load:

    >>> from kindling import nn, optim
    >>> model = nn.Sequential(nn.Linear(784, 256, seed=0), nn.ReLU(), nn.Linear(256, 10, seed=1))
    >>> x, y = kindling.randn(32, 784, seed=2), kindling.randint(10, (32,), seed=3)
    >>> loss = nn.functional.cross_entropy(model(x), y)
    >>> opt = optim.SGD(model.parameters(), lr=0.1)
    >>> model.zero_grad(); loss.backward(); opt.step()
    >>> model[0].weight.grad.shape
    (256, 784)

micrograd's scalar networks on kindling.Value keep their names, Neuron, Layer and MLP; their base
class is ``kindling.nn.ScalarModule`` (it was ``Module`` before the tensor modules arrived):

    >>> model = nn.MLP(2, [16, 16, 1], seed=1)
    >>> score = model([0.5, -1.0])       # one output: a Value; several: a list of Values
    >>> loss = nn.svm_loss([score], [1.0], model.parameters())
    >>> model.zero_grad(); loss.backward(); nn.sgd_step(model.parameters(), lr=0.1)
    >>> type(score).__name__
    'Value'
"""

from .. import _kindling
from .._kindling.nn import (  # noqa: F401  (re-exported)
    MLP,
    Layer,
    Neuron,
    ScalarModule,
    make_moons,
    manual_seed,
    sgd_step,
    sign_accuracy,
    svm_loss,
)
from .._kindling.nn import mse_loss as _scalar_mse_loss

for _cls in (MLP, Layer, Neuron, ScalarModule):
    _cls.__module__ = "kindling.nn"
del _cls

__all__ = [
    "MLP",
    "Layer",
    "Neuron",
    "ScalarModule",
    "make_moons",
    "manual_seed",
    "mse_loss",
    "sgd_step",
    "sign_accuracy",
    "svm_loss",
]


def mse_loss(predictions, targets, *args, **kwargs):
    """``mean((prediction - target)^2)``, on tensors or on lists of Values.

    With a kindling.Tensor it is :func:`kindling.nn.functional.mse_loss` (``reduction`` too);
    otherwise micrograd's demo form on Values and numbers, giving a Value.

    Raises:
        kindling.Error: as the form used says (shapes that do not broadcast; counts of Values
            and targets that differ, or none).

    Example:
        >>> kindling.nn.mse_loss(kindling.tensor([1.0, 2.0]), kindling.tensor([3.0, 2.0]))
        tensor(2.0000)
        >>> kindling.nn.mse_loss([kindling.Value(1.0)], [3.0])
        Value(data=4.0000, grad=0.0000)
    """
    if isinstance(predictions, _kindling.Tensor):
        return functional.mse_loss(predictions, targets, *args, **kwargs)
    return _scalar_mse_loss(predictions, targets, *args, **kwargs)


from .._kindling.nn import (  # noqa: F401
    FASHION_MNIST_LABELS,
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout2d,
    MaxPool2d,
    Identity,
    LogSoftmax,
    ModuleDict,
    ModuleList,
    SiLU,
    Softmax,
    ConfusionMatrix,
    CsvTable,
    DataLoader,
    Dataset,
    Dropout,
    ELU,
    Embedding,
    Flatten,
    LayerNorm,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    RunningMean,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    Subset,
    TensorDataset,
    accuracy,
    csv_dataset,
    f1_score,
    fashion_mnist,
    fashion_mnist_dir,
    precision,
    random_split,
    read_csv,
    recall,
    summarize,
    summary,
)
from ._progress import ProgressBar  # noqa: F401
from . import functional  # noqa: F401
from .functional import clip_grad_norm, clip_grad_value  # noqa: F401

for _cls in (AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Dropout2d, MaxPool2d,
             CsvTable, Subset, Identity, LogSoftmax, ModuleDict, ModuleList, SiLU, Softmax, GELU, BatchNorm1d, ConfusionMatrix, DataLoader, Dataset, Dropout, ELU, Embedding,
             Flatten, LayerNorm, LeakyReLU, Linear, Module, ReLU, RunningMean, Sequential,
             Sigmoid, Softplus, Tanh, TensorDataset):
    _cls.__module__ = "kindling.nn"
del _cls

# torch's spellings of the in-place clipping functions.
clip_grad_norm_ = clip_grad_norm
clip_grad_value_ = clip_grad_value

# Sequential keeps the Python objects of its modules (Note [module lifetimes] in
# python/src/tensor_nn.cpp): a module written in Python must outlive its Python handle.
_sequential_init = Sequential.__init__

def _sequential_init_keeping(self, *modules):
    """Makes the container from the modules, in order (see the class docstring)."""
    _sequential_init(self, *modules)
    self._keep(*modules)

Sequential.__init__ = _sequential_init_keeping

# ModuleList and ModuleDict take their modules after construction, when the Python object exists
# to keep them (Note [module lifetimes] in python/src/nn_modules.cpp).
_module_list_init = ModuleList.__init__

def _module_list_init_keeping(self, modules=None):
    """Makes the list from ``modules``, an iterable of Modules (see the class docstring)."""
    _module_list_init(self)
    for module in modules or ():
        self.append(module)

def _module_list_extend(self, modules):
    """Appends each module of ``modules`` in turn and returns the list, as torch's ``extend``.

    Example:
        >>> layers = kindling.nn.ModuleList([kindling.nn.ReLU()])
        >>> len(layers.extend([kindling.nn.Tanh(), kindling.nn.ReLU()]))
        3
    """
    for module in modules:
        self.append(module)
    return self

ModuleList.__init__ = _module_list_init_keeping
ModuleList.extend = _module_list_extend
_module_dict_init = ModuleDict.__init__

def _module_dict_init_keeping(self, modules=None):
    """Makes the dict from ``modules``: a dict or (name, Module) pairs (see the class docstring)."""
    _module_dict_init(self)
    items = modules.items() if hasattr(modules, "items") else (modules or ())
    for name, module in items:
        self[name] = module

def _module_dict_update(self, modules):
    """Adds the modules of a dict or of (name, Module) pairs, in order, as torch's ``update``.

    Raises:
        kindling.Error: for a name that is already there (torch would replace its module).

    Example:
        >>> blocks = kindling.nn.ModuleDict({"enc": kindling.nn.Linear(2, 2)})
        >>> blocks.update({"act": kindling.nn.ReLU()})
        >>> blocks.keys()
        ['enc', 'act']
    """
    items = modules.items() if hasattr(modules, "items") else modules
    for name, module in items:
        self[name] = module

ModuleDict.__init__ = _module_dict_init_keeping
ModuleDict.update = _module_dict_update
ModuleDict.__iter__ = lambda self: iter(self.keys())

# nn.Softmax() and nn.LogSoftmax() without a dim take torch's implicit one (in C++) and, called
# from Python, warn as torch does (a C++ Sequential calls them without the warning).
def _warn_implicit_dim(cls, name):
    call = cls.__call__

    def __call__(self, input):
        if self.dim is None:
            import warnings
            warnings.warn(f"Implicit dimension choice for {name} has been "
                          "deprecated. Change the call to include dim=X as an argument.",
                          stacklevel=2)
        return call(self, input)

    cls.__call__ = __call__

_warn_implicit_dim(Softmax, "softmax")
_warn_implicit_dim(LogSoftmax, "log_softmax")

def mlp(sizes, activation=ReLU, seed=None):
    """A Sequential of Linear layers of the given sizes with ``activation()`` between them (none after the last).

    ``seed`` seeds one generator that every layer draws from in order (each Linear its weight,
    then its bias), as C++'s ``mlp<ReLU>(sizes, Generator(seed))``: the same seed gives the same
    model in both languages. The scalar (Value) counterpart is :class:`MLP`.

    Args:
        sizes (sequence of int): the input size, then each layer's output size (at least two).
        activation (callable): makes each activation module (default ReLU).
        seed (int, optional): else kindling.manual_seed's generator.

    Raises:
        kindling.Error: for fewer than two sizes, or a size that is not positive.

    Example:
        >>> kindling.nn.mlp([4, 8, 2], seed=0)
        Sequential(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=2, bias=True)
        )
    """
    linears = _kindling.nn._mlp_linears(list(sizes), seed)
    layers = []
    for i, linear in enumerate(linears):
        layers.append(linear)
        if i + 1 < len(linears):
            layers.append(activation())
    return Sequential(*layers)

class _Loss:
    """A loss as a module-like callable, as torch.nn.MSELoss and friends."""

    _function = None

    def __init__(self, reduction="mean", **options):
        """Makes the loss with ``reduction`` (``'mean'``, ``'sum'`` or ``'none'``) and its options."""
        self.reduction = reduction
        self.options = options

    def __call__(self, input, target):
        return type(self)._function(input, target, reduction=self.reduction, **self.options)

    def __repr__(self):
        return f"{type(self).__name__}(reduction={self.reduction!r})"

class MSELoss(_Loss):
    """``loss(input, target)`` is :func:`kindling.nn.functional.mse_loss`, as torch.nn.MSELoss.

    Args:
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> loss = kindling.nn.MSELoss(reduction="sum")
        >>> loss(kindling.tensor([1.0, 2.0]), kindling.tensor([0.0, 0.0]))
        tensor(5.0000)
    """

    _function = staticmethod(functional.mse_loss)

class L1Loss(_Loss):
    """``loss(input, target)`` is :func:`kindling.nn.functional.l1_loss`, as torch.nn.L1Loss.

    Args:
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> kindling.nn.L1Loss()(kindling.tensor([1.0]), kindling.tensor([3.0]))
        tensor(2.0000)
    """

    _function = staticmethod(functional.l1_loss)

class NLLLoss(_Loss):
    """``loss(log_probs, target)`` is :func:`kindling.nn.functional.nll_loss`, as torch.nn.NLLLoss (no weight, no ignore_index).

    Args:
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> kindling.nn.NLLLoss()(kindling.tensor([[-0.5, -1.0]]), kindling.tensor([1]))
        tensor(1.0000)
    """

    _function = staticmethod(functional.nll_loss)

class BCEWithLogitsLoss(_Loss):
    """``loss(logits, target)`` is :func:`kindling.nn.functional.binary_cross_entropy_with_logits`, as torch.nn.BCEWithLogitsLoss (no weight, no pos_weight).

    Args:
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> kindling.nn.BCEWithLogitsLoss()(kindling.tensor([0.0]), kindling.tensor([1.0]))
        tensor(0.6931)
    """

    _function = staticmethod(functional.binary_cross_entropy_with_logits)

class BCELoss(_Loss):
    """``loss(probabilities, target)`` is :func:`kindling.nn.functional.binary_cross_entropy`, as torch.nn.BCELoss (no weight).

    Args:
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Example:
        >>> kindling.nn.BCELoss()(kindling.tensor([0.5]), kindling.tensor([1.0]))
        tensor(0.6931)
    """

    _function = staticmethod(functional.binary_cross_entropy)

class SmoothL1Loss(_Loss):
    """``loss(input, target)`` is :func:`kindling.nn.functional.smooth_l1_loss`, as torch.nn.SmoothL1Loss.

    Args:
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.
        beta (float): where the loss turns from quadratic to linear (default 1.0).

    Example:
        >>> kindling.nn.SmoothL1Loss(beta=0.5)(kindling.tensor([0.0]), kindling.tensor([2.0]))
        tensor(1.7500)
    """

    _function = staticmethod(functional.smooth_l1_loss)

    def __init__(self, reduction="mean", beta=1.0):
        """Makes the loss (see the class docstring for the arguments)."""
        super().__init__(reduction, beta=beta)

class KLDivLoss(_Loss):
    """``loss(input, target)`` is :func:`kindling.nn.functional.kl_div`, as torch.nn.KLDivLoss.

    Args:
        reduction (str): ``'mean'`` (default, with torch's warning), ``'batchmean'`` (the true
            KL divergence), ``'sum'`` or ``'none'``.
        log_target (bool): the target holds log-probabilities (default False).

    Example:
        >>> loss = kindling.nn.KLDivLoss(reduction="batchmean")
        >>> p = kindling.tensor([[0.25, 0.75]])
        >>> loss(kindling.log(p), p).abs().item() < 1e-6
        True
    """

    _function = staticmethod(functional.kl_div)

    def __init__(self, reduction="mean", log_target=False):
        """Makes the loss (see the class docstring for the arguments)."""
        super().__init__(reduction, log_target=log_target)

class CrossEntropyLoss(_Loss):
    """``loss(logits, target)`` is :func:`kindling.nn.functional.cross_entropy`, as torch.nn.CrossEntropyLoss (no weight, no ignore_index).

    Args:
        reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.
        label_smoothing (float): in [0, 1] (default 0).

    Example:
        >>> loss = kindling.nn.CrossEntropyLoss()
        >>> loss(kindling.tensor([[2.0, 0.0], [0.0, 2.0]]), kindling.tensor([0, 1]))
        tensor(0.1269)
    """

    _function = staticmethod(functional.cross_entropy)

    def __init__(self, reduction="mean", label_smoothing=0.0):
        """Makes the loss (see the class docstring for the arguments)."""
        super().__init__(reduction, label_smoothing=label_smoothing)

__all__ += [
    "FASHION_MNIST_LABELS", "GELU", "BCEWithLogitsLoss", "BatchNorm1d", "ConfusionMatrix",
    "CrossEntropyLoss", "DataLoader", "Dataset", "Dropout", "Embedding", "Flatten", "L1Loss",
    "LayerNorm", "Linear", "MSELoss", "Module", "NLLLoss", "ReLU", "RunningMean", "Sequential",
    "Sigmoid", "Tanh", "TensorDataset", "accuracy", "ELU", "LeakyReLU", "Softplus", "clip_grad_norm", "clip_grad_norm_",
    "clip_grad_value", "clip_grad_value_", "fashion_mnist", "fashion_mnist_dir", "functional",
    "mlp", "BCELoss", "Identity", "KLDivLoss", "LogSoftmax", "ModuleDict", "ModuleList", "SiLU",
    "SmoothL1Loss", "Softmax", "CsvTable", "ProgressBar", "Subset", "csv_dataset", "random_split",
    "read_csv", "f1_score", "precision", "recall", "summarize", "summary", "AdaptiveAvgPool2d",
    "AvgPool2d", "BatchNorm2d", "Conv2d", "Dropout2d", "MaxPool2d",
]

# `self.fc = nn.Linear(...)` in a Module subclass registers the submodule, as in torch (a
# module assigned again under the same name is an error from register_module).
def _module_setattr(self, name, value):
    if isinstance(value, Module) and not name.startswith("_"):
        self.register_module(name, value)
    else:
        object.__setattr__(self, name, value)

Module.__setattr__ = _module_setattr
