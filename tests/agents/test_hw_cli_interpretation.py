"""``qimeng hw design`` shows how it read the spec, and refuses (exit 2) what it would have to guess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops.cli import main
from ops.cmd_hw_design import app

runner = CliRunner()
SPEC = (
    "A Moore detector of the serial pattern 1,0,1 (overlapping), synchronous active-high reset.\n"
    "module det (input clk, input reset, input x, output z);"
)


def test_the_interpretation_is_printed_and_in_the_json(tmp_path: Path) -> None:
    res = runner.invoke(app, ["design", SPEC, "--offline", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    printed = " ".join(res.output.split())  # rich wraps long lines at the terminal's width
    assert (
        "interpreted as: generator seq_detector; reset_async False; reset_low False; pattern 101; overlap True; output Moore"
        in printed
    )
    res = runner.invoke(app, ["design", SPEC, "--offline", "--out", str(tmp_path), "--json"])
    interp = json.loads(res.stdout)["evidence"]["interpretation"]
    pattern = next(r for r in interp["readings"] if r["name"] == "pattern")
    assert pattern == {
        "name": "pattern",
        "value": "101",
        "source": "text",
        "words": "pattern 1,0,1",
        "decides_behaviour": True,
    }
    assert interp["unread"] == []


def test_a_spec_without_its_pattern_is_refused_with_what_is_missing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["hw", "design", "a sequence detector with overlap and synchronous reset", "--offline"])
    err = capsys.readouterr().err
    assert code == 2
    assert "seq_detector: could not find pattern" in " ".join(err.split()) and "Traceback" not in err
