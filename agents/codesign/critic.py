"""The co-design critic: picks the fastest verified design within the area budget, says why, and keeps
searching until no untried lane count that is predicted to fit could beat the best measured one.

The prediction (:class:`LaneModel`) is fitted anew each round to the measured designs:

- area: ``cells = a0 + a1 * lanes`` (least squares; one point: proportional to lanes);
- logic depth: ``depth = d0 + d1 * log2(lanes)`` (an adder tree; one point: constant);
- cycles: exact, ``m * n * ceil(K / lanes)`` (one accelerator operation per chunk of a dot product);
- run time in gate delays: ``cycles * depth``.

Every prediction is checked against the measurement when that design comes back (``checks``), and
the largest relative area error seen so far widens "predicted to fit" by that margin.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from agents.codesign.accelerator import AcceleratorResult
from agents.codesign.kernel import KernelResult
from agents.codesign.request import CodesignRequest

MAX_LANES = 32  # the dot-product generator's limit
MAX_BITS = 64 * 32  # the GEMM kernel packs at most 64 words per operand


class Row(BaseModel):
    """One measured design point of the trade-off."""

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


class Prediction(BaseModel):
    """What the lane model expects of an untried lane count."""

    lanes: int
    cells: int = Field(description="Predicted Yosys cells.")
    logic_depth: float = Field(description="Predicted longest combinational path in gates.")
    cycles: int = Field(description="GEMM cycles (exact: m * n * ceil(K / lanes)).")
    time_units: float = Field(description="Predicted cycles x depth.")
    fits: bool = Field(description="Predicted cells within the budget (with the observed error margin).")


class PredictionCheck(BaseModel):
    """A prediction next to the measurement of the same design."""

    lanes: int
    predicted_cells: int
    measured_cells: int
    predicted_depth: float
    measured_depth: int
    predicted_time: float
    measured_time: int

    @property
    def cells_error(self) -> float:
        """Relative area error, (predicted - measured) / measured."""
        return (self.predicted_cells - self.measured_cells) / max(self.measured_cells, 1)

    @property
    def time_error(self) -> float:
        """Relative run-time error."""
        return (self.predicted_time - self.measured_time) / max(self.measured_time, 1)

    def line(self) -> str:
        """One line for the report."""
        return (
            f"{self.lanes} lanes: predicted {self.predicted_cells} cells, depth {self.predicted_depth:.1f}, "
            f"{self.predicted_time:.0f} units; measured {self.measured_cells} cells, depth {self.measured_depth}, "
            f"{self.measured_time} units (area error {self.cells_error:+.1%}, time error {self.time_error:+.1%})"
        )


class Decision(BaseModel):
    """The critic's verdict for one round."""

    rows: list[Row]
    chosen: int | None = Field(None, description="Chosen lane count, or None when nothing qualifies.")
    reasons: list[str]
    next_lanes: list[int] = Field(default_factory=list, description="New lane counts to try (re-plan).")
    model: str = Field("", description="The fitted prediction model, in words.")
    predictions: list[Prediction] = Field(
        default_factory=list, description="Predictions for next_lanes (checked next round)."
    )
    checks: list[PredictionCheck] = Field(
        default_factory=list, description="Earlier predictions against this round's measurements."
    )
    stop: str = Field("", description="Why the search ends here (empty while it continues).")


