"""The co-design critic: picks the fastest verified design within the area budget, says why, and
turns the kernel's feedback into new hardware candidates when they could do better."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agents.codesign.accelerator import AcceleratorResult
from agents.codesign.kernel import KernelResult


class Row(BaseModel):
    """One design point of the trade-off."""

    lanes: int
    cells: int
    transistors: int
    logic_depth: int
    cycles: int
    time_units: int = Field(description="cycles x logic depth: run time in gate delays.")
    utilization: float
    within_budget: bool
    verified: bool
    note: str = ""


class Decision(BaseModel):
    """The critic's verdict for one round."""

    rows: list[Row]
    chosen: int | None = Field(None, description="Chosen lane count, or None when nothing qualifies.")
    reasons: list[str]
    next_lanes: list[int] = Field(default_factory=list, description="New lane counts to try (re-plan).")


def critique(
    accels: list[AcceleratorResult], kernels: list[KernelResult], budget: int, k: int, tried: set[int]
) -> Decision:
    """Rank every design point; propose lane counts that divide K when they fit the budget."""
    by_lanes = {r.lanes: r for r in kernels}
    rows: list[Row] = []
    for acc in sorted(accels, key=lambda a: a.lanes):
        ker = by_lanes.get(acc.lanes)
        ok = acc.verified and ker is not None and ker.correct
        cycles = ker.cycles if ker else 0
        note = "" if ok else (acc.why_not or (ker.check.summary if ker else "not run"))[:120]
        rows.append(
            Row(
                lanes=acc.lanes,
                cells=acc.cells,
                transistors=acc.transistors,
                logic_depth=acc.logic_depth,
                cycles=cycles,
                time_units=cycles * max(acc.logic_depth, 1),
                utilization=ker.utilization if ker else 0.0,
                within_budget=acc.cells <= budget,
                verified=ok,
                note=note,
            )
        )
    feasible = [r for r in rows if r.verified and r.within_budget]
    reasons = [
        f"{r.lanes} lanes: over budget ({r.cells} > {budget} cells)"
        for r in rows
        if r.verified and not r.within_budget
    ]
    reasons += [f"{r.lanes} lanes: rejected, not verified ({r.note})" for r in rows if not r.verified]
    if not feasible:
        reasons.append(f"no verified design fits the budget of {budget} cells")
        return Decision(rows=rows, chosen=None, reasons=reasons)
    best = min(feasible, key=lambda r: (r.time_units, r.cells))
    for r in feasible:
        if r is not best:
            reasons.append(
                f"{r.lanes} lanes: {r.time_units} gate-delay units vs {best.time_units} "
                f"({r.cycles} cycles x depth {r.logic_depth}), {r.cells} cells"
            )
    reasons.insert(
        0,
        f"chose {best.lanes} lanes: fastest within budget, {best.cycles} cycles x depth {best.logic_depth} = "
        f"{best.time_units} units, {best.cells} of {budget} cells, {best.utilization:.0%} lane utilization",
    )
    return Decision(
        rows=rows, chosen=best.lanes, reasons=reasons, next_lanes=_replan(rows, best, budget, k, tried)
    )


def _replan(rows: list[Row], best: Row, budget: int, k: int, tried: set[int]) -> list[int]:
    """Lane counts dividing K, near the best, predicted (linear in lanes) to fit the budget."""
    if best.utilization >= 0.999:
        return []
    measured = [r for r in rows if r.verified and r.lanes > 0]
    per_lane = max(r.cells / r.lanes for r in measured)
    divisors = [d for d in range(2, k + 1) if k % d == 0 and d not in tried]
    fits = [d for d in divisors if d * per_lane <= budget and d != best.lanes]
    near = sorted(fits, key=lambda d: abs(d - best.lanes))[:2]
    return sorted(near)
