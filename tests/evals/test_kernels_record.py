"""'eval kernels' keeps its results: report.json, evidence.json and a manifest whose status is 'done'
only when every evaluator check passed."""

from __future__ import annotations

import json
from pathlib import Path

from evals._kernel_lanes import Lane
from evals.kernels import KernelRow, SuiteReport, save_suite


def _report(lane_oracle: str) -> SuiteReport:
    row = KernelRow(
        problem="gemm-256",
        target="x86_64",
        status="verified",
        oracle="pass",
        oracle_seeds=[7, 8],
        lanes=[Lane(threads=1, oracle="pass"), Lane(threads=2, oracle=lane_oracle)],
    )
    return SuiteReport(machine="test cpu", rows=[row])


def test_the_suite_is_saved_with_its_evidence(tmp_path: Path) -> None:
    run = save_suite(_report("pass"), "eval kernels --target x86_64", root=tmp_path)
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["status"] == "done" and manifest["command"] == "eval kernels --target x86_64"
    assert {a["path"] for a in manifest["artifacts"]} == {"report.json", "evidence.json"}
    [row] = json.loads((run.path / "evidence.json").read_text())["rows"]
    assert row["oracle"] == "pass" and row["oracle_seeds"] == [7, 8]
    assert [lane["oracle"] for lane in row["lanes"]] == ["pass", "pass"]


def test_a_failed_recheck_marks_the_run_failed(tmp_path: Path) -> None:
    run = save_suite(_report("wrong: max error 0.5"), "eval kernels", root=tmp_path)
    assert json.loads((run.path / "manifest.json").read_text())["status"] == "failed"
