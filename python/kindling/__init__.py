"""kindling: autograd from scalars to tensors, on a C++ engine.

    >>> import kindling
    >>> a, b = kindling.Value(2.0, "a"), kindling.Value(-3.0, "b")
    >>> c = a * b + 1
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)

The compiled core lives in kindling._kindling; this package re-exports it beside the pure-Python
helpers: the grad-mode context managers and the graph-drawing object of to_dot().
"""

from . import _kindling
from ._kindling import (  # noqa: F401  (re-exported)
    Error,
    IndexError,  # noqa: A004  kindling.IndexError: a kindling.Error and a builtin IndexError
    Value,
    is_anomaly_enabled,
    is_grad_enabled,
    set_anomaly_enabled,
    set_grad_enabled,
    topological_order,
    zero_grads,
)
from ._kindling.nn import manual_seed  # noqa: F401
from ._dot import DotGraph, dot_available, to_dot  # noqa: F401
from ._grad_mode import detect_anomaly, enable_grad, no_grad  # noqa: F401
from . import nn  # noqa: F401
from . import autograd  # noqa: F401

__version__ = "0.1.0"

# Show the public classes as kindling.X (not kindling._kindling.X) in reprs and error messages.
for _cls in (Value, Error, IndexError):
    _cls.__module__ = "kindling"
del _cls

__all__ = [
    "DotGraph",
    "autograd",
    "Error",
    "Value",
    "detect_anomaly",
    "dot_available",
    "enable_grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "manual_seed",
    "nn",
    "no_grad",
    "set_anomaly_enabled",
    "set_grad_enabled",
    "to_dot",
    "topological_order",
    "zero_grads",
]

# The backward stepper (engine/value_stepper.hpp) and its HTML player.
from ._kindling import (  # noqa: F401
    FRAME_LEGEND,
    BackwardStep,
    ExpressionError,
    GradContribution,
    ValueStepper,
    parse_expression,
    parse_program,
)
from ._stepper import Player, player  # noqa: F401

for _cls in (BackwardStep, ExpressionError, GradContribution, ValueStepper):
    _cls.__module__ = "kindling"
del _cls

__all__ += ["FRAME_LEGEND", "BackwardStep", "ExpressionError", "GradContribution",
            "ValueStepper", "parse_expression", "parse_program", "Player", "player"]

# Derivatives of derivatives for Values (engine/value_grad.hpp): the create_graph backward stepped
# (its gradient graph drawn apart), and Value.register_hook's handle. The gradient function itself
# is torch's autograd.grad; for Values it is _kindling._value_grad (same signature).
from ._kindling import GRAD_FRAME_LEGEND, GradGraphStep, GradGraphStepper, ValueHookHandle  # noqa: F401,E501

for _cls in (GradGraphStep, GradGraphStepper, ValueHookHandle):
    _cls.__module__ = "kindling"
del _cls

__all__ += ["GRAD_FRAME_LEGEND", "GradGraphStep", "GradGraphStepper", "ValueHookHandle"]

# kindling.Tensor and its functions.
from ._kindling import (  # noqa: F401
    Tensor,
    all,
    any,
    arange,
    argmax,
    clamp,
    concat,
    cross_entropy,
    from_numpy,
    full,
    linspace,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    masked_fill,
    matmul,
    one_hot,
    ones,
    rand,
    randn,
    result_type,
    softmax,
    stack,
    tensor,
    where,
    zeros,
)

Tensor.__module__ = "kindling"

# The functions generated from the op table (kindling.exp, kindling.sum, ...). Those named as
# Python builtins (abs, max, min, sum, round, pow, all, any) stay out of __all__, so that
# `from kindling import *` does not replace them.
for _name in _kindling._tensor_functions:
    globals()[_name] = getattr(_kindling, _name)
    if _name not in ("abs", "max", "min", "sum", "round", "pow", "all", "any"):
        __all__.append(_name)
del _name

# The dtype names, as torch's: kindling.bool is the dtype of masks (tensor.dtype == kindling.bool).
float32 = "float32"
float64 = "float64"
int64 = "int64"
bool = "bool"  # noqa: A001  (shadows the builtin inside this module only, as torch.bool)

# PyTorch's names that issue 13 added (python/src/tensor_api.cpp).
from ._kindling import (  # noqa: F401
    amax,
    amin,
    argmin,
    bmm,
    cat,
    chunk,
    cumsum,
    diag,
    dot,
    einsum,
    eq,
    eye,
    flip,
    full_like,
    gather,
    ge,
    gt,
    index_select,
    isinf,
    isnan,
    le,
    lt,
    mm,
    ne,
    norm,
    ones_like,
    outer,
    prod,
    randint,
    randperm,
    scatter_add,
    sort,
    split,
    square,
    std,
    t,
    tile,
    topk,
    tril,
    triu,
    unbind,
    var,
    zeros_like,
)

__all__ += ["amax", "amin", "argmin", "bmm", "cat", "chunk", "cumsum", "diag", "dot", "einsum",
            "eq", "eye", "flip", "full_like", "gather", "ge", "gt", "index_select", "isinf",
            "isnan", "le", "lt", "mm", "ne", "norm", "ones_like", "outer", "prod", "randint",
            "randperm", "scatter_add", "sort", "split", "square", "std", "tile", "topk",
            "tril", "triu", "unbind", "var", "zeros_like"]

# The CPU kernels' thread count, as torch.set_num_threads / torch.get_num_threads.
from ._kindling import get_num_threads, set_num_threads  # noqa: F401,E402

__all__ += ["get_num_threads", "set_num_threads"]

# kindling.save / kindling.load (safetensors), kindling.optim and kindling.cuda.
from ._kindling import load, save  # noqa: F401
from . import cuda, optim  # noqa: F401

__all__ += ["cuda", "load", "optim", "save"]
__all__ += ["Tensor", "arange", "argmax", "clamp", "concat", "cross_entropy", "from_numpy",
            "full", "linspace", "log_softmax", "logsumexp", "matmul", "one_hot", "ones", "rand", "randn", "softmax", "stack", "tensor", "where", "zeros",
            "logical_and", "logical_not", "logical_or", "logical_xor", "masked_fill",
            "result_type", "float32", "float64", "int64"]
# kindling.all, kindling.any and kindling.bool stay out of __all__: `from kindling import *`
# must not replace Python's builtins.

# Issue 15: the tensor hooks' handle (kindling.autograd, the package, is imported above).
from ._kindling import HookHandle  # noqa: F401,E402

HookHandle.__module__ = "kindling"
__all__ += ["HookHandle"]

# torch's `dim` keyword, accepted wherever kindling takes `axis` (x.sum(dim=1), softmax(x, dim=-1));
# last, so that it covers every function above (_dim.py).
from . import _dim  # noqa: E402
import sys as _sys  # noqa: E402

_dim.accept_dim(Tensor)
_dim.accept_dim(_sys.modules[__name__])
_dim.accept_dim(nn.functional)
del _sys
