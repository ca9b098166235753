"""Scenario: a dot-product accelerator under an area budget and the GEMM kernel that uses it.

Plan: one accelerator per lane count and the GEMM on each one's Verilator model. Critique: the
co-design critic (:mod:`agents.codesign.critic`) measures, predicts and proposes lane counts until
none predicted to fit can beat the best measured design. Report: the trade-off table and plot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.codesign.accelerator import AcceleratorResult, accelerator_spec
from agents.codesign.critic import Decision, Prediction, critique
from agents.codesign.kernel import KernelResult, run_gemm
from agents.codesign.request import CodesignRequest, is_codesign, read_codesign_request
from agents.hw.design import HwDesign
from agents.scenarios.base import PartResults, Section, no_dependents
from agents.scenarios.plot import plot_tradeoff
from agents.sw.design import SwDesign
from agents.top.state import Constraints, Critique, Kind, Part, Task


def gemm_spec(req: CodesignRequest, lanes: int) -> str:
    """The software task of a co-design round: the GEMM on one accelerator."""
    return f"gemm {req.m}x{req.k}x{req.n} on the {lanes}-lane dot-product accelerator"


def codesign_tasks(req: CodesignRequest, lanes: list[int]) -> list[Task]:
    """One hardware task per lane count and the GEMM task that runs on it (top-down constraints)."""
    tasks: list[Task] = []
    for n in lanes:
        hw = Task(
            id=f"acc{n}",
            kind="hw",
            spec=accelerator_spec(n, req.width),
            constraints=Constraints(area_budget=req.area_budget, lanes=n),
        )
        sw = Task(
            id=f"gemm-acc{n}",
            kind="sw",
            spec=gemm_spec(req, n),
            constraints=Constraints(speed_goal="fewest cycles", lanes=n),
            uses=hw.id,
        )
        tasks += [hw, sw]
    return tasks


class DotProductGemm:
    """The dot-product/GEMM co-design (see the module docstring)."""

    name = "dot-product-gemm"
    kind: Kind = "codesign"
    summary = "dot-product accelerator lanes under an area budget, with the GEMM kernel on its model"

    def match(self, text: str) -> dict[str, Any] | None:
        """Details of a request for an accelerator together with the GEMM kernel that uses it."""
        return read_codesign_request(text).model_dump() if is_codesign(text) else None

    def plan(self, part: Part) -> list[Task]:
        """The requested lane counts, each with its GEMM."""
        req = CodesignRequest.model_validate(part.details)
        return codesign_tasks(req, req.lanes)

    def critique(
        self, part: Part, results: PartResults, history: list[Critique], rounds_left: int
    ) -> Critique:
        """The lane search of :func:`agents.codesign.critic.critique`."""
        req = CodesignRequest.model_validate(part.details)
        accels = [h.design for h in results.hw if isinstance(h.design, AcceleratorResult)]
        kernels = [s.design for s in results.sw if isinstance(s.design, KernelResult)]
        tried = {a.lanes for a in accels} | set(req.lanes)
        predicted: dict[int, Prediction] = {
            p.lanes: p for c in history if c.lanes is not None for p in c.lanes.predictions
        }
        decision = critique(accels, kernels, req, tried, predicted, rounds_left)
        rnd = len(history) + 1
        return Critique(
            part=part.id,
            round=rnd,
            done=decision.chosen is not None,
            chosen=f"{decision.chosen} lanes" if decision.chosen is not None else None,
            reasons=decision.reasons,
            next_tasks=codesign_tasks(req, decision.next_lanes),
            stop=decision.stop,
            lanes=decision,
        )

    def run_on(self, task: Task, built: HwDesign | SwDesign, part: Part, workdir: Path) -> KernelResult:
        """The GEMM on the accelerator's Verilator model."""
        if not isinstance(built, HwDesign):
            return no_dependents(task)
        hardware = built
        req = CodesignRequest.model_validate(part.details)
        acc = (
            hardware
            if isinstance(hardware, AcceleratorResult)
            else AcceleratorResult(lanes=task.constraints.lanes or 1, width=req.width, **dict(hardware))
        )
        return run_gemm(acc, req, workdir, seed=1)

    def report(self, part: Part, results: PartResults, history: list[Critique], root: Path) -> Section:
        """Trade-off table, the critic's reasons, its prediction model and checks, and the plot."""
        req = CodesignRequest.model_validate(part.details)
        decisions: list[Decision] = [c.lanes for c in history if c.lanes is not None]
        if not decisions:
            return Section(markdown=["No round was judged."])
        final = decisions[-1]
        rows = {r.lanes: r for d in decisions for r in d.rows}
        md = [
            f"- area budget: {req.area_budget} cells; GEMM {req.m}x{req.k}x{req.n}; lanes tried: {sorted(rows)}",
            "",
            "| lanes | cells | depth | cycles | time units | utilization | within budget | verified |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(rows.values(), key=lambda r: r.lanes):
            mark = " **(chosen)**" if r.lanes == final.chosen else ""
            md.append(
                f"| {r.lanes}{mark} | {r.cells} | {r.logic_depth} | {r.cycles} | {r.time_units} | "
                f"{r.utilization:.0%} | {'yes' if r.within_budget else 'no'} | {'yes' if r.verified else 'no'} |"
            )
        md += ["", "Why:", ""] + [f"- {x}" for x in final.reasons if not x.startswith("prediction check:")]
        md += ["", f"Prediction model (last fit): {final.model}"]
        checks = [c for d in decisions for c in d.checks]
        if checks:
            md += ["", "Predictions against measurements:", ""] + [f"- {c.line()}" for c in checks]
        md += ["", f"Why the search stopped: {history[-1].stop or 'budget spent before it converged'}"]
        dumped = [r.model_dump(mode="json") for r in sorted(rows.values(), key=lambda r: r.lanes)]
        plot = plot_tradeoff(dumped, req.area_budget, final.chosen, root / f"tradeoff-{part.id}.png")
        md += ["", f"![area and cycles per lane count]({plot.name})"]
        summary = {
            "chosen": final.chosen,
            "rows": dumped,
            "reasons": final.reasons,
            "model": final.model,
            "prediction_checks": [c.model_dump(mode="json") for c in checks],
        }
        return Section(markdown=md, summary=summary, plot=str(plot))
