"""Fixtures shared by the zoo's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def kernel():
    """TEM's compiled kernels (skips the test where no C++ compiler builds them)."""
    pytest.importorskip("torch")
    from hippocore.zoo._tem_kernel import load_kernel

    k = load_kernel()
    if k is None:
        pytest.skip("no C++ compiler: TEM runs its torch code (tested in test_tem.py)")
    return k
