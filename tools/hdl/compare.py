"""Four-state comparison of sampled outputs: reference x/z bits are don't-cares, counted."""

from __future__ import annotations

from dataclasses import dataclass

from tools.hdl.ports import Port
from tools.hdl.report import Mismatch, OutputStats
from tools.hdl.stimulus import Stimulus

X_DOMINANT = 0.5
"""An output whose reference bits are x on more than this share (of samples * width) cannot pass;
nor can one whose candidate is left unchecked (x before reset) on more than this share of samples."""


@dataclass
class Comparison:
    """Counts and first mismatches over all runs."""

    stats: list[OutputStats]
    mismatches: list[Mismatch]
    samples: int


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
    return Comparison(stats=stats, mismatches=ordered, samples=total)


def _differs(expected: str, got: str) -> bool:
    if len(expected) != len(got):
        return True
    return any(e in "01" and g != e for e, g in zip(expected, got, strict=True))


def x_dominated(stats: list[OutputStats]) -> list[OutputStats]:
    """Outputs whose reference (or unchecked candidate) is x on most samples."""
    return [
        s
        for s in stats
        if s.samples
        and (
            s.reference_x_bits > X_DOMINANT * s.samples * s.width
            or s.candidate_x_unchecked > X_DOMINANT * s.samples
        )
    ]