class LaneModel(BaseModel):
    """Area and depth as functions of the lane count, fitted to measured designs."""

    a0: float
    a1: float
    d0: float
    d1: float
    margin: float = Field(0.0, description="Largest relative area under-prediction seen so far.")

    @classmethod
    def fit(cls, rows: list[Row], margin: float = 0.0) -> LaneModel:
        """Least-squares fit over measured (synthesised) rows; needs at least one."""
        pts = [r for r in rows if r.cells > 0]
        xs = [float(r.lanes) for r in pts]
        a0, a1 = _line(xs, [float(r.cells) for r in pts])
        d0, d1 = _line([math.log2(x) for x in xs], [float(r.logic_depth) for r in pts])
        if len(set(xs)) < 2:
            a0, a1 = 0.0, pts[0].cells / pts[0].lanes
            d0, d1 = float(pts[0].logic_depth), 0.0
        return cls(a0=a0, a1=max(a1, 1e-9), d0=d0, d1=max(d1, 0.0), margin=margin)

    def describe(self) -> str:
        """The model in words, with its fitted coefficients."""
        return (
            f"cells = {self.a0:.0f} + {self.a1:.1f} * lanes; depth = {self.d0:.1f} + {self.d1:.2f} * log2(lanes); "
            f"cycles = m * n * ceil(K / lanes) (exact); time = cycles * depth; "
            f"fits when predicted cells <= budget * (1 + {self.margin:.1%} observed area error)"
        )

    def predict(self, lanes: int, req: CodesignRequest) -> Prediction:
        """The prediction for ``lanes`` under ``req``'s budget and GEMM shape."""
        cells = round(self.a0 + self.a1 * lanes)
        depth = max(self.d0 + self.d1 * math.log2(lanes), 1.0)
        cycles = gemm_cycles(req, lanes)
        return Prediction(
            lanes=lanes,
            cells=cells,
            logic_depth=round(depth, 2),
            cycles=cycles,
            time_units=round(cycles * depth, 1),
            fits=cells <= req.area_budget * (1 + self.margin),
        )


