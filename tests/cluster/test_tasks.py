"""Campaign tasks that run an agent go through its front door and return its final evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster.tasks import hw_design_sample
from tools.evidence import Evidence, design_status


@pytest.fixture(autouse=True)
def _run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))


def test_hw_design_sample_passes_with_the_final_rtls_evidence() -> None:
    out = hw_design_sample({"request": "a 4-bit popcount", "sample": 2})
    evidence = Evidence.model_validate(out["evidence"])
    assert out["passed"] is True and out["status"] == design_status(evidence) == "verified"
    diffsim = next(c for c in evidence.checks if c.name == "diffsim")
    assert diffsim.seeds == [2001, 2002, 2003]  # the sample picks the checker's seeds
    assert len(out["rtl_sha256"]) == 64 and (Path(out["run_dir"]) / "design.v").is_file()


def test_hw_design_sample_that_cannot_be_built_is_a_usage_error() -> None:
    from tools.errors import UsageError

    with pytest.raises(UsageError, match="no generator in the offline library matches"):
        hw_design_sample({"request": "a coffee machine", "sample": 0})
