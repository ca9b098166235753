"""Design-session case of ``qimeng bench cluster``: tool calls per second through the executor seam,
and what a Ray-dispatched call costs over the same call in-process (median and p95).

Two workloads. *Empty calls* (a task that returns at once) show the bare dispatch cost. The
*session mix* is the tool calls of the multi-node test's request (a 4-bit adder: lint,
differential check, synthesis; ``reduce_sum n=4096``: compile and test on every target the
cluster serves, time it on x86_64), each run once in-process and once on Ray, alternating, so the
overhead of each call is paired with its own in-process time. Throughput is given for the mix run
one call at a time (as a single agent calls its tools) and all at once (as parallel workers do).

The caller hands in the Ray executor (this module never imports :mod:`cluster`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table

from agents.sw.tool_calls import CHECK, COMPILE, TIME, SpecRecipe
from evals.cluster_scaling import machine
from tools.calls import Call
from tools.errors import QimengError, UsageError
from tools.executor import Executor, InProcessExecutor
from tools.hdl import calls as hdl

ADDER = "module top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n"
ADDER_MODEL = (
    "class Model:\n    def reset(self):\n        pass\n\n    def outputs(self, inputs):\n"
    '        return {"y": (inputs["a"] + inputs["b"]) % 16}\n\n    def clock(self, inputs):\n        pass\n'
)
KERNEL = (
    "void reduce_sum(const float* x, float* out, int n) {\n  double s = 0.0;\n"
    "  for (int i = 0; i < n; i++) s += x[i];\n  out[0] = (float)s;\n}\n"
)
NOOP = "evals.tool_dispatch:noop_call"


def noop_call(args: dict[str, Any]) -> dict[str, Any]:
    """A task that does nothing: its round trip is the executor's own cost."""
    return {}


def session_calls(targets: set[str] | None) -> list[Call]:
    """The test request's tool calls, for the targets served (None: all three CPU targets)."""
    calls = [
        Call(key="lint", task=hdl.LINT, args={"rtl": ADDER, "top": "top"}, toolset=hdl.TOOLSET),
        Call(
            key="diffsim",
            task=hdl.DIFF_CHECK,
            args={"rtl": ADDER, "reference": {"source": ADDER_MODEL}, "top": "top", "seeds": [1, 2, 3]},
            toolset=hdl.TOOLSET,
        ),
        Call(key="synth", task=hdl.SYNTH, args={"rtl": ADDER, "top": "top"}, toolset=hdl.TOOLSET),
    ]
    for target in ("x86_64", "aarch64", "riscv64"):
        if targets is not None and target not in targets:
            continue
        recipe = SpecRecipe(kernel="reduce_sum", dims={"n": 4096}, emulated=target != "x86_64")
        base = {"source": KERNEL, "recipe": recipe.model_dump(mode="json"), "target": target}
        calls.append(Call(key=f"compile@{target}", task=COMPILE, args=base, target=target))
        calls.append(Call(key=f"test@{target}", task=CHECK, args=base | {"seed": 0}, target=target))
        if target == "x86_64":
            calls.append(
                Call(key="time@x86_64", task=TIME, args=base | {"samples": 15, "seed": 0}, target=target)
            )
    return calls


class Latency(BaseModel):
    """Milliseconds per call: median and 95th percentile."""

    median_ms: float = Field(description="Median milliseconds.")
    p95_ms: float = Field(description="95th percentile milliseconds.")


class DispatchResult(BaseModel):
    """The design-session case and where it ran."""

    machine: str = Field(description="CPU model and count of the host.")
    ray_nodes: int = Field(description="Alive nodes of the Ray cluster used.")
    targets: list[str] = Field(description="Targets the session mix covered.")
    noop_runs: int = Field(description="Empty calls timed each way.")
    noop_in_process: Latency = Field(description="An empty call in-process.")
    noop_ray: Latency = Field(description="An empty call as a Ray task.")
    mix_calls: int = Field(description="Tool calls of the session mix timed each way.")
    mix_in_process: Latency = Field(description="A session-mix tool call in-process.")
    mix_ray: Latency = Field(description="The same calls as Ray tasks.")
    overhead: Latency = Field(description="Ray minus in-process time of the same call (paired).")
    overhead_by_call: dict[str, float] = Field(
        description="Median paired overhead in ms for each call of the mix (lint, compile@riscv64, ...)."
    )
    calls_per_s_in_process: float = Field(description="Session mix one call at a time, in-process.")
    calls_per_s_ray: float = Field(description="Session mix one call at a time, on Ray.")
    calls_per_s_ray_parallel: float = Field(description="Session mix all submitted at once, on Ray.")


def _latency(values_s: list[float]) -> Latency:
    ms = sorted(v * 1e3 for v in values_s)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return Latency(median_ms=statistics.median(ms), p95_ms=p95)


