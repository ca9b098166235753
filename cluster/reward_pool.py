"""Scoring reward batches on an executor (Ray by default): the engine behind ``qimeng serve reward``.

A batch is validated item by item (:func:`evals.reward_problems.resolve`); items the cache holds
are answered from it; the rest become one tool call each (``evals.reward:score_task``, needing the
``hdl`` tool set or the kernel's target), identical items in a batch run once. Every item comes
back: a worker that dies is retried by Ray on another worker, and an item whose every attempt
died, or whose target no node serves, gets verdict ``error`` with the reason, never silence.
Results go to the cache (:class:`RewardStore`) and every item to the observation history.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster.reward_store import RewardStore
from evals.reward_models import DEFAULT_TIMEOUT_S, ResolvedItem, RewardResult
from evals.reward_problems import checker_version, resolve
from tools.calls import Call, CallResult
from tools.executor import Executor
from tools.metrics import record_reward_batch, record_reward_item

SCORE_TASK = "evals.reward:score_task"


@dataclass
class BatchOutcome:
    """The answer to one batch: one result per posted item, in order."""

    results: list[RewardResult]
    batch: int
    """Batch number in the observation history."""
    wall_s: float

    @property
    def invalid(self) -> list[RewardResult]:
        """Items that were bad input (the HTTP front answers 400 when there is any)."""
        return [r for r in self.results if r.verdict == "invalid"]


class RewardPool:
    """Scores batches on ``executor``; see the module docstring.

    Args:
        executor: where items are checked (a :class:`cluster.ray_executor.RayExecutor`, or any
            executor of the seam).
        store: the cache and history.
        data_dirs: VerilogEval-format directories that problem ids are looked up in.
        timeout_s: wall-clock limit of one item's simulations or kernel runs.
    """

    def __init__(
        self,
        executor: Executor,
        store: RewardStore,
        data_dirs: Sequence[Path] = (),
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.executor = executor
        self.store = store
        self.data_dirs = list(data_dirs)
        self.timeout_s = timeout_s

    def score_batch(self, raw_items: Sequence[Any]) -> BatchOutcome:
        """Score every posted item (each a JSON object); never raises for a bad item."""
        start = time.monotonic()
        results: dict[int, RewardResult] = {}
        todo: dict[int, ResolvedItem] = {}
        for index, raw in enumerate(raw_items):
            found = resolve(index, raw, self.data_dirs, self.timeout_s)
            if isinstance(found, RewardResult):
                results[index] = found
            else:
                todo[index] = found
        cache = self.store.cached(item.cache_key for item in todo.values())
        for index, item in list(todo.items()):
            hit = cache.get(item.cache_key)
            if hit is not None and not item.speed:
                results[index] = hit.model_copy(update={"index": index, "cached": True, "wall_s": 0.0})
                del todo[index]
        fresh = self._check(todo)
        for index, item in todo.items():
            results[index] = fresh[item.cache_key].model_copy(update={"index": index})
        ordered = [results[i] for i in range(len(raw_items))]
        for r in ordered:
            item_id = raw_items[r.index].get("id") if isinstance(raw_items[r.index], dict) else None
            r.id = item_id if isinstance(item_id, str) else None
            record_reward_item(r.kind or "other", r.verdict, r.cached, r.wall_s)
        self.store.remember(ordered)
        steps = {
            i: raw.get("step") if isinstance(raw, dict) and isinstance(raw.get("step"), int) else None
            for i, raw in enumerate(raw_items)
        }
        batch = self.store.observe(ordered, steps)
        wall = time.monotonic() - start
        record_reward_batch(wall)
        return BatchOutcome(ordered, batch, wall)

    def _check(self, todo: dict[int, ResolvedItem]) -> dict[str, RewardResult]:
        """Run each distinct item once; a result (or an explicit error) per cache key."""
        unique: dict[str, tuple[int, ResolvedItem]] = {}
        for index, item in todo.items():
            unique.setdefault(item.cache_key, (index, item))
        out: dict[str, RewardResult] = {}
        targets, toolsets = self.executor.targets(), self.executor.toolsets()
        calls = []
        for key, (index, item) in unique.items():
            call = _call(key, index, item)
            unserved = _unserved(call, targets, toolsets)
            if unserved:
                out[key] = _error(index, item, "unavailable", unserved)
            else:
                calls.append(call)
        if calls:
            for done in self.executor.map(calls):
                index, item = unique[done.key]
                out[done.key] = _collect(done, index, item)
        for key, (index, item) in unique.items():
            out.setdefault(key, _error(index, item, "worker", "the executor returned no result for it"))
        return out


def _call(key: str, index: int, item: ResolvedItem) -> Call:
    return Call(
        key=key,
        task=SCORE_TASK,
        args={"item": item.model_dump(mode="json"), "index": index},
        toolset="hdl" if item.kind == "verilog" else None,
        target=item.target if item.kind == "kernel" else None,
    )


def _unserved(call: Call, targets: set[str] | None, toolsets: set[str] | None) -> str:
    if call.target is not None and targets is not None and call.target not in targets:
        return f"no worker serves target '{call.target}'; served: {', '.join(sorted(targets)) or 'none'}"
    if call.toolset is not None and toolsets is not None and call.toolset not in toolsets:
        return f"no worker has the '{call.toolset}' tools (iverilog, yosys)"
    return ""


def _collect(done: CallResult, index: int, item: ResolvedItem) -> RewardResult:
    if done.ok and done.value is not None:
        result = RewardResult.model_validate(done.value)
        return result.model_copy(update={"node": done.node_id})
    return _error(index, item, "worker", done.error or "the check failed")


def _error(index: int, item: ResolvedItem, reason: str, detail: str) -> RewardResult:
    return RewardResult(
        index=index,
        kind=item.kind,
        problem=item.problem,
        reward=0.0,
        correct=0.0,
        verdict="error",
        reason=reason,  # type: ignore[arg-type]
        detail=detail,
        seeds=list(item.seeds),
        checker_version=checker_version(),
        cache_key=item.cache_key,
    )


def ray_pool(
    store: RewardStore,
    data_dirs: Sequence[Path] = (),
    *,
    address: str | None = None,
    workers: int | None = None,
    retries: int = 2,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> RewardPool:
    """A pool on Ray: a running cluster at ``address``, or a local Ray with ``workers`` CPUs.

    A worker that dies mid-item is retried ``retries`` times; a checker's own verdict is final.
    """
    from cluster.ray_executor import RayExecutor

    executor = RayExecutor(address, num_cpus=workers, retries=retries, retry_exceptions=False)
    return RewardPool(executor, store, data_dirs, timeout_s)
