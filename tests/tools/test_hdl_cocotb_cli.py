"""``qimeng hw check --tests``: a user's cocotb module (and an exported bench) from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops.cmd_hw import app
from tests.tools._hdl_fixtures import FIXTURES, fixture
from tests.tools.test_hdl_cocotb import COUNTER_TESTS
from tools.errors import UsageError
from tools.hdl.cocotb_export import export_bench
from tools.hdl.diffcheck import PythonRef

runner = CliRunner()


def test_tests_alone_pass_and_print_each_test(tmp_path: Path) -> None:
    tests = tmp_path / "test_counter.py"
    tests.write_text(COUNTER_TESTS, encoding="utf-8")
    res = runner.invoke(app, ["check", str(FIXTURES / "counter.v"), "--tests", str(tests)])
    assert res.exit_code == 0, res.output
    assert "cocotb (iverilog" in res.output and "PASS - 1 of 1 cocotb tests passed" in res.output
    assert "PASS counts_to_five" in res.output


def test_an_exported_bench_with_its_model_beside_it_fails_a_mutant(tmp_path: Path) -> None:
    for name, text in export_bench(
        fixture("counter.v"), PythonRef(source=fixture("counter_model.py"))
    ).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    args = ["check", str(FIXTURES / "counter_wrong_reset.v"), "--tests", str(tmp_path / "test_design.py")]
    res = runner.invoke(app, [*args, "--ref", str(FIXTURES / "counter_model.py"), "--json"])
    assert res.exit_code == 1, res.output
    out = json.loads(res.output)
    assert out["passed"] is False
    assert [c["name"] for c in out["checks"]] == ["diffsim", "cocotb"]
    assert out["checks"][1]["status"] == "fail"
    failed = [t["name"] for t in out["cocotb"]["tests"] if t["status"] == "fail"]
    assert "random_against_model/seed=1" in failed


def test_neither_a_reference_nor_tests_is_a_usage_error() -> None:
    res = runner.invoke(app, ["check", str(FIXTURES / "counter.v")])
    assert isinstance(res.exception, UsageError)
    assert "give --ref (a reference to compare with), --tests (a cocotb test module), or both" in str(
        res.exception
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--tests", str(FIXTURES / "counter.v")], "must be a Python file"),
        (["--tests", "x.py", "--sim", "vcs"], "--sim must be one of icarus, verilator"),
    ],
)
def test_bad_tests_options_are_usage_errors(args: list[str], words: str) -> None:
    res = runner.invoke(app, ["check", str(FIXTURES / "counter.v"), *args])
    assert isinstance(res.exception, UsageError)
    assert words in str(res.exception)