def _line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Intercept and slope of the least-squares line through (xs, ys); (0, 0) for fewer than 2 x values."""
    if len(set(xs)) < 2:
        return 0.0, 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return my - slope * mx, slope


def gemm_cycles(req: CodesignRequest, lanes: int) -> int:
    """Accelerator operations the GEMM takes: one per chunk of ``lanes`` in every dot product."""
    return req.m * req.n * math.ceil(req.k / lanes)


def lane_space(req: CodesignRequest) -> list[int]:
    """Lane counts worth building: up to K (more lanes than K only idle), the generator's and the
    kernel's limits; of lane counts that take the same number of cycles only the smallest, since
    area and depth grow with lanes."""
    space = range(1, min(req.k, MAX_LANES, MAX_BITS // req.width) + 1)
    smallest: dict[int, int] = {}
    for n in space:
        smallest.setdefault(gemm_cycles(req, n), n)
    return sorted(smallest.values())


def measure(accels: list[AcceleratorResult], kernels: list[KernelResult], budget: int) -> list[Row]:
    """One row per accelerator, with its kernel's cycles (the latest result for a lane count wins)."""
    by_lanes = {r.lanes: r for r in kernels}
    rows: dict[int, Row] = {}
    for acc in accels:
        ker = by_lanes.get(acc.lanes)
        ok = acc.verified and ker is not None and ker.correct
        cycles = ker.cycles if ker else 0
        note = "" if ok else (acc.why_not or (ker.check.summary if ker else "not run"))[:120]
        rows[acc.lanes] = Row(
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
    return [rows[k] for k in sorted(rows)]


def critique(
    accels: list[AcceleratorResult],
    kernels: list[KernelResult],
    req: CodesignRequest,
    tried: set[int],
    predicted: dict[int, Prediction] | None = None,
    rounds_left: int = 1,
) -> Decision:
    """Rank every measured design, check earlier predictions, and propose the untried lane counts
    predicted to fit and to beat the best measured design (fastest predicted first; enough per
    round that ``rounds_left`` rounds can try them all)."""
    budget = req.area_budget
    rows = measure(accels, kernels, budget)
    checks = [
        PredictionCheck(
            lanes=r.lanes,
            predicted_cells=p.cells,
            measured_cells=r.cells,
            predicted_depth=p.logic_depth,
            measured_depth=r.logic_depth,
            predicted_time=p.time_units,
            measured_time=r.time_units,
        )
        for r in rows
        if r.verified and (p := (predicted or {}).get(r.lanes)) is not None
    ]
    feasible = [r for r in rows if r.verified and r.within_budget]
    reasons = [
        f"{r.lanes} lanes: over budget ({r.cells} > {budget} cells)"
        for r in rows
        if r.verified and not r.within_budget
    ]
    reasons += [f"{r.lanes} lanes: rejected, not verified ({r.note})" for r in rows if not r.verified]
    best = min(feasible, key=lambda r: (r.time_units, r.cells)) if feasible else None
    for r in feasible:
        if r is not best and best is not None:
            reasons.append(
                f"{r.lanes} lanes: {r.time_units} gate-delay units vs {best.time_units} "
                f"({r.cycles} cycles x depth {r.logic_depth}), {r.cells} cells"
            )
    if best is not None:
        reasons.insert(
            0,
            f"chose {best.lanes} lanes: fastest measured within budget, {best.cycles} cycles x depth "
            f"{best.logic_depth} = {best.time_units} units, {best.cells} of {budget} cells, "
            f"{best.utilization:.0%} lane utilization",
        )
    else:
        reasons.append(f"no verified design measured so far fits the budget of {budget} cells")
    reasons += [f"prediction check: {c.line()}" for c in checks]
    synthesised = [r for r in rows if r.verified and r.cells > 0]
    if not synthesised:
        return Decision(rows=rows, reasons=reasons, stop="no design was synthesised, nothing to predict from")
    untried = [n for n in lane_space(req) if n not in tried and n not in {r.lanes for r in rows}]
    if len(synthesised) < 2:
        return _bracket(rows, best, synthesised[0], untried, reasons, checks, req)
    margin = max([0.0, *(-c.cells_error for c in checks)])
    model = LaneModel.fit(synthesised, margin)
    preds = [model.predict(n, req) for n in untried]
    bar = best.time_units if best is not None else math.inf
    promising = sorted((p for p in preds if p.fits and p.time_units < bar), key=lambda p: p.time_units)
    per_round = max(3, math.ceil(len(promising) / max(rounds_left, 1)))
    proposal = promising[:per_round]
    stop = "" if proposal else _why_stop(best, preds, budget)
    return Decision(
        rows=rows,
        chosen=best.lanes if best is not None else None,
        reasons=reasons,
        next_lanes=sorted(p.lanes for p in proposal),
        model=model.describe(),
        predictions=proposal,
        checks=checks,
        stop=stop,
    )


def _bracket(
    rows: list[Row],
    best: Row | None,
    only: Row,
    untried: list[int],
    reasons: list[str],
    checks: list[PredictionCheck],
    req: CodesignRequest,
) -> Decision:
    """One measured design fits no depth model: measure the nearest lane count on each side that is
    predicted (area proportional to lanes) to fit, so the next round has a slope."""
    per_lane = only.cells / only.lanes
    fitting = [n for n in untried if n * per_lane <= req.area_budget]
    below = [n for n in fitting if n < only.lanes][-1:]
    above = [n for n in fitting if n > only.lanes][:1]
    preds = [
        Prediction(
            lanes=n,
            cells=round(n * per_lane),
            logic_depth=only.logic_depth,
            cycles=gemm_cycles(req, n),
            time_units=float(gemm_cycles(req, n) * only.logic_depth),
            fits=True,
        )
        for n in below + above
    ]
    model = f"one measured design ({only.lanes} lanes): cells = {per_lane:.1f} * lanes; depth unknown"
    stop = "" if preds else f"no other lane count is predicted to fit {req.area_budget} cells"
    return Decision(
        rows=rows,
        chosen=best.lanes if best is not None else None,
        reasons=reasons,
        next_lanes=[p.lanes for p in preds],
        model=model,
        predictions=preds,
        checks=checks,
        stop=stop,
    )


def _why_stop(best: Row | None, preds: list[Prediction], budget: int) -> str:
    """Why no untried lane count is worth building, naming the closest contenders."""
    if best is None:
        return f"no untried lane count is predicted to fit {budget} cells"
    slower = sorted((p for p in preds if p.fits), key=lambda p: p.time_units)
    over = sorted((p for p in preds if not p.fits), key=lambda p: p.cells)
    parts = [f"no untried lane count predicted to fit can beat {best.lanes} lanes ({best.time_units} units)"]
    if slower:
        parts.append(
            f"{len(slower)} predicted to fit are slower (best: {slower[0].lanes} lanes, "
            f"{slower[0].time_units:.0f} units predicted)"
        )
    if over:
        parts.append(
            f"{len(over)} predicted over {budget} cells (smallest: {over[0].lanes} lanes, {over[0].cells} cells)"
        )
    return "; ".join(parts)
