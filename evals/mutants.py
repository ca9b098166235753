"""Mutant analysis: how many planted bugs does each checker catch, and how often does it cry wolf?

For each problem's reference we plant single-site bugs (:mod:`evals._mutate`), drop mutants that
do not compile and those Yosys proves equivalent (:mod:`evals._equiv`), then ask every checker
(:mod:`evals._checkers`) about each surviving mutant and about the unmutated reference.
Kill rate = rejected mutants / kept mutants; false-failure rate = rejected references / references.
"""

from __future__ import annotations

import re
import statistics
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from pydantic import BaseModel, Field

from evals._checkers import CHECKERS, Judgement
from evals._equiv import Equivalence, prove_equivalent
from evals._mutate import sample_mutants
from evals._ve_bench import Problem
from tools.errors import UsageError

__all__ = ["CheckerScore", "MutantRecord", "MutantReport", "ProblemMutants", "analyse", "pick_problems"]

COMBINED = "diff|formal"


class Verdict(BaseModel):
    """A checker's answer, as stored."""

    outcome: str = Field(description="reject, accept or inconclusive.")
    seconds: float = Field(description="Wall seconds the check took.")
    note: str = Field(default="", description="Failure class or the checker's own summary.")


class MutantRecord(BaseModel):
    """One kept mutant and what each checker said about it."""

    problem: str
    kind: str = Field(description="Mutation operator, e.g. and->or, bit-flip, invert-cond.")
    label: str = Field(description="Where and what changed.")
    equivalence: Equivalence = Field(description="Yosys: different (counterexample) or unknown.")
    verdicts: dict[str, Verdict]


class ProblemMutants(BaseModel):
    """All results for one problem."""

    problem: str
    generated: int
    dropped_compile: int
    dropped_equivalent: int
    reference: dict[str, Verdict] = Field(description="Each checker on the unmutated reference.")
    mutants: list[MutantRecord]


class CheckerScore(BaseModel):
    """One row of the table."""

    checker: str
    killed: int
    mutants: int
    kill_rate: float
    inconclusive: int = Field(description="Mutants the checker could not decide (counted as not killed).")
    false_failures: int
    references: int
    false_failure_rate: float
    median_s: float = Field(description="Median seconds per candidate.")


class MutantReport(BaseModel):
    """The whole analysis."""

    problems: list[ProblemMutants]
    scores: list[CheckerScore]
    wall_s: float

    @property
    def kept(self) -> int:
        """Mutants that compiled and were not proven equivalent."""
        return sum(len(p.mutants) for p in self.problems)


def pick_problems(problems: Sequence[Problem], limit: int | None) -> list[Problem]:
    """Non-quarantined problems, thinned evenly to ``limit`` (all when None)."""
    usable = [p for p in problems if p.quarantine_reason is None]
    if limit is None or limit >= len(usable):
        return usable
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    step = len(usable) / limit
    return [usable[int(i * step)] for i in range(limit)]


def analyse(
    problems: Sequence[Problem],
    *,
    per_problem: int = 4,
    seed: int = 0,
    jobs: int = 1,
    on_problem: Callable[[ProblemMutants], None] | None = None,
) -> MutantReport:
    """Mutate each problem's reference and score every available checker.

    Raises:
        UsageError: for ``per_problem`` or ``jobs`` below 1.
    """
    if per_problem < 1:
        raise UsageError(f"--per-problem must be at least 1, got {per_problem}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    start = time.monotonic()
    checkers = list(CHECKERS)
    results: list[ProblemMutants] = []
    if jobs == 1:
        for problem in problems:
            results.append(analyse_problem(problem, per_problem, seed, checkers))
            if on_problem is not None:
                on_problem(results[-1])
    else:
        with ProcessPoolExecutor(jobs) as pool:
            futures = [pool.submit(analyse_problem, p, per_problem, seed, checkers) for p in problems]
            for fut in futures:
                results.append(fut.result())
                if on_problem is not None:
                    on_problem(results[-1])
    return MutantReport(
        problems=results,
        scores=score(results, checkers),
        wall_s=time.monotonic() - start,
    )


def analyse_problem(problem: Problem, per_problem: int, seed: int, checkers: Sequence[str]) -> ProblemMutants:
    """Up to ``per_problem`` kept mutants of one reference, each judged by ``checkers``."""
    original = problem.ref_path.read_text(encoding="utf-8")
    reference = {
        name: _stored(CHECKERS[name](problem, problem.reference_as_candidate())) for name in checkers
    }
    candidates = sample_mutants(original, per_problem * 3, seed=seed ^ zlib.crc32(problem.id.encode()))
    kept: list[MutantRecord] = []
    dropped_compile = dropped_equivalent = tried = 0
    for mutant in candidates:
        if len(kept) >= per_problem:
            break
        tried += 1
        candidate = re.sub(r"\bRefModule\b", "TopModule", mutant.source)
        bench = CHECKERS["testbench"](problem, candidate)
        if bench.note == "compile_error":
            dropped_compile += 1
            continue
        equivalence = prove_equivalent(original, mutant.source, "RefModule")
        if equivalence == "equivalent":
            dropped_equivalent += 1
            continue
        verdicts = {"testbench": _stored(bench)}
        verdicts.update({n: _stored(CHECKERS[n](problem, candidate)) for n in checkers if n != "testbench"})
        kept.append(
            MutantRecord(
                problem=problem.id,
                kind=mutant.kind,
                label=mutant.label,
                equivalence=equivalence,
                verdicts=verdicts,
            )
        )
    return ProblemMutants(
        problem=problem.id,
        generated=tried,
        dropped_compile=dropped_compile,
        dropped_equivalent=dropped_equivalent,
        reference=reference,
        mutants=kept,
    )


def _stored(judgement: Judgement) -> Verdict:
    return Verdict(outcome=judgement.outcome, seconds=judgement.seconds, note=judgement.note[:300])


def score(results: Sequence[ProblemMutants], checkers: Sequence[str]) -> list[CheckerScore]:
    """Kill rate, false-failure rate and median time per checker, plus ``diff|formal`` when both ran."""
    names = list(checkers) + ([COMBINED] if {"diff", "formal"} <= set(checkers) else [])
    mutants = [m for r in results for m in r.mutants]
    rows = []
    for name in names:
        parts = name.split("|")
        on_mutants = [_combine([m.verdicts[p] for p in parts]) for m in mutants]
        on_refs = [_combine([r.reference[p] for p in parts]) for r in results]
        killed = sum(v.outcome == "reject" for v in on_mutants)
        false_failures = sum(v.outcome == "reject" for v in on_refs)
        times = [v.seconds for v in on_mutants + on_refs]
        rows.append(
            CheckerScore(
                checker=name,
                killed=killed,
                mutants=len(on_mutants),
                kill_rate=killed / len(on_mutants) if on_mutants else 0.0,
                inconclusive=sum(v.outcome == "inconclusive" for v in on_mutants),
                false_failures=false_failures,
                references=len(on_refs),
                false_failure_rate=false_failures / len(on_refs) if on_refs else 0.0,
                median_s=statistics.median(times) if times else 0.0,
            )
        )
    return rows


def _combine(verdicts: list[Verdict]) -> Verdict:
    """Either checker rejecting rejects; both accepting accepts; time adds up."""
    outcomes = {v.outcome for v in verdicts}
    outcome = "reject" if "reject" in outcomes else "accept" if outcomes == {"accept"} else "inconclusive"
    return Verdict(outcome=outcome, seconds=sum(v.seconds for v in verdicts))
