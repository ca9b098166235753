"""Four-state comparison of sampled outputs: reference x/z bits are don't-cares, counted.

A sample *compares* for an output when the reference has at least one defined (0/1) bit there and
the candidate was not skipped as unchecked; the checker needs every output to compare on enough
samples (:func:`short_of`) before a match means anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.hdl.ports import Port
from tools.hdl.report import Mismatch, OutputStats
from tools.hdl.stimulus import Stimulus

ENOUGH_COMPARED = 1024
"""Samples an output must compare on before a match counts (fewer when the base run is short)."""
ENOUGH_SHARE = 0.5
"""...or this share of the base run's samples, when that is smaller (small checks in tests)."""


@dataclass
class Comparison:
    """Counts and first mismatches over all runs, and where each output compared."""

    stats: list[OutputStats]
    mismatches: list[Mismatch]
    samples: int
    hits: dict[str, list[tuple[Stimulus, int]]] = field(default_factory=dict)
    """Per output: the (run, sample index) pairs where it compared."""

    def merge(self, later: Comparison) -> None:
        """Add ``later`` (the same outputs over further runs) into this comparison."""
        for mine, theirs in zip(self.stats, later.stats, strict=True):
            for name in ("samples", "mismatches", "compared", "reference_x", "reference_x_bits"):
                setattr(mine, name, getattr(mine, name) + getattr(theirs, name))
            mine.candidate_x_unchecked += theirs.candidate_x_unchecked
        have = {m.output for m in self.mismatches}
        self.mismatches += [m for m in later.mismatches if m.output not in have]
        self.samples += later.samples
        for name, found in later.hits.items():
            self.hits.setdefault(name, []).extend(found)


def compare(
    outputs: list[Port],
    runs: list[tuple[Stimulus, list[list[str]], list[list[str]]]],
    *,
    unreset_x_ok: bool,
) -> Comparison:
    """Compare ``(stimulus, expected rows, got rows)`` runs output by output, bit by bit.

    A row holds one binary word per output. A reference bit of x/z matches anything; any other
    reference bit must be matched exactly (a candidate x against a defined 0/1 is a mismatch).
    With ``unreset_x_ok`` (Python references, which have no x), a candidate x before the first
    reset of the run is not a mismatch but is counted in ``candidate_x_unchecked``.
    """
    stats = [OutputStats(name=p.name, width=p.width) for p in outputs]
    first: dict[str, Mismatch] = {}
    hits: dict[str, list[tuple[Stimulus, int]]] = {p.name: [] for p in outputs}
    total = 0
    for stim, expected, got in runs:
        for index, (exp_row, got_row) in enumerate(zip(expected, got, strict=False)):
            total += 1
            for k, port in enumerate(outputs):
                exp, cand = exp_row[k].lower(), got_row[k].lower()
                st = stats[k]
                st.samples += 1
                undefined = exp.count("x") + exp.count("z")
                if undefined:
                    st.reference_x += 1
                    st.reference_x_bits += undefined
                cand_x = "x" in cand or "z" in cand
                if unreset_x_ok and cand_x and stim.before_reset[index]:
                    st.candidate_x_unchecked += 1
                    continue
                if undefined < len(exp):
                    st.compared += 1
                    hits[port.name].append((stim, index))
                if _differs(exp, cand):
                    st.mismatches += 1
                    if port.name not in first:
                        first[port.name] = Mismatch(
                            output=port.name,
                            sample=index,
                            where=stim.where(index),
                            time=index * 10 + 4,
                            inputs=dict(stim.samples[index]),
                            expected=exp,
                            got=cand,
                        )
    ordered = [first[p.name] for p in outputs if p.name in first]
    return Comparison(stats=stats, mismatches=ordered, samples=total, hits=hits)


def _differs(expected: str, got: str) -> bool:
    if len(expected) != len(got):
        return True
    return any(e in "01" and g != e for e, g in zip(expected, got, strict=True))


def enough_compared(base_samples: int) -> int:
    """How many samples each output must compare on, for a check whose base run has ``base_samples``."""
    return max(1, min(ENOUGH_COMPARED, int(ENOUGH_SHARE * base_samples)))


def short_of(stats: list[OutputStats], target: int) -> list[OutputStats]:
    """Outputs that compared on fewer than ``target`` samples."""
    return [s for s in stats if s.compared < target]
