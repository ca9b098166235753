"""The next training batch by CDAS from the reward service's records (no Ray: the store only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cluster.reward_cdas import next_batch
from cluster.reward_store import RewardStore
from evals.reward_models import RewardResult
from tools.errors import UsageError


def _record(store: RewardStore, step: int | None, rows: list[tuple[str, str]]) -> None:
    results = [
        RewardResult(
            index=i,
            kind="verilog",
            problem=p,
            reward=float(v == "pass"),
            correct=float(v == "pass"),
            verdict=v,
        )  # type: ignore[arg-type]
        for i, (p, v) in enumerate(rows)
    ]
    store.observe(results, {i: step for i in range(len(rows))})


def test_next_batch_is_the_problems_nearest_to_competence(tmp_path: Path) -> None:
    store = RewardStore(tmp_path)
    for step in range(3):
        _record(
            store,
            step,
            [
                ("always-solved", "pass"),
                ("never-solved", "fail"),
                ("half-solved", "pass" if step % 2 else "fail"),
                ("learned", "pass" if step else "fail"),
                ("broken-golden", "invalid"),
                ("worker-died", "error"),
            ],
        )
    picks = next_batch(store, 2)
    assert {p.problem for p in picks} == {"half-solved", "learned"}
    assert all(p.observed == 3 for p in picks)
    everything = {p.problem for p in next_batch(store, 10)}
    assert everything == {"always-solved", "never-solved", "half-solved", "learned"}  # no invalid, no error
    by_name = {p.problem: p for p in next_batch(store, 10)}
    assert (
        by_name["never-solved"].difficulty
        > by_name["half-solved"].difficulty
        > by_name["always-solved"].difficulty
    )


def test_an_empty_history_is_refused(tmp_path: Path) -> None:
    store = RewardStore(tmp_path)
    _record(store, None, [("p", "invalid")])
    with pytest.raises(UsageError, match="holds no scored item yet"):
        next_batch(store, 4)
    with pytest.raises(UsageError, match="at least one problem"):
        next_batch(store, 0)
