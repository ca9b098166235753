"""pass@k: the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models Trained on Code".

For one problem with ``n`` samples of which ``c`` are correct, the chance that at least one of ``k``
samples drawn without replacement is correct is ``1 - C(n-c, k) / C(n, k)``. A benchmark's pass@k is
the mean over its problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

from tools.errors import UsageError


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem.

    Args:
        n: samples generated (n >= 1).
        c: samples that passed (0 <= c <= n).
        k: samples the user may draw (1 <= k <= n).

    Returns:
        ``1 - C(n-c, k) / C(n, k)``, a probability in [0, 1].

    Raises:
        UsageError: when the counts are inconsistent.
    """
    if n < 1:
        raise UsageError(f"pass@k needs at least one sample per problem, got n={n}")
    if not 0 <= c <= n:
        raise UsageError(f"correct samples c={c} must be between 0 and n={n}")
    if not 1 <= k <= n:
        raise UsageError(f"k={k} must be between 1 and the number of samples n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean pass@k over problems given as ``(n, c)`` pairs.

    Raises:
        UsageError: when ``counts`` is empty or a pair is inconsistent with ``k``.
    """
    if not counts:
        raise UsageError("pass@k over zero problems is undefined; select at least one problem")
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)


def ks_for(samples: int) -> list[int]:
    """The k values worth reporting for ``samples`` samples per problem: 1, 5, 10, ... up to ``samples``."""
    return [k for k in (1, 5, 10, 20, 50, 100) if k <= samples] or [1]
