"""VerilogEval v2: ask an agent for ``TopModule`` sources, judge each with the benchmark's testbench.

The public entry is :func:`evaluate`; :func:`save_report` puts the result in the run store.
pass@k uses the unbiased estimator (:mod:`evals.passk`) over the problems that are not quarantined.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from pydantic import BaseModel, Field, computed_field

from evals._ve_agents import AGENTS, Agent, ReferenceAgent, get_agent
from evals._ve_bench import (
    QUARANTINE,
    Answer,
    FailureClass,
    Problem,
    TestbenchVerdict,
    load_problems,
    run_testbench,
    verilog_eval_dir,
)
from evals.passk import ks_for, mean_pass_at_k
from tools.errors import QimengError, UsageError
from tools.evidence import Evidence
from tools.runstore import Run, new_run

__all__ = [
    "AGENTS",
    "QUARANTINE",
    "Agent",
    "Answer",
    "EvalReport",
    "FailureClass",
    "Problem",
    "ProblemResult",
    "ReferenceAgent",
    "TestbenchVerdict",
    "evaluate",
    "get_agent",
    "judge_answer",
    "load_problems",
    "run_testbench",
    "save_report",
    "verilog_eval_dir",
]

Progress = Callable[[TestbenchVerdict], None]


class ProblemResult(BaseModel):
    """All samples of one problem and what the testbench said about each."""

    problem: str
    quarantined: str | None = Field(
        default=None, description="Reason the problem is left out of scores, if it is."
    )
    n: int = Field(description="Samples judged.")
    c: int = Field(description="Samples that passed.")
    verdicts: list[TestbenchVerdict]
    evidence: Evidence = Field(default_factory=Evidence, description="One testbench check per sample.")


class EvalReport(BaseModel):
    """One VerilogEval run: scores, failure classes and every verdict."""

    agent: str
    samples: int = Field(description="Samples asked per problem.")
    problems: list[ProblemResult]
    scored: int = Field(description="Problems counted in pass@k (not quarantined).")
    pass_at: dict[str, float] = Field(description="pass@k by k (as a string key), over scored problems.")
    failures: dict[FailureClass, int] = Field(
        description="Failing samples by failure class, over scored problems."
    )
    verified: int = Field(0, description="Answers the agent claimed verified, over scored problems.")
    verified_passed: int = Field(0, description="Of those, answers the benchmark's testbench passed.")
    refused: int = Field(0, description="Answers the agent declined to give, over scored problems.")
    wall_s: float = Field(description="Wall seconds of the whole evaluation.")
    median_check_s: float = Field(description="Median compile+simulate seconds per sample.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def precision(self) -> float | None:
        """Share of 'verified' answers that the benchmark passes (None when none was verified)."""
        return self.verified_passed / self.verified if self.verified else None

    def wrong_verified(self) -> list[str]:
        """Scored problems with an answer the agent claimed verified that the benchmark fails."""
        return sorted(
            {
                v.problem
                for p in self.problems
                if p.quarantined is None
                for v in p.verdicts
                if v.claimed == "verified" and not v.passed
            }
        )

    def failed_problems(self) -> list[str]:
        """Scored problems where no sample passed."""
        return [p.problem for p in self.problems if p.quarantined is None and p.c == 0]


def evaluate(
    problems: Sequence[Problem],
    agent: Agent,
    *,
    agent_name: str,
    samples: int = 1,
    jobs: int = 1,
    on_verdict: Progress | None = None,
) -> EvalReport:
    """Ask ``agent`` for ``samples`` candidates per problem and judge each with the benchmark testbench.

    Agents are asked from ``jobs`` threads; candidates are judged in ``jobs`` worker processes
    (in this process when ``jobs`` is 1). ``on_verdict`` is called once per judged sample.

    Raises:
        UsageError: for ``samples`` or ``jobs`` below 1.
        QimengError: when the agent returns a different number of samples than asked.
    """
    if samples < 1:
        raise UsageError(f"--samples must be at least 1, got {samples}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    start = time.monotonic()
    judged: dict[str, list[Future[TestbenchVerdict]]] = {}
    with ThreadPoolExecutor(jobs) as askers, _judges(jobs) as judges:
        asked = {p.id: askers.submit(agent.solve, p.prompt, samples) for p in problems}
        for problem in problems:
            candidates = asked[problem.id].result()
            if len(candidates) != samples:
                raise QimengError(
                    f"agent '{agent_name}' returned {len(candidates)} samples for {problem.id}, asked for {samples}"
                )
            judged[problem.id] = [judges.submit(judge_answer, problem, c) for c in candidates]
            for fut in judged[problem.id]:
                if on_verdict is not None:
                    fut.add_done_callback(lambda f: on_verdict(f.result()))
        results = [_problem_result(p, [f.result() for f in judged[p.id]]) for p in problems]
    return _report(agent_name, samples, results, time.monotonic() - start)


def judge_answer(problem: Problem, answer: Answer) -> TestbenchVerdict:
    """The testbench's verdict on one answer; a refusal is scored as a failure without running it."""
    if answer.status == "refused":
        return TestbenchVerdict(
            problem=problem.id, claimed="refused", passed=False, failure="refused", detail=answer.note[:300]
        )
    verdict = run_testbench(problem, answer.rtl)
    return verdict.model_copy(update={"claimed": answer.status})


