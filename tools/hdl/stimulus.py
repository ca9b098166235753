"""Random stimulus for differential checks: seeded, in sequences, with every reset pattern.

One :class:`Stimulus` is one simulation run from power-on. It holds ``sequences * cycles``
samples; a sample is one value per driven input (the clock is not driven from vectors).
Each sequence has a reset pattern, cycling through:

* ``start``: reset asserted for the first 1-2 cycles of the sequence;
* ``mid``: reset asserted for 1-2 cycles somewhere in the middle of the sequence;
* ``none``: reset never asserted (the design runs on from the previous sequence's state);

and the first sequence of the second seed's run is ``never``: the design runs from power-on
without any reset, so designs that rely on initial values are exercised too.
Sequences alternate between two modes: ``random`` (every input takes a new value every cycle)
and ``hold`` (each input keeps its value with probability 0.9, so slow patterns such as "low for
twenty cycles" occur). New values are uniform random, with corner values (0, 1, all ones, only the
top bit) one sample in eight and, when the sources hold numeric constants (:func:`mine_constants`),
one of those constants or a neighbour one sample in six: random 16-bit values almost never hit a
decoder's ``16'he06b``.

:func:`splice` builds steered runs from pieces of earlier runs (see :mod:`tools.hdl.steering`).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tools.hdl.ports import Port, Reset

RESET_PATTERNS = ("start", "mid", "none")
MODES = ("random", "hold")
HOLD_PROBABILITY = 0.9
MAX_CONSTANTS = 64

_SIZED = re.compile(r"(?<![\w$])(?:\d+)?\s*'[sS]?([bBoOdDhH])\s*([0-9a-fA-F_]+)(?![\w'])")
_DECIMAL = re.compile(r"(?<![\w$.'])(\d+)(?![\w.'])")
_BASES = {"b": 2, "o": 8, "d": 10, "h": 16}


def mine_constants(*sources: str) -> list[int]:
    """Numeric literals of the sources (Verilog sized literals and plain decimals >= 2), with their
    neighbours, smallest first; at most :data:`MAX_CONSTANTS`."""
    found: set[int] = set()
    for text in sources:
        for base, digits in _SIZED.findall(text):
            try:
                found.add(int(digits.replace("_", ""), _BASES[base.lower()]))
            except ValueError:
                continue  # x/z digits or an empty literal
        found.update(int(d) for d in _DECIMAL.findall(text) if 2 <= int(d) < 1 << 64)
    near = {v + d for v in found for d in (-1, 0, 1) if v + d >= 0}
    return sorted(near)[: MAX_CONSTANTS * 3]


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
        if self.patterns[seq].startswith("steered"):
            return f"{self.patterns[seq]} (seed {self.seed}), cycle {cycle}"
        return f"seed {self.seed}, sequence {seq} ({self.patterns[seq]} reset), cycle {cycle}"


def generate(
    inputs: list[Port],
    reset: Reset | None,
    *,
    seed: int,
    sequences: int,
    cycles: int,
    power_on_run: bool = False,
    constants: Sequence[int] = (),
    modes: Sequence[str] = MODES,
    patterns: Sequence[str] = RESET_PATTERNS,
) -> Stimulus:
    """Random samples for ``inputs`` (clock excluded by the caller).

    Args:
        inputs: the driven input ports, in packing order.
        reset: the reset input, driven by pattern rather than at random (None: no reset).
        seed: random seed; equal arguments give equal stimulus.
        sequences: number of sequences in the run.
        cycles: samples per sequence (one clock cycle each for sequential designs).
        power_on_run: make the first sequence ``never`` (no reset from power-on).
        constants: values worth trying (see :func:`mine_constants`).
        modes: per-sequence stimulus modes, cycled (``random``, ``hold``).
        patterns: per-sequence reset patterns, cycled.
    """
    rng = random.Random(seed)
    stim = Stimulus(seed=seed, inputs=list(inputs), cycles=cycles)
    reset_seen = False
    previous: dict[str, int] = {}
    for seq in range(sequences):
        pattern = "never" if power_on_run and seq == 0 else patterns[seq % len(patterns)]
        if reset is None:
            pattern = "none"
        mode = modes[seq % len(modes)]
        stim.patterns.append(pattern if mode == "random" else f"{pattern}, {mode}")
        asserted = _reset_cycles(pattern, cycles, rng)
        for cycle in range(cycles):
            sample = {}
            for p in inputs:
                if mode == "hold" and p.name in previous and rng.random() < HOLD_PROBABILITY:
                    sample[p.name] = previous[p.name]
                else:
                    sample[p.name] = _value(p.width, rng, constants)
            previous = dict(sample)
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


Segment = list[dict[str, int]]
"""A stretch of consecutive input samples (reset included) cut from an earlier run."""


def splice(
    inputs: list[Port],
    reset: Reset | None,
    *,
    seed: int,
    length: int,
    openings: Sequence[Segment],
    segments: Sequence[Segment],
    mutation: float = 0.25,
    constants: Sequence[int] = (),
    label: str = "steered",
) -> Stimulus:
    """A run of about ``length`` samples: one opening, then segments drawn at random, each value of
    a non-reset input redrawn with probability ``mutation`` so that no two pieces repeat exactly.

    An opening starts at a reset (or at power-on for designs without one); segments run from one
    sample where an output was defined to just before the next, so they chain: each ends where the
    next begins. The reset input keeps the values it had in the pieces; the run always opens with
    the reset asserted (when there is one), so it starts from a known state.

    Raises:
        ValueError: when there are no pieces to splice.
    """
    if not openings and not segments:
        raise ValueError("splice needs at least one opening or segment")
    rng = random.Random(seed)
    stim = Stimulus(seed=seed, inputs=list(inputs), cycles=length, patterns=[label])
    pieces: list[Segment] = [_shortish(openings)(rng)] if openings else []
    total = sum(len(p) for p in pieces)
    draw = _shortish(segments or openings)
    while total < length:
        pieces.append(draw(rng))
        total += len(pieces[-1])
    rst = reset.name if reset else None
    for piece in pieces:
        for original in piece:
            sample = {
                p.name: _value(p.width, rng, constants)
                if p.name != rst and rng.random() < mutation
                else original[p.name]
                for p in inputs
            }
            stim.samples.append(sample)
    del stim.samples[length:]
    if reset is not None:
        stim.samples[0][reset.name] = int(not reset.active_low)
    _mark_resets(stim, reset)
    return stim


def _shortish(pieces: Sequence[Segment]) -> Callable[[random.Random], Segment]:
    """A drawer of pieces with odds falling as the square of their length: short paths back to a
    defined state raise the share of defined samples, and mutation keeps the repeats different."""
    cumulative = list(itertools.accumulate(1 / len(p) ** 2 for p in pieces))
    return lambda rng: rng.choices(pieces, cum_weights=cumulative)[0]


def _mark_resets(stim: Stimulus, reset: Reset | None) -> None:
    """Fill ``before_reset`` from the reset values in the samples."""
    seen = False
    stim.before_reset = []
    for sample in stim.samples:
        active = reset is not None and sample[reset.name] == int(not reset.active_low)
        if active and reset is not None and reset.asynchronous:
            seen = True
        stim.before_reset.append(not seen)
        seen = seen or active


def _reset_cycles(pattern: str, cycles: int, rng: random.Random) -> set[int]:
    if pattern == "start":
        return set(range(min(cycles, rng.randint(1, 2))))
    if pattern == "mid" and cycles >= 3:
        at = rng.randint(cycles // 3, max(cycles // 3, 2 * cycles // 3))
        return set(range(at, min(cycles, at + rng.randint(1, 2))))
    return set()


def _value(width: int, rng: random.Random, constants: Sequence[int] = ()) -> int:
    draw = rng.random()
    if draw < 0.125:
        return rng.choice((0, 1, (1 << width) - 1, 1 << (width - 1)))
    if constants and width > 2 and draw < 0.125 + 1 / 6:
        fitting = [c for c in constants if c < 1 << width]
        if fitting:
            return rng.choice(fitting)
    return rng.getrandbits(width)
