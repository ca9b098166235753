"""A kernel request is sized before anything is allocated: too big is refused with the estimate."""

from __future__ import annotations

import pytest

from agents.sw.specs import kernel_spec
from tools.errors import UsageError


def test_estimate_counts_every_array_with_its_reference_copy() -> None:
    spec = kernel_spec("gemm", {"M": 64, "N": 32, "K": 16})
    # A 64x16, B 16x32, C 64x32 in f32 (4 bytes) plus a float64 copy (8), for two rounds
    assert spec.memory_at({"M": 64, "N": 32, "K": 16}) == 2 * (64 * 16 + 16 * 32 + 64 * 32) * 12


def test_a_shape_over_the_sandbox_memory_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_SANDBOX__MEMORY_MB", "64")
    kernel_spec("gemm", {"M": 256, "N": 256, "K": 256})  # 4.7 MiB: fits
    with pytest.raises(
        UsageError, match=r"gemm at M=2048, N=2048, K=2048 needs about 0\.3 GiB, over the 0\.1 GiB"
    ):
        kernel_spec("gemm", {"M": 2048, "N": 2048, "K": 2048})
