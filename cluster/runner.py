"""Running a campaign: expand it into calls, skip what the store already holds, record each result.

The runner only knows calls and the store, never what a task does. Under fixed sampling every task
gets ``samples`` samples with indices ``0..samples-1``; under CDAS each round picks problems with
:mod:`cluster.cdas` from the difficulties replayed from the store, so a resumed campaign makes the
same picks and the same ``(task, sample)`` keys, and redoes nothing that finished.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cluster.calls import Call, CallResult
from cluster.campaign import Campaign, TaskSpec
from cluster.cdas import CdasState
from cluster.executor import Executor
from cluster.metrics import campaign_started, sample_finished, samples_submitted
from cluster.store import ResultStore, SampleRow

OnResult = Callable[[str, int, CallResult], None]


@dataclass
class RunOutcome:
    """What one invocation of the runner did."""

    planned: int
    already_done: int
    recorded: int
    errors: int
    stopped_by: str | None


def planned_samples(campaign: Campaign, specs: list[TaskSpec]) -> int:
    """Samples the campaign will run in all (after the sample budget)."""
    if campaign.sampling == "cdas":
        total = campaign.cdas.rounds * min(campaign.cdas.per_round, len(specs)) * campaign.samples
    else:
        total = len(specs) * campaign.samples
    cap = campaign.budget.max_samples
    return min(total, cap) if cap is not None else total


def _call(spec: TaskSpec, sample: int) -> Call:
    return Call(
        key=f"{spec.key}#{sample}", task=spec.task, args=spec.args | {"sample": sample}, target=spec.target
    )


def _split(key: str) -> tuple[str, int]:
    task, _, sample = key.rpartition("#")
    return task, int(sample)


def replay_cdas(specs: list[TaskSpec], rows: list[SampleRow], upto_round: int) -> CdasState:
    """CDAS state after rounds ``0..upto_round-1`` as recorded (errors count as failures)."""
    state = CdasState.start(s.key for s in specs)
    by_round: dict[int, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_round[row.round][row.task].append(bool(row.passed))
    for r in range(upto_round):
        observed = {t: sum(v) / len(v) for t, v in by_round[r].items() if t in state.difficulty}
        state.update(observed)
    return state


def run_campaign(
    campaign: Campaign,
    specs: list[TaskSpec],
    executor: Executor,
    store: ResultStore,
    on_result: OnResult | None = None,
) -> RunOutcome:
    """Run what is left of the campaign on ``executor``, recording each sample in ``store`` as it finishes.

    Raises:
        NoNodeForTarget: before anything runs, when a task needs a target no node serves.
        KeyboardInterrupt: passed on after cancelling outstanding calls; recorded rows stay.
    """
    done = store.done()
    outcome = RunOutcome(planned_samples(campaign, specs), len(done), 0, 0, None)
    start = time.monotonic()
    budget_left = outcome.planned - len(done)
    by_key = {s.key: s for s in specs}
    campaign_started(outcome.planned, len(done), store.path.parent)

    def consume(calls: list[Call], round_no: int) -> bool:
        nonlocal budget_left
        for call in calls:
            samples_submitted(call.task, call.target, 1)
        results: Iterator[CallResult] = executor.map(calls)
        try:
            for result in results:
                task, sample = _split(result.key)
                if store.record(task, sample, result, round_no):
                    outcome.recorded += 1
                    outcome.errors += not result.ok
                    budget_left -= 1
                    spec = by_key.get(task)
                    sample_finished(
                        spec.task if spec else task,
                        spec.target if spec else None,
                        result,
                        max(budget_left, 0),
                        store.path.parent,
                    )
                if on_result is not None:
                    on_result(task, sample, result)
                wall = campaign.budget.max_wall_s
                if wall is not None and time.monotonic() - start > wall:
                    outcome.stopped_by = f"max_wall_s={wall:g}"
                    return False
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()
        return True

    if campaign.sampling == "fixed":
        todo = [_call(s, i) for s in specs for i in range(campaign.samples) if (s.key, i) not in done][
            : max(budget_left, 0)
        ]
        if todo:
            consume(todo, 0)
    else:
        for round_no in range(campaign.cdas.rounds):
            rows = store.rows()
            state = replay_cdas(specs, rows, round_no)
            earlier: dict[str, int] = defaultdict(int)
            for row in rows:
                if row.round < round_no:
                    earlier[row.task] += 1
            picks = state.select(min(campaign.cdas.per_round, len(specs)))
            calls = [
                _call(by_key[p], earlier[p] + j)
                for p in picks
                for j in range(campaign.samples)
                if (p, earlier[p] + j) not in done
            ][: max(budget_left, 0)]
            if calls and not consume(calls, round_no):
                break
            if budget_left <= 0:
                break
            done = store.done()
    cap = campaign.budget.max_samples
    uncapped = planned_samples(
        campaign.model_copy(update={"budget": campaign.budget.model_copy(update={"max_samples": None})}),
        specs,
    )
    if outcome.stopped_by is None and budget_left <= 0 and cap is not None and cap < uncapped:
        outcome.stopped_by = f"max_samples={cap}"
    return outcome
