"""The kernel-suite benchmark: design every problem with the offline designer on every CPU target,
judge correctness with the evaluator's own references, and race x86_64 results against the best
library a user already has, NumPy/OpenBLAS and PyTorch's CPU backend, at one thread and at all
threads.

Each x86_64 kernel is rendered from its tuned parameters at every thread count (``threads`` of the
template), checked again by the evaluator's reference, and timed in ``rounds`` rounds. A lane's
thread count is a budget: the template's thread counts up to it are timed (three times, interleaved)
and the most threads within 3% of the fastest are rendered (a small kernel can lose more to waking a
second thread than it gains); the lane records what ran (``params['threads']``) and those times.
Each round times every kernel, then every baseline, so a change in the machine's load hits both
sides. The figures are medians over rounds. Baselines run in a subprocess with
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and PyTorch's intra-op threads set to the thread
count, the OpenBLAS overrides (``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``, which can force a slower
kernel) removed, and ``OMP_WAIT_POLICY=PASSIVE`` as for our kernels' threads. The load average
before and after is recorded: on a shared machine the all-threads figures say little.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from agents.roles import build_roles
from agents.sw.library import TEMPLATES, KernelTemplate
from agents.sw.specs import kernel_spec
from evals._kernel_lanes import Lane, finish_lane
from evals._kernel_problems import PROBLEMS, Problem
from graphs.sw import design_kernel
from tools.errors import QimengError, UsageError
from tools.kernels import check_kernel
from tools.kernels.machine import MachinePeaks, machine_peaks
from tools.kernels.spec import KernelSpec
from tools.kernels.timing import time_kernel
from tools.runstore import Run, new_run
from tools.targets import CPU_TARGETS, get_target

BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
LIBS = ("numpy", "torch")


class KernelRow(BaseModel):
    """One problem on one target: the designer's verdict, the evaluator's, and the timed lanes."""

    problem: str
    target: str
    status: str = Field(description="Designer verdict: verified or failed.")
    oracle: str = Field(description="The evaluator's own differential check: pass or what failed.")
    oracle_seeds: list[int] = Field(default_factory=list, description="Seeds of the evaluator's check.")
    params: dict[str, int] = Field(default_factory=dict, description="Parameters the tuner chose.")
    tried: list[dict[str, object]] = Field(
        default_factory=list, description="The tuner's candidates: params, status, median seconds."
    )
    tuner_stopped: str = Field("", description="Why the tuner stopped: budget, time, space or passed.")
    lanes: list[Lane] = Field(default_factory=list, description="Timed thread counts (x86_64 only).")
    error: str = Field("", description="Why the row failed, when it did.")

    def lane(self, threads: int) -> Lane | None:
        """The lane timed at ``threads`` threads, if any."""
        return next((lane for lane in self.lanes if lane.threads == threads), None)


class SuiteReport(BaseModel):
    """The whole suite: machine, peaks, library builds, load, every row."""

    machine: str = Field(description="CPU model (or architecture when not measured).")
    peaks: MachinePeaks | None = Field(None, description="Measured peaks of one core.")
    thread_counts: list[int] = Field(default_factory=list, description="Thread counts timed.")
    rounds: int = Field(1, description="Timing rounds (kernels then baselines, each round).")
    libraries: dict[str, object] = Field(
        default_factory=dict, description="Per thread count: the OpenBLAS build and PyTorch's version."
    )
    overrides_removed: dict[str, str] = Field(
        default_factory=dict, description="OpenBLAS overrides the environment had (removed for baselines)."
    )
    load_before: list[float] = Field(
        default_factory=list, description="Load average (1, 5, 15 min) at start."
    )
    load_after: list[float] = Field(default_factory=list, description="Load average after timing.")
    rows: list[KernelRow] = Field(default_factory=list)


def pick_problems(quick: bool) -> list[Problem]:
    """The suite, or its quick subset."""
    return [p for p in PROBLEMS if p.quick or not quick]


def run_suite(
    targets: list[str],
    *,
    quick: bool = False,
    budget: int = 6,
    time_budget_s: float | None = None,
    seed: int = 1,
    on_row: Callable[[KernelRow], None] | None = None,
    problems: list[Problem] | None = None,
    roofline: bool = True,
    rounds: int = 3,
    threads: list[int] | None = None,
    libs: tuple[str, ...] = LIBS,
) -> SuiteReport:
    """Design and judge every problem (default: the suite, or its quick subset) on ``targets``;
    time x86_64 at each of ``threads`` (default: 1 and all cores) against ``libs`` in ``rounds``
    interleaved rounds; the tuner tries ``budget`` candidates per kernel within ``time_budget_s``
    seconds (None: no limit). ``roofline`` measures the machine's peaks (cached in the run store).

    Raises:
        UsageError: for a target that is not a CPU target, rounds < 1 or a thread count < 1.
        QimengError: when a baseline subprocess fails.
    """
    for t in targets:
        if t not in CPU_TARGETS:
            raise UsageError(
                f"the kernel suite runs on CPU targets; '{t}' is not one of {', '.join(CPU_TARGETS)}"
            )
    counts = sorted(set(threads or [1, os.cpu_count() or 1]))
    if rounds < 1 or counts[0] < 1:
        raise UsageError(f"rounds and thread counts must be at least 1, got {rounds} and {counts}")
    problems = problems if problems is not None else pick_problems(quick)
    native = "x86_64" in targets
    peaks = machine_peaks() if native and roofline else None
    report = SuiteReport(
        machine=peaks.machine.cpu_model if peaks else os.uname().machine,
        peaks=peaks,
        thread_counts=counts if native else [],
        rounds=rounds,
        overrides_removed={k: os.environ[k] for k in BLAS_OVERRIDES if k in os.environ},
        load_before=list(os.getloadavg()),
    )
    for target in targets:
        for problem in problems:
            row = _design_and_judge(problem, target, budget, seed, counts, time_budget_s)
            report.rows.append(row)
            if on_row is not None:
                on_row(row)
    timed = {r.problem: r for r in report.rows if r.target == "x86_64" and r.lanes}
    for _ in range(rounds):
        _time_kernels(timed, problems, seed)
        _time_baselines(report, timed, problems, seed, libs)
    report.load_after = list(os.getloadavg())
    by_id = {p.id: p for p in problems}
    for pid, row in timed.items():
        spec = kernel_spec(by_id[pid].kernel, by_id[pid].dims)
        for lane in row.lanes:
            finish_lane(lane, spec, peaks)
    return report


def _design_and_judge(
    problem: Problem,
    target: str,
    budget: int,
    seed: int,
    counts: list[int],
    time_budget_s: float | None = None,
) -> KernelRow:
    tgt = get_target(target)
    design = design_kernel(
        problem.request,
        target=target,
        roles=build_roles(None).sw,
        budget=budget if not tgt.emulated else 2,
        time_budget_s=time_budget_s,
        seed=seed,
        store=False,
    )
    tune = next((c for c in design.evidence.checks if c.name == "tune"), None)
    tried = [
        {
            "params": c.get("params"),
            "status": c.get("status"),
            "median_s": (c.get("timing") or {}).get("median_s"),
        }
        for c in (tune.details.get("candidates", []) if tune else [])
    ]
    row = KernelRow(
        problem=problem.id,
        target=target,
        status=design.status,
        oracle="not run",
        params=design.params,
        tried=tried,
        tuner_stopped=str(tune.details.get("stopped", "")) if tune else "",
    )
    if design.status != "verified":
        row.error = design.why_not
        return row
    spec = kernel_spec(problem.kernel, problem.dims, emulated=tgt.emulated)
    oracle_spec = spec.model_copy(update={"reference": problem.oracle})
    verdict = check_kernel(design.source, oracle_spec, tgt, seed=seed + 7919)
    row.oracle, row.oracle_seeds = verdict.status, verdict.seeds
    if not verdict.ok:
        row.error = verdict.reason
        return row
    if tgt.emulated:
        return row
    template = TEMPLATES[problem.kernel]
    threaded = "threads" in template.space(target) and design.origin.startswith("offline:template")
    for n in counts if threaded else counts[:1]:
        params = {**design.params, "threads": n} if threaded else dict(design.params)
        lane = Lane(threads=n, params=params)
        if threaded:
            lane.params, lane.threads_timed = _fastest_thread_count(template, params, n, spec, seed)
        source = template.render(target, lane.params) if threaded else design.source
        lane.source = source
        if source != design.source:
            again = check_kernel(source, oracle_spec, tgt, seed=seed + 7919)
            lane.oracle = again.status
            if not again.ok:
                lane.error = again.reason
        row.lanes.append(lane)
    return row


def _fastest_thread_count(
    template: KernelTemplate, params: dict[str, int], budget: int, spec: KernelSpec, seed: int
) -> tuple[dict[str, int], dict[str, float]]:
    """Within a lane's thread budget, the template's thread counts up to it, each timed three times
    (interleaved, the fastest of its medians kept, so a burst of someone else's load does not decide
    alone); the most threads within 3% of the fastest win (a small kernel can lose more to waking a
    second thread than it gains). Returns the parameters to render and the times (empty when the
    budget allows only one count or nothing could be timed)."""
    counts = [t for t in template.space("x86_64")["threads"] if t <= budget]
    if len(counts) < 2:
        return params, {}
    timed: dict[str, float] = {}
    for _ in range(3):
        for t in counts:
            source = template.render("x86_64", {**params, "threads": t})
            bench = time_kernel(source, spec, "x86_64", samples=15, seed=seed, threads=t)
            if bench.ok:
                timed[str(t)] = min(timed.get(str(t), float("inf")), bench.timings[0].median_s)
    if not timed:
        return params, {}
    fastest = min(timed.values())
    best = max((k for k in timed if timed[k] <= 1.03 * fastest), key=int)
    return {**params, "threads": int(best)}, timed


def _time_kernels(rows: dict[str, KernelRow], problems: list[Problem], seed: int) -> None:
    by_id = {p.id: p for p in problems}
    for pid, row in rows.items():
        spec = kernel_spec(by_id[pid].kernel, by_id[pid].dims)
        for lane in row.lanes:
            if lane.oracle != "pass":
                continue
            bench = time_kernel(lane.source, spec, "x86_64", samples=15, seed=seed, threads=lane.threads)
            t = bench.timings[0]
            if not bench.ok:
                lane.error = bench.check.summary
                lane.oracle = "timed check failed"
                continue
            lane.round_s.append(t.median_s)
            lane.rotating_sets, lane.exceeds_llc = t.rotating_sets, t.exceeds_llc


def _time_baselines(
    report: SuiteReport, rows: dict[str, KernelRow], problems: list[Problem], seed: int, libs: tuple[str, ...]
) -> None:
    by_id = {p.id: p for p in problems}
    for n in report.thread_counts:
        items = [
            {
                "id": pid,
                "kernel": by_id[pid].kernel,
                "dims": by_id[pid].dims,
                "sets": min(lane.rotating_sets, 64),
            }
            for pid, row in rows.items()
            if (lane := row.lane(n)) is not None and lane.rotating_sets
        ]
        if not items:
            continue
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(n), OMP_NUM_THREADS=str(n), OMP_WAIT_POLICY="PASSIVE")
        for key in BLAS_OVERRIDES:
            env.pop(key, None)
        proc = subprocess.run(
            [sys.executable, "-m", "evals._numpy_bench"],
            input=json.dumps({"seed": seed, "threads": n, "libs": list(libs), "problems": items}),
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise QimengError(f"the library baseline failed: {proc.stderr[-800:]}")
        data = json.loads(proc.stdout)
        report.libraries[str(n)] = {k: v for k, v in data.items() if k != "results"}
        for pid, res in data["results"].items():
            lane = rows[pid].lane(n)
            if lane is not None:
                for lib, seconds in res.items():
                    lane.library_round_s.setdefault(lib, []).append(seconds)


def save_suite(report: SuiteReport, command: str, root: Path | None = None) -> Run:
    """Write the suite to a new run: ``report.json`` (every row, lane and timed source) and
    ``evidence.json`` (per problem and target: the designer's verdict, the evaluator's check with its
    seeds, each timed rendering's re-check); the run is 'done' only when every check passed."""
    run = new_run(command, root=root)
    run.write_json("report.json", report, kind="report")
    evidence = [
        {
            "problem": r.problem,
            "target": r.target,
            "designer": r.status,
            "oracle": r.oracle,
            "oracle_seeds": r.oracle_seeds,
            "lanes": [
                {"threads": lane.threads, "oracle": lane.oracle, "error": lane.error} for lane in r.lanes
            ],
            "error": r.error,
        }
        for r in report.rows
    ]
    run.write_json(
        "evidence.json",
        {"checker": "evals.kernels (evaluator-only references)", "rows": evidence},
        kind="evidence",
    )
    passed = all(r.oracle == "pass" and all(lane.oracle == "pass" for lane in r.lanes) for r in report.rows)
    run.finish("done" if passed else "failed", rows=len(report.rows), machine=report.machine)
    return run
