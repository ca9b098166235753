"""Cluster scaling benchmark: samples per second against worker count on a local Ray, and efficiency.

Each sample is the ``synthetic-sample`` task (a fixed number of SHA-256 rounds: CPU work of known
size). The caller hands in how to get an executor (``qimeng bench cluster`` starts one local Ray
with as many CPUs as the largest worker count); the worker count is the number of calls allowed in
flight. Parallel efficiency is ``(rate(w) / rate(w0)) / (w / w0)`` for the smallest count ``w0``.

This module never imports :mod:`cluster` (which imports the evaluators for its campaign tasks):
it sees only the executor seam of :mod:`tools.executor`, so imports run one way.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from tools.calls import Call
from tools.errors import UsageError
from tools.executor import Executor

ExecutorFor = Callable[[int, int], Executor]
"""``(cpus, in_flight) -> Executor``: the first call may start a cluster of ``cpus`` CPUs; each
executor allows ``in_flight`` calls at once and runs the campaign task ``synthetic-sample``."""


class ScalingPoint(BaseModel):
    """Throughput at one worker count."""

    workers: int
    samples: int
    wall_s: float
    samples_per_s: float
    efficiency: float = Field(description="Speed-up over the smallest worker count, per added worker.")


class ScalingResult(BaseModel):
    """The whole sweep and where it ran."""

    machine: str
    work: int = Field(description="SHA-256 rounds per sample.")
    points: list[ScalingPoint]


def machine() -> str:
    """CPU model and count of this host, for the table title."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), model)
    except OSError:
        pass  # not Linux: keep platform's answer
    return f"{model}, {os.cpu_count()} CPUs"


def measure(
    workers: list[int], executor_for: ExecutorFor, samples: int = 16, work: int = 200_000
) -> ScalingResult:
    """Run ``samples`` samples at each worker count and time them.

    Raises:
        UsageError: for an empty or non-positive worker list, or fewer samples than workers.
    """
    if not workers or min(workers) < 1:
        raise UsageError(f"worker counts must be positive integers, got {workers}")
    if samples < max(workers):
        raise UsageError(f"--samples ({samples}) must be at least the largest worker count ({max(workers)})")

    def calls(tag: str, n: int) -> list[Call]:
        return [
            Call(
                key=f"{tag}{i}#0",
                task="synthetic-sample",
                args={"problem": f"{tag}{i}", "sample": 0, "work": work},
            )
            for i in range(n)
        ]

    points: list[ScalingPoint] = []
    base = executor_for(max(workers), max(workers))
    try:
        list(base.map(calls("warm", max(workers))))  # start the worker processes before timing
        first: tuple[int, float] | None = None  # the smallest worker count is the baseline
        for w in sorted(set(workers)):
            ex = executor_for(max(workers), w)
            start = time.perf_counter()
            results = list(ex.map(calls(f"w{w}-", samples)))
            wall = time.perf_counter() - start
            if not all(r.ok for r in results):
                raise UsageError(f"scaling run failed: {[r.error for r in results if not r.ok][:1]}")
            rate = samples / wall
            if first is None:
                first = (w, rate)
            eff = (rate / first[1]) / (w / first[0])
            points.append(
                ScalingPoint(workers=w, samples=samples, wall_s=wall, samples_per_s=rate, efficiency=eff)
            )
    finally:
        base.close()
    return ScalingResult(machine=machine(), work=work, points=points)


def render(result: ScalingResult, console: Console | None = None) -> None:
    """Print the sweep as a table titled with the machine."""
    table = Table(title=f"cluster scaling ({result.work} SHA-256 rounds/sample) on {result.machine}")
    for col in ("workers", "samples", "wall s", "samples/s", "efficiency"):
        table.add_column(col, justify="right")
    for p in result.points:
        table.add_row(
            str(p.workers), str(p.samples), f"{p.wall_s:.2f}", f"{p.samples_per_s:.2f}", f"{p.efficiency:.0%}"
        )
    (console or Console()).print(table)


def main(
    executor_for: ExecutorFor,
    workers: str = "1,2",
    samples: int = 16,
    work: int = 200_000,
    json_out: bool = False,
) -> ScalingResult:
    """CLI entry: ``workers`` is a comma-separated list; prints a table (or JSON) and returns the result."""
    try:
        counts = [int(w) for w in workers.split(",") if w.strip()]
    except ValueError:
        raise UsageError(
            f"--workers must be comma-separated integers like '1,2,4', got '{workers}'"
        ) from None
    result = measure(counts, executor_for, samples, work)
    if json_out:
        print(result.model_dump_json(indent=2))
    else:
        render(result)
    return result
