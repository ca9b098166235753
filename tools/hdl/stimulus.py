"""Random stimulus for differential checks: seeded, in sequences, with every reset pattern.

One :class:`Stimulus` is one simulation run from power-on. It holds ``sequences * cycles``
samples; a sample is one value per driven input (the clock is not driven from vectors).
Each sequence has a reset pattern, cycling through:

* ``start``: reset asserted for the first 1-2 cycles of the sequence;
* ``mid``: reset asserted for 1-2 cycles somewhere in the middle of the sequence;
* ``none``: reset never asserted (the design runs on from the previous sequence's state);

and the first sequence of the second seed's run is ``never``: the design runs from power-on
without any reset, so designs that rely on initial values are exercised too.
Other inputs take uniform random values, with corner values (0, 1, all ones, only the top bit)
one sample in eight.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tools.hdl.ports import Port, Reset

RESET_PATTERNS = ("start", "mid", "none")


@dataclass
class Stimulus:
    """One run's input samples, in order, and where resets fall."""

    seed: int
    inputs: list[Port]
    samples: list[dict[str, int]] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    cycles: int = 0
    before_reset: list[bool] = field(default_factory=list)
    """Per sample: True while no reset has taken effect yet in this run (state is power-on)."""

    @property
    def width(self) -> int:
        """Total width of the packed input vector (at least 1)."""
        return max(1, sum(p.width for p in self.inputs))

    def to_hex(self) -> str:
        """The samples as ``$readmemh`` text: one packed word per line, first input most significant."""
        digits = (self.width + 3) // 4
        lines = []
        for sample in self.samples:
            word = 0
            for port in self.inputs:
                word = (word << port.width) | (sample[port.name] & ((1 << port.width) - 1))
            lines.append(f"{word:0{digits}x}")
        return "\n".join(lines) + "\n"

    def where(self, index: int) -> str:
        """Human words for a sample: seed, sequence, cycle and the sequence's reset pattern."""
        seq, cycle = divmod(index, self.cycles) if self.cycles else (0, index)
        return f"seed {self.seed}, sequence {seq} ({self.patterns[seq]} reset), cycle {cycle}"


def generate(
    inputs: list[Port],
    reset: Reset | None,
    *,
    seed: int,
    sequences: int,
    cycles: int,
    power_on_run: bool = False,
) -> Stimulus:
    """Random samples for ``inputs`` (clock excluded by the caller).

    Args:
        inputs: the driven input ports, in packing order.
        reset: the reset input, driven by pattern rather than at random (None: no reset).
        seed: random seed; equal arguments give equal stimulus.
        sequences: number of sequences in the run.
        cycles: samples per sequence (one clock cycle each for sequential designs).
        power_on_run: make the first sequence ``never`` (no reset from power-on).
    """
    rng = random.Random(seed)
    stim = Stimulus(seed=seed, inputs=list(inputs), cycles=cycles)
    reset_seen = False
    for seq in range(sequences):
        pattern = "never" if power_on_run and seq == 0 else RESET_PATTERNS[seq % len(RESET_PATTERNS)]
        if reset is None:
            pattern = "none"
        stim.patterns.append(pattern)
        asserted = _reset_cycles(pattern, cycles, rng)
        for cycle in range(cycles):
            sample = {p.name: _value(p.width, rng) for p in inputs}
            if reset is not None:
                active = cycle in asserted
                sample[reset.name] = int(active != reset.active_low)
                if active and reset.asynchronous:
                    reset_seen = True
                stim.before_reset.append(not reset_seen)
                if active:
                    reset_seen = True
            else:
                stim.before_reset.append(True)
            stim.samples.append(sample)
    return stim


def _reset_cycles(pattern: str, cycles: int, rng: random.Random) -> set[int]:
    if pattern == "start":
        return set(range(min(cycles, rng.randint(1, 2))))
    if pattern == "mid" and cycles >= 3:
        at = rng.randint(cycles // 3, max(cycles // 3, 2 * cycles // 3))
        return set(range(at, min(cycles, at + rng.randint(1, 2))))
    return set()


def _value(width: int, rng: random.Random) -> int:
    if rng.random() < 0.125:
        return rng.choice((0, 1, (1 << width) - 1, 1 << (width - 1)))
    return rng.getrandbits(width)
