"""The reward benchmark's items: the mix it says, every item unique and valid, mutants differ."""

from __future__ import annotations

from pathlib import Path

from evals.reward_bench import MIX, build_items
from evals.reward_models import RewardResult
from evals.reward_problems import resolve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reward"


def test_items_are_unique_valid_and_mixed() -> None:
    items = build_items(FIXTURES, 60, seed=3)
    assert len(items) == 60
    assert {b.category for b in items} == {c for c, _ in MIX}
    completions = [b.item["completion"] for b in items]
    assert len(set(completions)) == len(completions)  # nothing would be answered from the cache
    for b in items:
        assert not isinstance(resolve(0, b.item, [FIXTURES]), RewardResult)
    hostile = [b.item["completion"] for b in items if b.category == "hostile"]
    assert any("$system" in c for c in hostile) and any("while (1)" in c for c in hostile)
    assert build_items(FIXTURES, 60, seed=3) == items  # the same items every run
