"""The VerilogEval evaluator: loading, the testbench oracle, failure classes, agents and the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.verilog_eval import AGENTS, QUARANTINE, Problem, evaluate, get_agent, load_problems, run_testbench
from ops.cmd_eval_hw import app
from tools.errors import UsageError
from tools.settings import get_settings

DATA = Path(__file__).with_name("data")
FULL = Path(
    os.environ.get(
        "VERILOG_EVAL_DATA",
        Path(__file__).resolve().parents[3] / "shared" / "data" / "verilog-eval-v2",
    )
)
needs_full = pytest.mark.skipif(not FULL.is_dir(), reason=f"VerilogEval v2 data not at {FULL}")


def _counter() -> tuple[Problem, str]:
    (problem,) = load_problems(DATA, "ProbT01*")
    return problem, problem.reference_as_candidate()


def test_reference_passes_and_names_the_samples() -> None:
    problem, candidate = _counter()
    verdict = run_testbench(problem, candidate)
    assert verdict.passed and verdict.failure is None
    assert verdict.mismatches == 0 and verdict.samples and verdict.samples > 100
    assert verdict.to_check().status == "pass"


def test_wrong_logic_is_a_mismatch() -> None:
    problem, candidate = _counter()
    verdict = run_testbench(problem, candidate.replace("q + 4'd1", "q + 4'd2"))
    assert verdict.failure == "mismatch" and verdict.mismatches and verdict.mismatches > 0
    assert "Hint: Output 'q'" in verdict.detail
    assert verdict.to_check().status == "fail"


def test_syntax_error_is_a_compile_error() -> None:
    problem, candidate = _counter()
    verdict = run_testbench(problem, candidate.replace("endmodule", "endmodul"))
    assert verdict.failure == "compile_error"
    assert "candidate.sv" in verdict.detail


def test_zero_delay_loop_is_a_timeout() -> None:
    problem, _ = _counter()
    hang = (
        "module TopModule(input clk, input reset, input en, output reg [3:0] q);\n"
        "  always @(posedge clk) forever q = q + 1;\nendmodule\n"
    )
    limits = get_settings().sandbox.model_copy(update={"wall_s": 2.0, "cpu_s": 3})
    verdict = run_testbench(problem, hang, limits)
    assert verdict.failure == "timeout"
    assert "limit" in verdict.detail


def test_missing_summary_line_is_missing_output() -> None:
    problem, _ = _counter()
    quits = (
        "module TopModule(input clk, input reset, input en, output [3:0] q);\n"
        '  assign q = 0;\n  initial #3 $fatal(1, "bye");\nendmodule\n'
    )
    verdict = run_testbench(problem, quits)
    assert verdict.failure == "missing_output"


def test_bad_data_dir_and_glob_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a directory"):
        load_problems(tmp_path / "nope")
    with pytest.raises(UsageError, match="no VerilogEval problems in"):
        load_problems(tmp_path)
    with pytest.raises(UsageError, match=r"--problems 'Prob9\*' matches none of 2 problems"):
        load_problems(DATA, "Prob9*")


def test_unknown_agent_lists_known_agents() -> None:
    known = ", ".join(sorted(AGENTS))
    assert "reference" in AGENTS
    with pytest.raises(UsageError, match=f"unknown agent 'gpt'; known agents: {known}$"):
        get_agent("gpt", load_problems(DATA))


def test_reference_agent_scores_full_marks_with_samples() -> None:
    problems = load_problems(DATA)
    report = evaluate(problems, get_agent("reference", problems), agent_name="reference", samples=2, jobs=2)
    assert report.pass_at == {"1": 1.0}
    assert [p.c for p in report.problems] == [2, 2]
    assert all(p.evidence.verified for p in report.problems)


def test_quarantine_entries_have_reasons() -> None:
    assert QUARANTINE
    for pid, reason in QUARANTINE.items():
        assert pid.startswith("Prob") and len(reason) > 30


@needs_full
def test_quarantined_references_really_fail_and_others_pass() -> None:
    problems = load_problems(FULL, ",".join([*QUARANTINE, "Prob001*", "Prob030*", "Prob082*"]))
    report = evaluate(problems, get_agent("reference", problems), agent_name="reference")
    by_id = {p.problem: p for p in report.problems}
    for pid in QUARANTINE:
        assert by_id[pid].quarantined and by_id[pid].c == 0
        assert by_id[pid].verdicts[0].failure == "compile_error"
    assert report.scored == 3 and report.pass_at["1"] == 1.0


def test_cli_json_and_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["verilog-eval", "--data", str(DATA), "--agent", "reference", "--json", "--run-dir", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["pass_at"] == {"1": 1.0} and (tmp_path / payload["run"] / "report.json").is_file()
    bad = runner.invoke(app, ["verilog-eval", "--data", str(DATA), "--agent", "nobody"])
    assert bad.exit_code == 2
    assert f"unknown agent 'nobody'; known agents: {', '.join(sorted(AGENTS))}" in bad.output
