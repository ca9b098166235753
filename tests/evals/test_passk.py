"""pass@k against values worked out by hand from the Chen et al. (2021) formula."""

from __future__ import annotations

import pytest

from evals.passk import ks_for, mean_pass_at_k, pass_at_k
from tools.errors import UsageError


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (1, 0, 1, 0.0),
        (1, 1, 1, 1.0),
        (5, 1, 1, 0.2),
        (10, 3, 1, 0.3),
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (10, 6, 5, 1.0),  # fewer than k failures: some draw always passes
        (20, 1, 10, 0.5),
    ],
)
def test_pass_at_k_known_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_mean_over_problems() -> None:
    assert mean_pass_at_k([(1, 1), (1, 0), (1, 0), (1, 1)], 1) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("n", "c", "k", "message"),
    [
        (0, 0, 1, "at least one sample per problem, got n=0"),
        (5, 6, 1, "correct samples c=6 must be between 0 and n=5"),
        (5, 1, 6, "k=6 must be between 1 and the number of samples n=5"),
    ],
)
def test_inconsistent_counts_are_refused(n: int, c: int, k: int, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        pass_at_k(n, c, k)


def test_empty_benchmark_is_refused() -> None:
    with pytest.raises(UsageError, match="zero problems"):
        mean_pass_at_k([], 1)


def test_reported_ks_stop_at_the_sample_count() -> None:
    assert ks_for(1) == [1]
    assert ks_for(10) == [1, 5, 10]
