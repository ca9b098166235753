"""Competence-Difficulty Alignment Sampling (CDAS): spend a sampling budget where it teaches most.

After Kang et al., "Competence-Difficulty Alignment Sampling" (2025), as used here:

* a problem's **difficulty** ``d`` is the running mean, over the rounds it was sampled in, of
  ``expected - observed`` pass rate, starting at 0 before any observation;
* the model's **competence** ``c`` is minus the mean difficulty over all problems;
* the **expected** pass rate of a problem is ``sigmoid(c - d)``, with ``c`` taken at the start of the
  round (every update of one round uses the same ``c``);
* each round picks the ``m`` problems nearest to ``c``: ``m // 2`` from the easier side (``d < c``),
  nearest first, and the rest from the other side (``d >= c``), nearest first; ties go to the smaller
  problem id; when a side runs short the other side fills in, nearest first.

CDAS is for exploration and data generation; published pass@k always uses fixed sampling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tools.errors import UsageError


def sigmoid(x: float) -> float:
    """The logistic function."""
    return 1.0 / (1.0 + math.exp(-x))


@dataclass
class CdasState:
    """Difficulty and observation count of every problem."""

    difficulty: dict[str, float] = field(default_factory=dict)
    observations: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, problems: Iterable[str]) -> CdasState:
        """Every problem at difficulty 0 with no observation.

        Raises:
            UsageError: when ``problems`` is empty.
        """
        names = sorted(set(problems))
        if not names:
            raise UsageError("CDAS needs at least one problem")
        return cls({p: 0.0 for p in names}, {p: 0 for p in names})

    def competence(self) -> float:
        """Minus the mean difficulty over all problems."""
        return -sum(self.difficulty.values()) / len(self.difficulty)

    def expected(self, problem: str, competence: float | None = None) -> float:
        """``sigmoid(competence - difficulty)`` of ``problem``."""
        c = self.competence() if competence is None else competence
        return sigmoid(c - self.difficulty[problem])

    def update(self, observed: Mapping[str, float]) -> None:
        """Fold one round's observed pass rates (problem -> rate in [0, 1]) into the difficulties.

        Raises:
            UsageError: for an unknown problem or a rate outside [0, 1].
        """
        c = self.competence()
        for problem, rate in sorted(observed.items()):
            if problem not in self.difficulty:
                raise UsageError(f"CDAS: unknown problem '{problem}'")
            if not 0.0 <= rate <= 1.0:
                raise UsageError(f"CDAS: pass rate of '{problem}' must be in [0, 1], got {rate}")
            n = self.observations[problem]
            gap = self.expected(problem, c) - rate
            self.difficulty[problem] = (self.difficulty[problem] * n + gap) / (n + 1)
            self.observations[problem] = n + 1

    def select(self, m: int) -> list[str]:
        """The ``m`` problems of the next round (see the module docstring), nearest to competence first.

        Raises:
            UsageError: when ``m`` is below 1.
        """
        if m < 1:
            raise UsageError(f"CDAS picks at least one problem per round, got {m}")
        c = self.competence()

        def distance(p: str) -> tuple[float, str]:
            return (abs(self.difficulty[p] - c), p)

        easier = sorted((p for p, d in self.difficulty.items() if d < c), key=distance)
        harder = sorted((p for p, d in self.difficulty.items() if d >= c), key=distance)
        want_easy = m // 2
        picked = easier[:want_easy] + harder[: m - want_easy]
        if len(picked) < m:
            rest = sorted((p for p in self.difficulty if p not in picked), key=distance)
            picked += rest[: m - len(picked)]
        return sorted(picked, key=distance)
