# Every public name of the kindling package has a docstring worth reading, and every example in
# those docstrings runs and prints what it says. The Sphinx site renders these docstrings (autodoc
# with napoleon), so a name without one is a hole in the reference and an example that no longer
# runs is a lie in it.
#
# The walk: kindling and each public submodule (found by pkgutil, so a new one is walked without
# an edit here), every public name each one defines (its __all__ plus any other public function or
# class of kindling's), and for classes every public method and property and __init__ that a
# kindling class defines (what object, BaseException or pybind11 supply is theirs: the __init__
# slot of a class bound without a constructor, an enum's name and value). Constants
# (kindling.float32, FRAME_LEGEND, ...) cannot carry a docstring of their own and are skipped.
#
# The examples run with DocTestParser and DocTestRunner on each docstring, because DocTestFinder
# skips builtin functions and so every pybind11 binding; each docstring's examples share one
# namespace, which starts with `kindling` imported.
import doctest
import importlib
import io
import pkgutil
import re
import types

import pytest

import kindling

# pybind11 opens a binding's docstring with its signature (one line per overload, numbered, after
# "Overloaded function." when there are several); those lines alone say nothing.
_SIGNATURE = re.compile(r"^\s*(\d+\.\s+)?[A-Za-z_][\w.]*\(.*\)(\s*->\s*.+)?\s*$")
_CONSTANT_TYPES = (str, bytes, int, float, bool, tuple, list, dict, type(None))


def _described(doc):
    """The docstring without pybind11's signature lines: what a reader learns beyond them."""
    if not doc:
        return ""
    lines = [line for line in doc.splitlines()
             if not _SIGNATURE.match(line) and line.strip() != "Overloaded function."]
    return "\n".join(lines).strip()


def _public_modules():
    modules = [kindling]
    for info in pkgutil.walk_packages(kindling.__path__, "kindling."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _is_kindlings(obj):
    return getattr(obj, "__module__", "") and str(obj.__module__).startswith("kindling")


def _canonical(obj, fallback):
    """The name the object's own __module__ gives it (kindling.optim.lr_scheduler.StepLR, not
    kindling.optim.StepLR), when that module has it under that name; else where it was found."""
    module, name = getattr(obj, "__module__", None), getattr(obj, "__name__", None)
    if module and name and not any(p.startswith("_") for p in str(module).split(".")):
        try:
            if getattr(importlib.import_module(module), name, None) is obj:
                return f"{module}.{name}"
        except ImportError:
            pass
    return fallback


def _walk():
    """(qualified name, docstring) of every public object, each object once."""
    seen = set()
    found = []

    def add(key, name, doc):
        if key not in seen:
            seen.add(key)
            found.append((name, doc))

    for module in _public_modules():
        add(("module", module.__name__), module.__name__, module.__doc__)
        names = list(getattr(module, "__all__", []))
        names += [n for n, v in vars(module).items()
                  if not n.startswith("_") and n not in names and _is_kindlings(v)
                  and not isinstance(v, types.ModuleType)]
        for name in names:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or isinstance(obj, _CONSTANT_TYPES):
                continue
            qualified = _canonical(obj, f"{module.__name__}.{name}")
            add(("object", id(obj)), qualified, obj.__doc__)
            if not isinstance(obj, type):
                continue
            for member in dir(obj):
                if member.startswith("_") and member != "__init__":
                    continue
                owner = next((c for c in obj.__mro__ if member in vars(c)), None)
                if owner is None or not _is_kindlings(owner):
                    continue  # object's, BaseException's, pybind11's
                raw = vars(owner)[member]
                if isinstance(raw, types.WrapperDescriptorType):
                    continue  # a pybind11 class without a constructor: object's slot
                if hasattr(owner, "__members__") and member in ("__init__", "name", "value"):
                    continue  # what pybind11's py::enum_ defines on every enum
                doc = raw.__doc__ if isinstance(raw, property) else getattr(obj, member).__doc__
                add(("member", id(owner), member),
                    f"{owner.__module__}.{owner.__qualname__}.{member}", doc)
    return found


WALKED = _walk()


def test_the_walk_covers_the_package():
    names = {name for name, _ in WALKED}
    assert len(WALKED) > 600, f"only {len(WALKED)} public names found"
    for name in ("kindling.Value", "kindling.Tensor.backward", "kindling.Tensor.shape",
                 "kindling.nn.Linear.__init__", "kindling.nn.functional.cross_entropy",
                 "kindling.optim.Optimizer.step", "kindling.optim.lr_scheduler.StepLR",
                 "kindling.autograd.functional.jacobian", "kindling.cuda.is_available",
                 "kindling.distributed.init_process_group"):
        assert name in names, name


def test_every_public_name_has_a_docstring():
    undocumented = [name for name, doc in WALKED if not _described(doc)]
    assert not undocumented, (f"{len(undocumented)} of {len(WALKED)} public names have no "
                              "docstring beyond a signature:\n  " + "\n  ".join(undocumented))


def _examples():
    parser = doctest.DocTestParser()
    tests = []
    for name, doc in WALKED:
        if doc and ">>>" in doc:
            test = parser.get_doctest(doc, {"kindling": kindling}, name, None, 0)
            if test.examples:
                tests.append(test)
    return tests


EXAMPLES = _examples()


@pytest.mark.parametrize("test", EXAMPLES, ids=[t.name for t in EXAMPLES])
def test_docstring_examples_run(test):
    # Examples that change process-wide switches restore them; check that they did.
    grad_mode, anomaly, threads = (kindling.is_grad_enabled(), kindling.is_anomaly_enabled(),
                                   kindling.get_num_threads())
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS, verbose=False)
    result = runner.run(test, out=report.write)
    assert result.failed == 0, f"{test.name}: {result.failed} failing example(s)\n{report.getvalue()}"
    assert (kindling.is_grad_enabled(), kindling.is_anomaly_enabled(),
            kindling.get_num_threads()) == (grad_mode, anomaly, threads), test.name


# The main entry points each show their use; an example lost from one of them fails here.
_MUST_HAVE_EXAMPLES = [
    "kindling", "kindling.Value", "kindling.Value.backward", "kindling.Tensor",
    "kindling.Tensor.backward", "kindling.tensor", "kindling.zeros", "kindling.arange",
    "kindling.randn", "kindling.no_grad", "kindling.autograd.grad", "kindling.to_dot",
    "kindling.ValueStepper", "kindling.save", "kindling.load", "kindling.nn.Linear",
    "kindling.nn.Sequential", "kindling.nn.Module", "kindling.nn.Conv2d",
    "kindling.nn.functional.cross_entropy", "kindling.nn.functional.mse_loss",
    "kindling.nn.CrossEntropyLoss", "kindling.nn.DataLoader", "kindling.optim.SGD",
    "kindling.optim.Adam", "kindling.optim.lr_scheduler.StepLR",
    "kindling.autograd.functional.jacobian", "kindling.autograd.forward_ad",
]


def test_examples_are_there():
    with_examples = {t.name for t in EXAMPLES}
    count = sum(len(t.examples) for t in EXAMPLES)
    assert count >= 400, f"only {count} examples in {len(EXAMPLES)} docstrings"
    missing = [name for name in _MUST_HAVE_EXAMPLES if name not in with_examples]
    assert not missing, "no example in the docstring of: " + ", ".join(missing)
