"""The checkers whose strength the mutant analysis measures, behind one small interface.

A checker takes a problem and a candidate source (module ``TopModule``) and says whether it
rejects the candidate. ``testbench`` is the benchmark's own testbench; ``diff`` and ``formal`` are
ours from :mod:`tools.hdl` (differential simulation against the reference, and formal equivalence).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from evals._ve_bench import Problem, run_testbench
from tools.hdl.diffcheck import VerilogRef, diff_check

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


FORMAL_MODULE, FORMAL_FUNCTION = "tools.hdl.formal", "formal_equivalence"


def formal_missing() -> str | None:
    """Why the formal checker cannot run here, or None when it can."""
    try:
        module = importlib.import_module(FORMAL_MODULE)
    except ImportError as exc:
        return f"{FORMAL_MODULE} is not available ({exc})"
    return None if hasattr(module, FORMAL_FUNCTION) else f"{FORMAL_MODULE} has no {FORMAL_FUNCTION}()"


def diff_checker(problem: Problem, candidate: str) -> Judgement:
    """Our differential simulation (:func:`tools.hdl.diffcheck.diff_check`) against the reference."""
    reference = VerilogRef(source=problem.ref_path.read_text(encoding="utf-8"), top="RefModule")
    start = time.monotonic()
    report = diff_check(candidate, reference, top="TopModule", seeds=DIFF_SEEDS)
    note = report.verdict if report.verdict in ("pass", "fail") else f"{report.verdict}: {report.reason}"
    return Judgement(_outcome(report.verdict), time.monotonic() - start, note)


def formal_checker(problem: Problem, candidate: str) -> Judgement:
    """Our formal equivalence check against the reference (a Check with pass/fail/inconclusive)."""
    check: Any = getattr(importlib.import_module(FORMAL_MODULE), FORMAL_FUNCTION)
    reference = problem.ref_path.read_text(encoding="utf-8")
    start = time.monotonic()
    result = check(candidate, reference, top="TopModule")
    return Judgement(_outcome(result.status), time.monotonic() - start, f"{result.status}: {result.summary}")


def _outcome(status: str) -> Outcome:
    return {"pass": "accept", "fail": "reject"}.get(status, "inconclusive")  # type: ignore[return-value]


CHECKERS: dict[str, Checker] = {
    "testbench": testbench_checker,
    "diff": diff_checker,
    "formal": formal_checker,
}
