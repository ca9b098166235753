"""Load benchmark of the reward service: throughput and latency against running the checker in a loop.

Items are VerilogEval problems (the shared copy when present, else the test fixtures) with a mix
of completions: correct (the reference as ``TopModule``), mutated (:mod:`evals._mutate`),
non-compiling (a statement cut short) and hostile (an endless loop, ``$system``, endless output).
Every item is made unique (a sample comment), so nothing is answered from the cache.

Measured on the same items: the checker called directly in a loop in one process and in as many
processes as workers (the baseline: no HTTP, no Ray, no cache), then the service on a local Ray
with 1 and 2 workers, batches posted one after another over HTTP. The caller (``qimeng bench
reward``) hands in how to start a service of ``w`` workers, so this module never imports Ray.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals._mutate import sample_mutants
from evals._ve_bench import load_problems
from evals.reward_client import post_json
from evals.reward_models import RewardResult

ServiceFor = Callable[[int], tuple[str, Callable[[], None]]]
"""``workers -> (service URL, stop)``: starts the reward service on a local Ray of that many CPUs."""
MIX = (("correct", 0.40), ("mutated", 0.35), ("non_compiling", 0.15), ("hostile", 0.10))
HOSTILE = (
    "  reg qimeng_t = 0;\n  initial while (1) qimeng_t = ~qimeng_t;\n",
    '  initial $system("yes > /dev/null &");\n',
    '  initial forever $display("%0200d", 0);\n',
)


class BenchItem(BaseModel):
    """One posted item and what kind of completion it is."""

    category: str = Field(description="correct, mutated, non_compiling or hostile.")
    item: dict[str, Any] = Field(description="The item as posted.")


class LoadPoint(BaseModel):
    """One way of scoring the items."""

    how: str = Field(description="direct loop (N processes) or service (N workers).")
    workers: int
    items: int
    wall_s: float
    items_per_s: float
    batch_p50_s: float | None = Field(None, description="Latency of one POST, median (service only).")
    batch_p99_s: float | None = None
    item_p50_s: float = Field(description="Checker seconds per item, median.")
    item_p99_s: float
    verdicts: dict[str, int] = Field(default_factory=dict, description="Items per verdict:reason.")
    errors: int = Field(0, description="Items with verdict error.")


class RewardBench(BaseModel):
    """The whole benchmark."""

    machine: str
    load: str = Field(description="1, 5 and 15 minute load averages when it started.")
    items: int
    batch: int
    timeout_s: float
    mix: dict[str, int]
    points: list[LoadPoint]
    agree: bool = Field(description="Every way of scoring gave every item the same reward.")
    drill: dict[str, Any] = Field(default_factory=dict, description="Worker-kill drill, when run.")


def build_items(data: Path, count: int, seed: int = 0) -> list[BenchItem]:
    """``count`` unique items over the problems in ``data`` with the :data:`MIX` of completions."""
    rng = random.Random(seed)
    problems = [p for p in load_problems(data) if p.quarantine_reason is None]
    rng.shuffle(problems)
    weights = [w for _, w in MIX]
    out: list[BenchItem] = []
    for k in range(count):
        problem = problems[k % len(problems)]
        good = problem.reference_as_candidate()
        category = rng.choices([c for c, _ in MIX], weights)[0]
        code = good
        if category == "mutated":
            mutants = sample_mutants(good, 1, seed=seed + k)
            code = (
                mutants[0].source if mutants else good.replace("endmodule", "wire qimeng_unused;\nendmodule")
            )
        elif category == "non_compiling":
            code = good.replace(";", "", 1) if ";" in good else good + "\n)"
        elif category == "hostile":
            code = good.replace("endmodule", HOSTILE[k % len(HOSTILE)] + "endmodule", 1)
        body = f"// sample {k}\n{code}"
        completion = f"<think>sample {k}</think>\n<answer>\n```verilog\n{body}\n```\n</answer>"
        item = {"kind": "verilog", "problem": problem.id, "completion": completion, "id": f"s{k}"}
        out.append(BenchItem(category=category, item=item))
    return out


def _score_one(args: tuple[dict[str, Any], list[str], float]) -> RewardResult:
    from evals.reward import score
    from evals.reward_problems import resolve

    raw, dirs, timeout_s = args
    found = resolve(0, raw, [Path(d) for d in dirs], timeout_s)
    return found if isinstance(found, RewardResult) else score(found)


def run_direct(
    items: Sequence[BenchItem], data: Path, workers: int, timeout_s: float
) -> tuple[LoadPoint, list[float]]:
    """The baseline: the checker in a loop, in ``workers`` processes (1: this process)."""
    jobs = [(b.item, [str(data)], timeout_s) for b in items]
    start = time.monotonic()
    if workers == 1:
        results = [_score_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
            results = list(pool.map(_score_one, jobs))
    wall = time.monotonic() - start
    how = "direct loop" + (f" ({workers} processes)" if workers > 1 else " (1 process)")
    return _point(how, workers, results, wall, []), [r.reward for r in results]


def run_service(
    url: str, items: Sequence[BenchItem], batch: int, workers: int
) -> tuple[LoadPoint, list[float]]:
    """POST the items in batches of ``batch``, one after another; a point and the rewards in order."""
    results: list[RewardResult] = []
    latencies = []
    start = time.monotonic()
    for first in range(0, len(items), batch):
        chunk = [b.item for b in items[first : first + batch]]
        t0 = time.monotonic()
        status, body = post_json(url + "/reward", {"items": chunk})
        latencies.append(time.monotonic() - t0)
        if "results" not in body:
            raise RuntimeError(f"the service answered {status}: {body.get('error')}")
        results += [RewardResult.model_validate(r) for r in body["results"]]
    wall = time.monotonic() - start
    return _point(
        f"service ({workers} worker{'s' if workers > 1 else ''})", workers, results, wall, latencies
    ), [r.reward for r in results]


def _point(
    how: str, workers: int, results: list[RewardResult], wall: float, latencies: list[float]
) -> LoadPoint:
    item_s = sorted(r.wall_s for r in results)
    verdicts: dict[str, int] = {}
    for r in results:
        key = f"{r.verdict}:{r.reason}" if r.reason else r.verdict
        verdicts[key] = verdicts.get(key, 0) + 1
    return LoadPoint(
        how=how,
        workers=workers,
        items=len(results),
        wall_s=wall,
        items_per_s=len(results) / wall if wall else 0.0,
        batch_p50_s=statistics.median(latencies) if latencies else None,
        batch_p99_s=_pct(sorted(latencies), 0.99) if latencies else None,
        item_p50_s=statistics.median(item_s),
        item_p99_s=_pct(item_s, 0.99),
        verdicts=dict(sorted(verdicts.items())),
        errors=sum(r.verdict == "error" for r in results),
    )


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def run_drill(url: str, items: Sequence[BenchItem], kill: Callable[[], int | None]) -> dict[str, Any]:
    """Post one batch and kill a worker while it runs (``kill`` returns the pid it killed, if any):
    how many items came back, with a verdict or an explicit error."""
    import threading

    answer: list[tuple[int, dict[str, Any]]] = []
    chunk = [b.item for b in items]
    start = time.monotonic()
    poster = threading.Thread(target=lambda: answer.append(post_json(url + "/reward", {"items": chunk})))
    poster.start()
    killed = None
    while killed is None and poster.is_alive():
        killed = kill()
        time.sleep(0.05)
    poster.join()
    status, body = answer[0]
    results = [RewardResult.model_validate(r) for r in body.get("results", [])]
    return {
        "items": len(chunk),
        "answered": len(results),
        "killed_pid": killed,
        "errors": sum(r.verdict == "error" for r in results),
        "status": status,
        "wall_s": round(time.monotonic() - start, 2),
    }


def run_bench(
    service_for: ServiceFor,
    data: Path,
    *,
    count: int,
    batch: int,
    workers: Sequence[int],
    timeout_s: float,
    kill: Callable[[], int | None] | None = None,
) -> RewardBench:
    """Score the same items directly and through the service at each worker count (see the module
    docstring); with ``kill``, a last batch runs the worker-kill drill on the largest service."""
    import os

    from evals.cluster_scaling import machine

    items = build_items(data, count)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    points, rewards = [], []
    for w in workers:
        point, got = run_direct(items, data, w, timeout_s)
        points.append(point)
        rewards.append(got)
    drill: dict[str, Any] = {}
    for w in workers:
        url, stop = service_for(w)
        try:
            point, got = run_service(url, items, batch, w)
            points.append(point)
            rewards.append(got)
            if kill is not None and w == max(workers):
                fresh = build_items(data, min(batch, count), seed=1)
                drill = run_drill(url, fresh, kill)
        finally:
            stop()
    mix: dict[str, int] = {}
    for b in items:
        mix[b.category] = mix.get(b.category, 0) + 1
    return RewardBench(
        machine=machine(),
        load=load,
        items=len(items),
        batch=batch,
        timeout_s=timeout_s,
        mix=mix,
        points=points,
        agree=all(r == rewards[0] for r in rewards),
        drill=drill,
    )
