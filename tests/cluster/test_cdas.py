"""CDAS selection and difficulty updates on a synthetic history, checked against the specification."""

from __future__ import annotations

import math

import pytest

from cluster.cdas import CdasState
from tools.errors import UsageError


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_fresh_state_picks_by_id_and_fills_the_empty_easy_side() -> None:
    state = CdasState.start(["d", "b", "a", "c"])
    assert state.competence() == 0.0
    # nothing is easier than competence yet, so the harder side fills both places, by id
    assert state.select(2) == ["a", "b"]


def test_difficulty_is_running_mean_of_expected_minus_observed() -> None:
    state = CdasState.start("abcd")
    state.update({"a": 1.0, "b": 0.0})
    assert state.difficulty == pytest.approx({"a": -0.5, "b": 0.5, "c": 0.0, "d": 0.0})
    assert state.competence() == pytest.approx(0.0)
    # half from each side, nearest to competence first
    assert state.select(2) == ["c", "a"]
    assert state.select(4) == ["c", "d", "a", "b"]

    state.update({"c": 0.25, "a": 1.0})
    # both updates of one round use the competence from the start of the round (0.0)
    d_a = (-0.5 + (sig(0.0 - (-0.5)) - 1.0)) / 2
    d_c = sig(0.0) - 0.25
    assert state.difficulty["a"] == pytest.approx(d_a)
    assert state.difficulty["c"] == pytest.approx(d_c)
    assert state.observations == {"a": 2, "b": 1, "c": 1, "d": 0}
    competence = -(d_a + 0.5 + d_c + 0.0) / 4
    assert state.competence() == pytest.approx(competence)
    assert state.expected("b") == pytest.approx(sig(competence - 0.5))
    # easier side (d < c): a; harder side: d (|0-c|), c, b: one from each side for m=2
    assert state.select(2) == ["d", "a"]
    # m=3: one easier (a), two harder (d, c); returned nearest first: |c-d|=0.08, |c-c|=0.33, |c-a|=0.36
    assert state.select(3) == ["d", "c", "a"]


def test_bad_updates_are_refused_with_the_reason() -> None:
    state = CdasState.start("ab")
    with pytest.raises(UsageError, match="unknown problem 'z'"):
        state.update({"z": 0.5})
    with pytest.raises(UsageError, match=r"pass rate of 'a' must be in \[0, 1\], got 1.5"):
        state.update({"a": 1.5})
    with pytest.raises(UsageError, match="at least one problem per round, got 0"):
        state.select(0)
    with pytest.raises(UsageError, match="at least one problem"):
        CdasState.start([])