class _InlineExecutor(Executor):
    """Runs each call at submit time: no worker process for ``--jobs 1``."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        fut: Future[object] = Future()
        fut.set_result(fn(*args, **kwargs))
        return fut


def _judges(jobs: int) -> Executor:
    # Processes, not threads: each worker runs its sandbox calls one at a time.
    # forkserver: agents may have started threads (HTTP clients) that a fork would copy mid-lock.
    return _InlineExecutor() if jobs == 1 else ProcessPoolExecutor(jobs, mp_context=get_context("forkserver"))


def _problem_result(problem: Problem, verdicts: list[TestbenchVerdict]) -> ProblemResult:
    evidence = Evidence()
    for verdict in verdicts:
        evidence.add(verdict.to_check())
    return ProblemResult(
        problem=problem.id,
        quarantined=problem.quarantine_reason,
        n=len(verdicts),
        c=sum(v.passed for v in verdicts),
        verdicts=verdicts,
        evidence=evidence,
    )


def _report(agent: str, samples: int, results: list[ProblemResult], wall: float) -> EvalReport:
    scored = [r for r in results if r.quarantined is None]
    counts = [(r.n, r.c) for r in scored]
    pass_at = {str(k): mean_pass_at_k(counts, k) for k in ks_for(samples)} if counts else {}
    failures = Counter(v.failure for r in scored for v in r.verdicts if v.failure is not None)
    times = sorted(v.compile_s + v.sim_s for r in results for v in r.verdicts if v.claimed != "refused")
    answers = [v for r in scored for v in r.verdicts]
    return EvalReport(
        agent=agent,
        samples=samples,
        problems=results,
        scored=len(scored),
        pass_at=pass_at,
        failures=dict(failures),
        verified=sum(v.claimed == "verified" for v in answers),
        verified_passed=sum(v.claimed == "verified" and v.passed for v in answers),
        refused=sum(v.claimed == "refused" for v in answers),
        wall_s=wall,
        median_check_s=times[len(times) // 2] if times else 0.0,
    )


def save_report(report: EvalReport, data: Path, root: Path | None = None) -> Run:
    """Write ``report.json``, ``evidence.json`` (per problem, one testbench check per sample) and a
    finished manifest to a new run; returns the run."""
    run = new_run(f"eval verilog-eval --agent {report.agent} --samples {report.samples}", root=root)
    run.write_json("report.json", report, kind="report", data=str(data))
    evidence = {p.problem: p.evidence.model_dump(mode="json") for p in report.problems}
    run.write_json("evidence.json", evidence, kind="evidence", checker="the benchmark's testbench per sample")
    run.finish(
        "done",
        agent=report.agent,
        scored=report.scored,
        pass_at=report.pass_at,
        failures=report.failures,
        verified=report.verified,
        verified_passed=report.verified_passed,
        precision=report.precision,
        refused=report.refused,
    )
    return run
