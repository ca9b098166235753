"""The next training batch from the reward service's own records, by CDAS.

Each training step (an item's ``step``; items posted without one count by their batch) is one CDAS
round: a problem's observed pass rate in that round is the mean correctness of its scored items.
Replaying the rounds in order gives every problem's difficulty and the model's competence
(:mod:`cluster.cdas`); the next batch is the problems nearest to that competence, half from the
easier side and half from the harder, as the CDAS paper aligns them. Invalid items and service
errors are left out: they say nothing about the model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from cluster.cdas import CdasState
from cluster.reward_store import Observation, RewardStore
from tools.errors import UsageError

SCORED = ("pass", "fail", "inconclusive")


@dataclass(frozen=True)
class BatchPick:
    """One problem of the next batch."""

    problem: str
    difficulty: float
    expected: float
    """Pass rate CDAS expects at the current competence."""
    observed: int
    """Scored items of this problem in the history."""


def replay(observations: list[Observation]) -> tuple[CdasState, dict[str, int]]:
    """CDAS state after every recorded round, and the scored items per problem.

    Raises:
        UsageError: when no item was scored yet.
    """
    scored = [o for o in observations if o.verdict in SCORED]
    if not scored:
        raise UsageError(
            "the reward history holds no scored item yet; post some batches to the service first"
        )
    rounds: dict[tuple[int, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    counts: dict[str, int] = defaultdict(int)
    for o in scored:
        key = (0, o.step) if o.step is not None else (1, o.batch)
        rounds[key][o.problem].append(o.correct)
        counts[o.problem] += 1
    state = CdasState.start(counts)
    for key in sorted(rounds):
        state.update({p: sum(v) / len(v) for p, v in rounds[key].items()})
    return state, dict(counts)


def next_batch(store: RewardStore, size: int, kind: str | None = None) -> list[BatchPick]:
    """The ``size`` problems of the next training batch (fewer when fewer were seen), nearest to
    the competence first; ``kind`` keeps only verilog or kernel problems.

    Raises:
        UsageError: for ``size`` below 1 or an empty history.
    """
    if size < 1:
        raise UsageError(f"a batch has at least one problem, got --size {size}")
    observations = [o for o in store.observations() if kind is None or o.kind == kind]
    state, counts = replay(observations)
    c = state.competence()
    return [
        BatchPick(p, state.difficulty[p], state.expected(p, c), counts[p])
        for p in state.select(min(size, len(counts)))
    ]
