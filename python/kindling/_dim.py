"""PyTorch's keyword for an axis is `dim`; kindling's C++ API and its bindings say `axis` (NumPy's
word, which torch accepts too). This module makes every bound function and Tensor method that takes
`axis` (or `axes`) accept `dim` as well, so that `x.sum(dim=1)`, `kindling.softmax(x, dim=-1)` and
`kindling.cat(ts, dim=0)` work as a PyTorch user types them. Positional calls are untouched.
"""

import functools
import inspect
import re

_AXIS_PARAMETER = re.compile(r"[(,]\s*(axis|axes)\s*:")


def _axis_keyword(function):
    """'axis' or 'axes' when `function` takes one of them by keyword, else None."""
    doc = getattr(function, "__doc__", None) or ""
    match = _AXIS_PARAMETER.search(doc)
    if match:  # a pybind11 function: its signatures open the docstring
        return match.group(1)
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return None
    for name in ("axis", "axes"):
        if name in parameters and "dim" not in parameters:
            return name
    return None


def _accepting_dim(function, keyword):
    @functools.wraps(function)
    def call(*args, **kwargs):
        if "dim" in kwargs:
            if keyword in kwargs:
                raise TypeError("%s() got both dim and %s: they name the same argument"
                                % (function.__name__, keyword))
            kwargs[keyword] = kwargs.pop("dim")
        return function(*args, **kwargs)

    call._kindling_accepts_dim = True
    return call


def accept_dim(namespace, names=None):
    """Rewraps each function (or, for a class, each method) of `namespace` that takes an axis."""
    for name in names if names is not None else list(vars(namespace)):
        if name.startswith("_"):
            continue
        function = getattr(namespace, name, None)
        if not callable(function) or isinstance(function, type):
            continue
        if getattr(function, "_kindling_accepts_dim", False):
            continue
        keyword = _axis_keyword(function)
        if keyword is None:
            continue
        setattr(namespace, name, _accepting_dim(function, keyword))
