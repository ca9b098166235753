"""The checkers whose strength the mutant analysis measures, behind one small interface.

A checker takes a problem and a candidate source (module ``TopModule``) and says whether it
rejects the candidate. ``testbench`` is the benchmark's own testbench; ``diff`` and ``formal`` are
ours from :mod:`tools.hdl` (differential simulation against the reference, and formal equivalence).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from evals._ve_bench import Problem, run_testbench
from tools.hdl import VerilogRef, diff_check, formal_check

Outcome = Literal["reject", "accept", "inconclusive"]
DIFF_SEEDS = (1, 2, 3)


@dataclass(frozen=True)
class Judgement:
    """One checker's answer on one candidate."""

    outcome: Outcome
    seconds: float
    note: str = ""


Checker = Callable[[Problem, str], Judgement]


def testbench_checker(problem: Problem, candidate: str) -> Judgement:
    """The benchmark's own testbench: rejects on any failure class."""
    start = time.monotonic()
    verdict = run_testbench(problem, candidate)
    outcome: Outcome = "accept" if verdict.passed else "reject"
    return Judgement(outcome, time.monotonic() - start, verdict.failure or "")


def diff_checker(problem: Problem, candidate: str) -> Judgement:
    """Our differential simulation (:func:`tools.hdl.diffcheck.diff_check`) against the reference."""
    reference = VerilogRef(source=problem.ref_path.read_text(encoding="utf-8"), top="RefModule")
    start = time.monotonic()
    report = diff_check(candidate, reference, top="TopModule", seeds=DIFF_SEEDS)
    note = report.verdict if report.verdict in ("pass", "fail") else f"{report.verdict}: {report.reason}"
    return Judgement(_outcome(report.verdict), time.monotonic() - start, note)


def formal_checker(problem: Problem, candidate: str) -> Judgement:
    """Our formal equivalence check (:func:`tools.hdl.formal.formal_check`) against the reference."""
    reference = problem.ref_path.read_text(encoding="utf-8")
    start = time.monotonic()
    result = formal_check(candidate, reference, top="TopModule")
    return Judgement(_outcome(result.status), time.monotonic() - start, f"{result.status}: {result.summary}")


def _outcome(status: str) -> Outcome:
    return {"pass": "accept", "fail": "reject"}.get(status, "inconclusive")  # type: ignore[return-value]


CHECKERS: dict[str, Checker] = {
    "testbench": testbench_checker,
    "diff": diff_checker,
    "formal": formal_checker,
}
