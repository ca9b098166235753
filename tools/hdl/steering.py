"""Steering the stimulus toward the states where a mostly-x output is defined.

A reference may leave an output x (don't care) except in some states: a serial receiver's data
byte means something only while ``done`` is high, about one sample in eighty of random stimulus.
Matching on so few samples proves little, and refusing would make a correct design unable to
pass. So, after the base runs, while some output has compared on fewer samples than it needs
(:func:`tools.hdl.compare.enough_compared`), the checker runs further rounds planned here:

* **splice**: runs cut and rejoined from the base runs around the samples where the output was
  defined: an *opening* from a reset to the first such sample, then *segments* each from one
  defined sample to just before the next, chosen at random and mutated (each input value redrawn
  with probability :data:`MUTATION`) so the data differ; a segment starts where the previous one
  ended (a state where the output is defined), so the chain keeps landing there;
* **more**: fresh random runs of the standard kinds (new seeds), for outputs with no defined
  sample yet and as a share of every round, in case splicing loses its alignment.

Each round is sized from the yield so far (defined samples per steered sample), within a budget
of :data:`BUDGET` times the base run's samples and :data:`MAX_ROUNDS` rounds. What the steering
did is reported, so a pass says how many samples each output compared on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from tools.hdl.compare import Comparison
from tools.hdl.ports import Port, Reset
from tools.hdl.report import OutputStats
from tools.hdl.stimulus import Segment, Stimulus, generate, splice

BUDGET = 8
"""Steered samples allowed, as a multiple of the base run's samples."""
MAX_ROUNDS = 4
MAX_SEGMENT = 256
"""Longest segment (or opening) kept, in samples."""
MUTATION = 0.125
ROUND_SHARE = 2
"""A round runs at most this many times the base run's samples, so the next one can use its yield."""
SPLICE_SHARE = 0.75
"""Share of a round's runs that are spliced when the output has defined samples."""
_SEED_STRIDE = 104_729


@dataclass
class Steering:
    """Plans steered rounds for one check; :meth:`next_round` until it returns no runs."""

    inputs: list[Port]
    reset: Reset | None
    clocked: bool
    run_length: int
    """Longest run the compiled testbench accepts."""
    base_samples: int
    seed: int
    constants: Sequence[int] = ()
    cycles: int = 64
    rounds: int = 0
    steered: int = 0
    """Samples run in steered rounds so far."""
    spliced: int = 0
    """Of those, samples of runs spliced from pieces that reached a defined sample."""
    targets: list[str] = field(default_factory=list)
    """Outputs the rounds were steered toward."""
    _before: tuple[dict[str, int], int] = ({}, 0)
    """Compared counts per output and samples, before the last round."""

    @property
    def budget(self) -> int:
        """Steered samples allowed in all."""
        return BUDGET * self.base_samples

    def next_round(self, comparison: Comparison, short: list[OutputStats], target: int) -> list[Stimulus]:
        """Runs for the next round, aimed at the ``short`` outputs; [] when the budget or the
        rounds are spent, or when nothing defined was found and one round of fresh runs did not help."""
        left = self.budget - self.steered
        if self.rounds >= MAX_ROUNDS or left <= 0 or not short:
            return []
        worst = min(short, key=lambda s: s.compared)
        for s in short:
            if s.name not in self.targets:
                self.targets.append(s.name)
        if worst.compared == 0 and self.rounds > 0:
            return []  # fresh runs found nothing defined: there is nothing to steer toward
        counts, samples = self._before
        gained, spent = worst.compared - counts.get(worst.name, 0), comparison.samples - samples
        rate = gained / max(1, spent)  # the yield of the latest round (the base run's, at first)
        self._before = ({s.name: s.compared for s in comparison.stats}, comparison.samples)
        wanted = self.base_samples if rate == 0 else math.ceil(1.25 * (target - worst.compared) / rate)
        wanted = max(self.run_length, min(wanted, left, ROUND_SHARE * self.base_samples))
        runs = math.ceil(wanted / self.run_length)
        openings, segments = self._pieces(comparison, [s.name for s in short])
        spliced = round(runs * SPLICE_SHARE) if segments or openings else 0
        base_seed = self.seed + _SEED_STRIDE * (self.rounds + 1)
        out = [
            splice(
                self.inputs,
                self.reset,
                seed=base_seed + k,
                length=self.run_length,
                openings=openings,
                segments=segments,
                mutation=MUTATION,
                constants=self.constants,
                label=f"steered toward '{worst.name}'",
            )
            for k in range(spliced)
        ]
        sequences = max(1, self.run_length // self.cycles)
        out += [
            generate(
                self.inputs,
                self.reset,
                seed=base_seed + k,
                sequences=sequences,
                cycles=min(self.cycles, self.run_length),
                constants=self.constants,
            )
            for k in range(spliced, runs)
        ]
        self.rounds += 1
        self.steered += sum(len(s.samples) for s in out)
        self.spliced += sum(len(s.samples) for s in out[:spliced])
        return out

    def _pieces(self, comparison: Comparison, names: list[str]) -> tuple[list[Segment], list[Segment]]:
        """Openings and segments around the samples where the ``names`` outputs compared."""
        openings: list[Segment] = []
        segments: list[Segment] = []
        for name in names:
            by_run: dict[int, tuple[Stimulus, list[int]]] = {}
            for stim, index in comparison.hits.get(name, []):
                by_run.setdefault(id(stim), (stim, []))[1].append(index)
            for stim, indices in by_run.values():
                if not self.clocked:  # no state: the defined samples themselves are the pieces
                    segments += [[stim.samples[i]] for i in indices]
                    continue
                resets = self._reset_starts(stim)
                previous: int | None = None
                for i in sorted(indices):
                    start = max((r for r in resets if r <= i), default=0 if self.reset is None else None)
                    fresh = start is not None and (previous is None or start > previous)
                    if fresh and start is not None and 0 < i - start <= MAX_SEGMENT:
                        openings.append(stim.samples[start:i])
                    elif previous is not None and not fresh and i - previous <= MAX_SEGMENT:
                        segments.append(stim.samples[previous:i])
                    previous = i
        return openings, segments

    def _reset_starts(self, stim: Stimulus) -> list[int]:
        """Indices where a reset pulse begins in ``stim``."""
        if self.reset is None:
            return []
        on = int(not self.reset.active_low)
        values = [s[self.reset.name] == on for s in stim.samples]
        return [i for i, v in enumerate(values) if v and (i == 0 or not values[i - 1])]

    def summary(self) -> str:
        """One line for the report, or '' when no round ran."""
        if not self.rounds:
            return ""
        names = ", ".join(f"'{n}'" for n in self.targets)
        return (
            f"stimulus steered toward where {names} {'is' if len(self.targets) == 1 else 'are'} defined: "
            f"{self.steered} more samples in {self.rounds} round(s), {self.spliced} of them spliced from "
            f"runs that got there and {self.steered - self.spliced} fresh random"
        )
