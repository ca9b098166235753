"""The kernel-suite benchmark: design every problem with the offline designer on every CPU target,
judge correctness with the evaluator's own references, and race x86_64 results against NumPy.

Speed baselines run in a subprocess with ``OPENBLAS_NUM_THREADS=1`` (single-thread comparison),
twice: with the environment as given and with ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` removed
(they can force a slower OpenBLAS kernel); threadpoolctl reports which kernel each run used, and
every ratio is given against both. Only this benchmark's subprocess changes those variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

from pydantic import BaseModel, Field

from agents.roles import build_roles
from agents.sw.specs import kernel_spec
from evals._kernel_problems import PROBLEMS, Problem
from graphs.sw import design_kernel
from tools.errors import QimengError, UsageError
from tools.kernels import check_kernel
from tools.kernels.machine import MachinePeaks, machine_peaks
from tools.kernels.timing import time_kernel
from tools.targets import CPU_TARGETS, get_target

BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class KernelRow(BaseModel):
    """One problem on one target."""

    problem: str
    target: str
    status: str = Field(description="Designer verdict: verified or failed.")
    oracle: str = Field(description="The evaluator's own differential check: pass or what failed.")
    oracle_seeds: list[int] = Field(default_factory=list)
    params: dict[str, int] = Field(default_factory=dict)
    median_s: float | None = Field(None, description="Kernel seconds per call (x86_64 only).")
    gflops: float | None = None
    gbs: float | None = None
    roofline_fraction: float | None = None
    numpy_env_s: float | None = Field(None, description="NumPy seconds per call, environment as given.")
    numpy_clean_s: float | None = Field(
        None, description="NumPy seconds per call, OPENBLAS overrides removed."
    )
    error: str = ""

    @property
    def speedup_env(self) -> float | None:
        """NumPy (environment as given) time / kernel time."""
        return self.numpy_env_s / self.median_s if self.numpy_env_s and self.median_s else None

    @property
    def speedup_clean(self) -> float | None:
        """NumPy (overrides removed, best OpenBLAS kernel) time / kernel time."""
        return self.numpy_clean_s / self.median_s if self.numpy_clean_s and self.median_s else None


class SuiteReport(BaseModel):
    """The whole suite: machine, BLAS builds used by the baselines, every row."""

    machine: str
    peaks: MachinePeaks | None = None
    blas_env: list[dict[str, object]] = Field(default_factory=list)
    blas_clean: list[dict[str, object]] = Field(default_factory=list)
    overrides_in_env: dict[str, str] = Field(default_factory=dict)
    rows: list[KernelRow] = Field(default_factory=list)


def pick_problems(quick: bool) -> list[Problem]:
    """The suite, or its quick subset."""
    return [p for p in PROBLEMS if p.quick or not quick]


def run_suite(
    targets: list[str],
    *,
    quick: bool = False,
    budget: int = 6,
    seed: int = 1,
    on_row: Callable[[KernelRow], None] | None = None,
    problems: list[Problem] | None = None,
    roofline: bool = True,
) -> SuiteReport:
    """Design and judge every problem (default: the suite, or its quick subset) on ``targets``;
    time x86_64 against NumPy. ``roofline`` measures the machine's peaks (cached in the run store).

    Raises:
        UsageError: for a target that is not a CPU target.
    """
    for t in targets:
        if t not in CPU_TARGETS:
            raise UsageError(
                f"the kernel suite runs on CPU targets; '{t}' is not one of {', '.join(CPU_TARGETS)}"
            )
    problems = problems if problems is not None else pick_problems(quick)
    native = "x86_64" in targets
    peaks = machine_peaks() if native and roofline else None
    report = SuiteReport(
        machine=peaks.machine.cpu_model if peaks else os.uname().machine,
        peaks=peaks,
        overrides_in_env={k: os.environ[k] for k in BLAS_OVERRIDES if k in os.environ},
    )
    for target in targets:
        for problem in problems:
            row = _run_one(problem, target, budget, seed, peaks)
            report.rows.append(row)
            if on_row is not None:
                on_row(row)
    if native:
        _add_baselines(report, problems, seed)
    return report


def _run_one(problem: Problem, target: str, budget: int, seed: int, peaks: MachinePeaks | None) -> KernelRow:
    tgt = get_target(target)
    design = design_kernel(
        problem.request,
        target=target,
        roles=build_roles(None).sw,
        budget=budget if not tgt.emulated else 2,
        seed=seed,
        store=False,
    )
    row = KernelRow(
        problem=problem.id, target=target, status=design.status, oracle="not run", params=design.params
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
    if not tgt.emulated:
        bench = time_kernel(design.source, spec, tgt, peaks=peaks, samples=20, seed=seed)
        t = bench.timings[0]
        row.median_s, row.gflops, row.gbs, row.roofline_fraction = (
            t.median_s,
            t.gflops,
            t.gbs,
            t.fraction_of_roofline,
        )
        row.params = {**design.params, "rotating_sets": t.rotating_sets}
    return row


def _add_baselines(report: SuiteReport, problems: list[Problem], seed: int) -> None:
    rows = {r.problem: r for r in report.rows if r.target == "x86_64" and r.median_s is not None}
    items = [
        {
            "id": p.id,
            "kernel": p.kernel,
            "dims": p.dims,
            "sets": min(rows[p.id].params.get("rotating_sets", 1), 64),
        }
        for p in problems
        if p.id in rows
    ]
    if not items:
        return
    for variant in ("env", "clean"):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        if variant == "clean":
            for key in BLAS_OVERRIDES:
                env.pop(key, None)
        proc = subprocess.run(
            [sys.executable, "-m", "evals._numpy_bench"],
            input=json.dumps({"seed": seed, "problems": items}),
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise QimengError(f"the NumPy baseline failed: {proc.stderr[-800:]}")
        data = json.loads(proc.stdout)
        for pid, res in data["results"].items():
            setattr(rows[pid], f"numpy_{variant}_s", res["median_s"])
        setattr(report, f"blas_{variant}", data["blas"])
