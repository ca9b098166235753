"""Every artifact lands in one run directory with a manifest a later command can read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tools.errors import UsageError
from tools.evidence import Check, Evidence
from tools.runstore import list_runs, new_run, open_run, safe_id


def test_artifacts_are_recorded_with_hashes(tmp_path: Path) -> None:
    run = new_run("qimeng hw design counter", root=tmp_path)
    run.write("rtl/top.v", "module top; endmodule\n", kind="rtl")
    ev = Evidence(checks=[Check(name="lint", tool="verilator 5.048", status="pass")])
    run.write_json("evidence.json", ev, kind="evidence")
    run.finish(verdict="verified")

    again = open_run(run.id, root=tmp_path)
    assert again.manifest.status == "done"
    assert again.manifest.summary == {"verdict": "verified"}
    by_path = {a.path: a for a in again.manifest.artifacts}
    assert by_path["rtl/top.v"].sha256 == hashlib.sha256(b"module top; endmodule\n").hexdigest()
    assert json.loads((run.path / "evidence.json").read_text())["checks"][0]["status"] == "pass"
    assert [m.id for m in list_runs(tmp_path)] == [run.id]


def test_rewriting_an_artifact_replaces_its_entry(tmp_path: Path) -> None:
    run = new_run("x", root=tmp_path)
    run.write("a.txt", "1", kind="log")
    run.write("a.txt", "2", kind="log")
    assert len(run.manifest.artifacts) == 1
    assert (run.path / "a.txt").read_text() == "2"


def test_unknown_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no run 'nope' under"):
        open_run("nope", root=tmp_path)


def test_evidence_verified_needs_a_passing_check() -> None:
    assert not Evidence().verified
    assert not Evidence(checks=[Check(name="a", tool="t", status="skipped")]).verified
    mixed = Evidence(
        checks=[Check(name="a", tool="t", status="pass"), Check(name="b", tool="t", status="inconclusive")]
    )
    assert not mixed.verified
    assert [c.name for c in mixed.failures()] == ["b"]


@pytest.mark.parametrize("bad", ["../../x", "a/b", "..", ".hidden", "", "x" * 65, "a b"])
def test_user_supplied_ids_never_leave_the_run_directory(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "runs"
    with pytest.raises(UsageError, match="invalid run id .*letters, digits"):
        new_run("test", root=root, run_id=bad) if bad else safe_id(bad)
    with pytest.raises(UsageError, match="invalid run id"):
        open_run(bad, root=root)
    assert not any(tmp_path.rglob("x"))
