"""The mutation engine, the equivalence filter and the checker-strength table."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals._equiv import prove_equivalent
from evals._mutate import mutation_sites, sample_mutants
from evals.mutants import analyse, pick_problems
from evals.verilog_eval import load_problems
from ops.cmd_eval_hw import app
from tools.errors import UsageError

DATA = Path(__file__).with_name("data")
COUNTER = (DATA / "ProbT01_counter_ref.sv").read_text()
COMMENTED = """module RefModule(input a, input b, output y);
  // a & b would be wrong here
  assign y = a | b; /* not a ^ b */
endmodule
"""


def _compiles(source: str, tmp_path: Path) -> bool:
    # trusted: these sources are our own reference and its mutants, compiled without running them
    path = tmp_path / "m.sv"
    path.write_text(source)
    proc = subprocess.run(
        ["iverilog", "-g2012", "-o", str(tmp_path / "a.out"), str(path)], capture_output=True
    )
    return proc.returncode == 0


def test_mutants_are_single_site_distinct_and_mostly_compile(tmp_path: Path) -> None:
    mutants = mutation_sites(COUNTER)
    kinds = {m.kind for m in mutants}
    assert {"invert-cond", "add->sub", "bit-flip", "reset-value", "negate-rhs"} <= kinds
    assert len({m.source for m in mutants}) == len(mutants)
    assert all(m.source != COUNTER for m in mutants)
    compiled = [m for m in mutants if _compiles(m.source, tmp_path)]
    assert len(compiled) >= 0.8 * len(mutants)


def test_reset_value_mutant_changes_the_reset_branch() -> None:
    (reset,) = [m for m in mutation_sites(COUNTER) if m.kind == "reset-value"]
    assert "q <= 4'd0" in reset.before and "q <= '1" in reset.after


def test_comments_and_declarations_are_never_mutated() -> None:
    for mutant in mutation_sites(COMMENTED):
        assert "// a & b would be wrong here" in mutant.source
        assert "/* not a ^ b */" in mutant.source
        assert "input a, input b, output y" in mutant.source
        assert mutant.line == 3


def test_sampling_is_deterministic_and_spread_over_kinds() -> None:
    first = sample_mutants(COUNTER, 5, seed=7)
    assert [m.source for m in first] == [m.source for m in sample_mutants(COUNTER, 5, seed=7)]
    assert len({m.kind for m in first}) >= 4


def test_yosys_tells_equivalent_from_different() -> None:
    same = COUNTER.replace("q + 4'd1", "4'd1 + q")
    assert prove_equivalent(COUNTER, same, "RefModule") == "equivalent"
    wrong = COUNTER.replace("q + 4'd1", "q - 4'd1")
    assert prove_equivalent(COUNTER, wrong, "RefModule") == "different"
    assert prove_equivalent(COUNTER, "module RefModule(;", "RefModule") == "unknown"


def test_analysis_kills_mutants_without_false_failures() -> None:
    report = analyse(load_problems(DATA), per_problem=2, seed=1)
    assert report.kept >= 3
    rows = {s.checker: s for s in report.scores}
    assert set(rows) == {"testbench", "diff", "formal", "diff|formal"}
    assert all(row.false_failures == 0 for row in rows.values())
    assert rows["diff|formal"].killed >= max(rows["diff"].killed, rows["formal"].killed)
    assert rows["testbench"].killed >= 1 and rows["diff"].killed >= 1
    for problem in report.problems:
        for mutant in problem.mutants:
            assert mutant.equivalence in ("different", "unknown")
            assert re.match(r"[\w+\->]+@\d+: ", mutant.label)


def test_pick_problems_spreads_and_refuses_zero() -> None:
    problems = load_problems(DATA)
    assert [p.id for p in pick_problems(problems, 1)] == ["ProbT01_counter"]
    with pytest.raises(UsageError, match="--limit must be at least 1, got 0"):
        pick_problems(problems, 0)


def test_cli_table_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["mutants", "--data", str(DATA), "--per-problem", "1", "--run-dir", str(tmp_path)]
    result = runner.invoke(app, [*base, "--problems", "ProbT02*"])
    assert result.exit_code == 0, result.output
    assert "proven equivalent" in result.output and "testbench" in result.output
    result = runner.invoke(app, [*base, "--problems", "ProbT02*", "--json"])
    payload = json.loads(result.stdout)
    assert (tmp_path / payload["run"] / "mutants.json").is_file()
    bad = runner.invoke(app, [*base, "--per-problem", "0"])
    assert bad.exit_code == 2 and "--per-problem must be at least 1, got 0" in bad.output