def _timed(executor: Executor, call: Call) -> float:
    start = time.perf_counter()
    result = executor.run(call)
    wall = time.perf_counter() - start
    if not result.ok:
        raise QimengError(f"benchmark call {call.key} failed: {result.error}")
    return wall


def measure(ray: Executor, ray_nodes: int, noop_runs: int = 200, rounds: int = 3) -> DispatchResult:
    """Time empty calls and ``rounds`` rounds of the session mix, in-process and on ``ray``.

    Raises:
        UsageError: for fewer than 10 empty calls or no round.
        QimengError: when a call fails (the benchmark measures working calls only).
    """
    if noop_runs < 10 or rounds < 1:
        raise UsageError(f"need at least 10 empty calls and 1 round, got {noop_runs} and {rounds}")
    local = InProcessExecutor()
    served = ray.targets()
    mix = session_calls(served)
    for call in [Call(key="warm", task=NOOP), *mix]:  # start workers and load modules before timing
        _timed(ray, call)
        _timed(local, call)
    noop = Call(key="noop", task=NOOP)
    noop_local = [_timed(local, noop) for _ in range(noop_runs)]
    noop_ray = [_timed(ray, noop) for _ in range(noop_runs)]
    here: list[float] = []
    there: list[float] = []
    by_call: dict[str, list[float]] = {call.key: [] for call in mix}
    for r in range(rounds):
        for call in mix:
            pair = [(local, here), (ray, there)]
            for executor, into in pair if r % 2 == 0 else reversed(pair):
                into.append(_timed(executor, call))
            by_call[call.key].append(there[-1] - here[-1])
    start = time.perf_counter()
    for _ in range(rounds):
        results = list(ray.map(mix))
        if not all(r.ok for r in results):
            raise QimengError(f"benchmark calls failed: {[r.error for r in results if not r.ok][:1]}")
    parallel = time.perf_counter() - start
    return DispatchResult(
        machine=machine(),
        ray_nodes=ray_nodes,
        targets=sorted(t for t in ("x86_64", "aarch64", "riscv64") if served is None or t in served),
        noop_runs=noop_runs,
        noop_in_process=_latency(noop_local),
        noop_ray=_latency(noop_ray),
        mix_calls=len(here),
        mix_in_process=_latency(here),
        mix_ray=_latency(there),
        overhead=_latency([b - a for a, b in zip(here, there, strict=True)]),
        overhead_by_call={k: statistics.median(v) * 1e3 for k, v in by_call.items()},
        calls_per_s_in_process=len(here) / sum(here),
        calls_per_s_ray=len(there) / sum(there),
        calls_per_s_ray_parallel=len(mix) * rounds / parallel,
    )


def render(result: DispatchResult, console: Console | None = None) -> None:
    """Print the case as a table titled with the machine."""
    table = Table(
        title=f"design-session tool calls, in-process vs Ray ({result.ray_nodes} node(s)) on {result.machine}"
    )
    for col in ("what", "calls", "median ms", "p95 ms", "calls/s"):
        table.add_column(col, justify="right")
    table.add_row("empty call, in-process", str(result.noop_runs), *_cells(result.noop_in_process), "-")
    table.add_row("empty call, Ray", str(result.noop_runs), *_cells(result.noop_ray), "-")
    table.add_row(
        "session mix, in-process",
        str(result.mix_calls),
        *_cells(result.mix_in_process),
        f"{result.calls_per_s_in_process:.2f}",
    )
    table.add_row(
        "session mix, Ray", str(result.mix_calls), *_cells(result.mix_ray), f"{result.calls_per_s_ray:.2f}"
    )
    table.add_row("Ray overhead per call (paired)", str(result.mix_calls), *_cells(result.overhead), "-")
    table.add_row(
        "session mix, Ray, all at once",
        str(result.mix_calls),
        "-",
        "-",
        f"{result.calls_per_s_ray_parallel:.2f}",
    )
    out = console or Console()
    out.print(table)
    out.print(f"session mix targets: {', '.join(result.targets)}")
    out.print(
        "median paired overhead per call (ms): "
        + ", ".join(f"{k} {v:.0f}" for k, v in result.overhead_by_call.items())
    )


def _cells(lat: Latency) -> tuple[str, str]:
    return f"{lat.median_ms:.2f}", f"{lat.p95_ms:.2f}"


def main(
    ray_executor: Callable[[], tuple[Executor, int]],
    noop_runs: int = 200,
    rounds: int = 3,
    json_out: bool = False,
) -> DispatchResult:
    """CLI entry: ``ray_executor`` gives the Ray executor and its node count; prints a table (or JSON)."""
    ray, nodes = ray_executor()
    try:
        result = measure(ray, nodes, noop_runs, rounds)
    finally:
        ray.close()
    if json_out:
        print(result.model_dump_json(indent=2))
    else:
        render(result)
    return result
