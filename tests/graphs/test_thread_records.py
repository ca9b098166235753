"""A design thread's folder is a run: manifest.json lists the report, evidence.json every result's checks."""

from __future__ import annotations

import json
from pathlib import Path

from graphs.session import Session


def test_a_finished_thread_has_a_manifest_and_evidence(tmp_path: Path) -> None:
    s = Session(tmp_path)
    list(s.start("8-bit up counter with synchronous reset", offline=True))
    folder = tmp_path / s.thread_id
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["id"] == s.thread_id and manifest["status"] == "done"
    assert {a["path"] for a in manifest["artifacts"]} >= {"report.md", "report.json", "evidence.json"}
    evidence = json.loads((folder / "evidence.json").read_text())
    [result] = evidence["results"]
    assert result["status"] == "verified" and Path(result["run_dir"]).is_dir()
    checks = {c["name"]: c["status"] for c in result["evidence"]["checks"]}
    assert checks["diffsim"] == "pass" and checks["synth"] == "pass"
