"""kindling.nn: neural networks, on tensors and on scalars.

Tensor modules, as torch.nn (the base class is ``kindling.nn.Module``):

    >>> from kindling import nn, optim
    >>> model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    >>> loss = nn.functional.cross_entropy(model(x), y)
    >>> opt = optim.SGD(model.parameters(), lr=0.1)
    >>> model.zero_grad(); loss.backward(); opt.step()

micrograd's scalar networks on kindling.Value keep their names, Neuron, Layer and MLP; their base
class is ``kindling.nn.ScalarModule`` (it was ``Module`` before the tensor modules arrived):

    >>> model = nn.MLP(2, [16, 16, 1], seed=1)
    >>> score = model([0.5, -1.0])       # one output: a Value; several: a list of Values
    >>> loss = nn.svm_loss([score], [1.0], model.parameters())
    >>> model.zero_grad(); loss.backward(); nn.sgd_step(model.parameters(), lr=0.1)
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
    """mean((prediction - target)^2): on tensors (as nn.functional.mse_loss, with ``reduction``)
    when ``predictions`` is a kindling.Tensor, else on lists of Values (micrograd's demo)."""
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
    _sequential_init(self, *modules)
    self._keep(*modules)

Sequential.__init__ = _sequential_init_keeping

# ModuleList and ModuleDict take their modules after construction, when the Python object exists
# to keep them (Note [module lifetimes] in python/src/nn_modules.cpp).
_module_list_init = ModuleList.__init__

def _module_list_init_keeping(self, modules=None):
    _module_list_init(self)
    for module in modules or ():
        self.append(module)

def _module_list_extend(self, modules):
    for module in modules:
        self.append(module)
    return self

ModuleList.__init__ = _module_list_init_keeping
ModuleList.extend = _module_list_extend
_module_dict_init = ModuleDict.__init__

def _module_dict_init_keeping(self, modules=None):
    _module_dict_init(self)
    items = modules.items() if hasattr(modules, "items") else (modules or ())
    for name, module in items:
        self[name] = module

def _module_dict_update(self, modules):
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
    """Linear layers of the given sizes with ``activation()`` between them (none after the
    last): ``mlp([784, 256, 128, 10])``. ``seed`` seeds one generator that every layer draws from
    in order (else kindling.manual_seed's generator), as C++'s
    ``mlp<ReLU>(sizes, Generator(seed))``: the same seed gives the same model."""
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
        self.reduction = reduction
        self.options = options

    def __call__(self, input, target):
        return type(self)._function(input, target, reduction=self.reduction, **self.options)

    def __repr__(self):
        return f"{type(self).__name__}(reduction={self.reduction!r})"

class MSELoss(_Loss):
    _function = staticmethod(functional.mse_loss)

class L1Loss(_Loss):
    _function = staticmethod(functional.l1_loss)

class NLLLoss(_Loss):
    _function = staticmethod(functional.nll_loss)

class BCEWithLogitsLoss(_Loss):
    _function = staticmethod(functional.binary_cross_entropy_with_logits)

class BCELoss(_Loss):
    _function = staticmethod(functional.binary_cross_entropy)

class SmoothL1Loss(_Loss):
    _function = staticmethod(functional.smooth_l1_loss)

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction, beta=beta)

class KLDivLoss(_Loss):
    _function = staticmethod(functional.kl_div)

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction, log_target=log_target)

class CrossEntropyLoss(_Loss):
    _function = staticmethod(functional.cross_entropy)

    def __init__(self, reduction="mean", label_smoothing=0.0):
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
