# Shared fixtures for the Python tests of the kindling module: the PyTorch reference (skipped,
# with the reason, where python3-torch is not installed) and double-precision tolerances.
import pytest


@pytest.fixture(scope="session")
def torch():
    torch = pytest.importorskip("torch", reason="the reference tests need python3-torch")
    torch.set_default_dtype(torch.float64)
    return torch


def close(a, b, rel=1e-12, abs=1e-12):
    """Both engines compute in float64 with the same formulas up to rounding order."""
    return a == pytest.approx(b, rel=rel, abs=abs)
