"""Searching TilePlans by measurement on the device, with a bounded budget and a full record.

For each plan (in the space's prior order) the tuner lowers it, compiles it, and times it briefly
(L2 flushed between reps); it stops at ``max_plans`` or when ``budget_s`` is spent. The fastest
plans are then checked in turn (fresh inputs, poisoned outputs); the first that passes wins. When
none passes, the safe fallback plan is tried. Every trial, failure included, is in the record.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .checking import CheckRecord, check_runner
from .lower import LoweredKernel, launch_summary
from .plan import TilePlan
from .problems import Problem, Runner
from .timing import tflops, time_call


@dataclass
class TuneResult:
    """The winning plan (None when nothing passed), its runner and check, and every trial."""

    plan: TilePlan | None
    kernel: LoweredKernel | None
    runner: Runner | None
    check: CheckRecord | None
    trials: list[dict[str, Any]] = field(default_factory=list)
    spent_s: float = 0.0


def tune(
    problem: Problem,
    plans: list[TilePlan],
    lower: Callable[[TilePlan], LoweredKernel],
    make_runner: Callable[[LoweredKernel], Runner],
    *,
    fallback: TilePlan,
    budget_s: float,
    max_plans: int,
    quick_reps: int,
    seeds: list[int],
    log: Callable[[str], None] = print,
) -> TuneResult:
    """Search ``plans`` for ``problem`` (see module docstring); never raises for a bad plan."""
    t_start = time.perf_counter()
    inputs = problem.make_inputs(seeds[0] + 7919)
    out = problem.make_output()
    trials: list[dict[str, Any]] = []
    runners: dict[TilePlan, tuple[LoweredKernel, Runner]] = {}
    for index, plan in enumerate(plans):
        spent = time.perf_counter() - t_start
        if index >= max_plans or spent > budget_s:
            trials.append({"plan": plan.key(), "status": "skipped", "reason": "search budget spent"})
            continue
        trial: dict[str, Any] = {"plan": plan.key()}
        try:
            kernel = lower(plan)
            run = make_runner(kernel)
            t0 = time.perf_counter()
            run(inputs, out)  # first call compiles
            trial["compile_s"] = round(time.perf_counter() - t0, 3)
            timing = time_call(partial(run, inputs, out), problem.device, reps=quick_reps, warmup=2)
            trial.update(status="timed", median_ms=timing.median_ms)
            trial["tflops"] = tflops(problem.flops, timing.median_ms)
            trial["launch"] = launch_summary(kernel)
            runners[plan] = (kernel, run)
        except Exception as exc:  # a plan that fails to lower/compile/run is a finding, not a crash
            trial.update(status="error", reason=_last_line(exc))
        trials.append(trial)
        log(f"    {plan.key():40s} {trial.get('status')} {trial.get('median_ms', trial.get('reason', ''))}")
    ranked = sorted((t for t in trials if t["status"] == "timed"), key=lambda t: float(t["median_ms"]))
    by_key = {p.key(): p for p in runners}
    for trial in ranked[:3]:
        plan = by_key[trial["plan"]]
        kernel, run = runners[plan]
        check = _check(problem, run, seeds)
        trial["check"] = check.status
        if check.ok:
            return TuneResult(plan, kernel, run, check, trials, time.perf_counter() - t_start)
        trial["check_reason"] = check.reason
    trial = {"plan": fallback.key(), "fallback": True}
    try:
        kernel = lower(fallback)
        run = make_runner(kernel)
        check = _check(problem, run, seeds)
        trial.update(status="checked", check=check.status)
        trials.append(trial)
        if check.ok:
            return TuneResult(fallback, kernel, run, check, trials, time.perf_counter() - t_start)
        return TuneResult(None, None, None, check, trials, time.perf_counter() - t_start)
    except Exception as exc:
        trial.update(status="error", reason=_last_line(exc))
        trials.append(trial)
        return TuneResult(None, None, None, None, trials, time.perf_counter() - t_start)


def _check(problem: Problem, run: Runner, seeds: list[int]) -> CheckRecord:
    return check_runner(
        run, problem.make_inputs, problem.reference, problem.make_output, seeds, problem.tolerance
    )


def _last_line(exc: BaseException) -> str:
    text = traceback.format_exception_only(type(exc), exc)
    return " ".join(line.strip() for line in text)[-1500:]
