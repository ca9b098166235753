"""``qimeng hw design`` through typer's runner: exit codes, JSON output, files in the run store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ops.cmd_hw_design import app

runner = CliRunner()


def test_design_json_reports_verified_design_and_files(tmp_path: Path) -> None:
    res = runner.invoke(app, ["design", "a 5-bit popcount", "--offline", "--out", str(tmp_path), "--json"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert result["status"] == "verified" and result["generator"] == "popcount"
    assert {c["name"]: c["status"] for c in result["evidence"]["checks"]}["diffsim"] == "pass"
    assert (Path(result["run_dir"]) / "design.v").is_file()


def test_design_reads_spec_from_file(tmp_path: Path) -> None:
    spec = tmp_path / "spec.txt"
    spec.write_text(
        "module det(input clk, input reset, input x, output z);\nDetect the sequence 110 (overlapping). Synchronous reset.\n"
    )
    res = runner.invoke(app, ["design", f"@{spec}", "--offline", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "verified" in res.output and "diffsim" in res.output


def test_empty_spec_is_usage_error() -> None:
    res = runner.invoke(app, ["design", "  ", "--offline"])
    assert res.exit_code == 2
    assert "empty spec" in res.output


def test_missing_spec_file_is_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["design", f"@{tmp_path}/nope.txt", "--offline"])
    assert res.exit_code == 2
    assert "does not exist" in res.output


def test_unbuildable_request_lists_the_library() -> None:
    res = runner.invoke(app, ["design", "a quantum entangler", "--offline"])
    assert res.exit_code == 2
    assert "it can build" in res.output and "fifo" in res.output


def test_help_teaches_with_examples() -> None:
    res = runner.invoke(app, ["design", "--help"])
    assert res.exit_code == 0
    assert "qimeng hw design" in res.output and "dot_product" in res.output
