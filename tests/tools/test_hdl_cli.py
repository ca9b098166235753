"""The hw commands, through typer's runner against ops.cmd_hw.app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ops.cmd_hw import app
from tests.tools._hdl_fixtures import FIXTURES, fixture

runner = CliRunner()


def test_check_exits_0_when_equivalent_and_1_when_not() -> None:
    ok = runner.invoke(
        app, ["check", str(FIXTURES / "counter.v"), "--ref", str(FIXTURES / "counter_model.py")]
    )
    assert ok.exit_code == 0, ok.output
    assert "PASS" in ok.output
    bad = runner.invoke(
        app, ["check", str(FIXTURES / "adder_bad.v"), "--ref", str(FIXTURES / "adder.v"), "--formal"]
    )
    assert bad.exit_code == 1
    assert "output 'cout'" in bad.output and "Formal: FAIL" in bad.output


def test_check_json_is_machine_readable() -> None:
    res = runner.invoke(
        app,
        ["check", str(FIXTURES / "adder.v"), "--ref", str(FIXTURES / "adder.v"), "--json", "--seeds", "5"],
    )
    data = json.loads(res.stdout)
    assert data["equivalent"] is True and data["report"]["seeds"] == [5]


def test_synth_prints_the_report() -> None:
    res = runner.invoke(app, ["synth", str(FIXTURES / "counter.v"), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["flip_flops"] == 4


def test_bad_reference_suffix_is_a_usage_error(tmp_path: Path) -> None:
    missing = runner.invoke(
        app, ["check", str(FIXTURES / "adder.v"), "--ref", str(FIXTURES / "hang.v") + "x"]
    )
    assert missing.exit_code != 0
    assert "does not exist" in str(missing.exception)
    text = tmp_path / "ref.txt"
    text.write_text(fixture("adder.v"), encoding="utf-8")
    res = runner.invoke(app, ["check", str(FIXTURES / "adder.v"), "--ref", str(text)])
    assert "must end in .v, .sv (Verilog) or .py (Python model)" in str(res.exception)
