"""Scenario: a hardware popcount unit that a popcount kernel offloads to, against the same kernel
in software only.

Plan: the unit at the requested width (hardware agent) and the kernel on its Verilator model
(:func:`agents.codesign.offload.run_popcount`). Critique: the unit pays for itself when the
offloading kernel is at least ``goal`` times faster than the software-only one (cycles under the
stated cycle model) and the unit fits the area budget. When it does not, the critic re-plans the
width: the narrowest untried width predicted (cycles exactly by the model, cells proportional to
width as measured) to pay; and it checks each prediction when the measurement comes back.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agents.codesign.offload import CYCLE_MODEL, OffloadRun, run_popcount
from agents.hw.design import HwDesign
from agents.scenarios.base import PartResults, Section, no_dependents
from agents.sw.design import SwDesign
from agents.top.state import Constraints, Critique, Kind, Part, Task
from tools.errors import UsageError

WIDTHS = (4, 8, 16, 32, 64)
SOFTWARE_OPS = 13  # the SWAR popcount of a 32-bit word (see kernels/popcount_offload.c)


class OffloadRequest(BaseModel):
    """A popcount unit for a popcount kernel, and what paying for itself means."""

    width: int = Field(8, description="Unit input width to start from (4, 8, 16, 32 or 64 bits).")
    goal: float = Field(2.0, gt=1.0, le=16.0, description="Speed-up over software-only the unit must give.")
    area_budget: int = Field(1000, gt=0, description="Area budget of the unit in Yosys cells.")
    words: int = Field(64, ge=2, le=4096, description="32-bit words the kernel counts.")


_WORDS = re.compile(r"\b(pop[\s-]*count|population count|hamming weight)\b", re.I)
_OFFLOAD = re.compile(r"\b(unit|offload\w*|accelerat\w*|hardware)\b", re.I)
_KERNEL = re.compile(r"\b(kernel|software|program)\b", re.I)


def read_offload_request(text: str) -> OffloadRequest:
    """Width, goal, budget and word count from free text; defaults fill the rest.

    Raises:
        UsageError: a value out of range (the message names the allowed values).
    """
    values: dict[str, Any] = {}
    if m := re.search(r"(\d+)\s*-?\s*bits?\b", text, re.I):
        values["width"] = int(m.group(1))
    if m := re.search(r"(\d+(?:\.\d+)?)\s*(?:x|times)\s*(?:faster|speed)", text, re.I):
        values["goal"] = float(m.group(1))
    if m := re.search(r"(?:budget|under|within)\s*(?:of\s*)?(\d+)\s*cells", text, re.I):
        values["area_budget"] = int(m.group(1))
    if m := re.search(r"(\d+)\s*words", text, re.I):
        values["words"] = int(m.group(1))
    if values.get("width", 8) not in WIDTHS:
        raise UsageError(
            f"popcount unit width {values['width']} bits; allowed: {', '.join(map(str, WIDTHS))}"
        )
    try:
        return OffloadRequest.model_validate(values)
    except ValueError as exc:
        raise UsageError(f"offload request: {exc}") from None


def cycles_per_word(width: int) -> int:
    """Cycles the offloading kernel spends per 32-bit word under the cycle model."""
    if width == 64:
        return 3  # two words a call: pack 2 + write, read, add 3 + the unit's cycle 1, over 2 words
    chunks = math.ceil(32 / width)
    return chunks * ((2 if width < 32 else 0) + 3 + 1)


def predicted_speedup(width: int) -> float:
    """Software-only cycles over offloading cycles, per word, under the cycle model."""
    return SOFTWARE_OPS / cycles_per_word(width)


def unit_tasks(req: OffloadRequest, width: int) -> list[Task]:
    """The unit of ``width`` bits and the kernel that offloads to it."""
    unit = Task(
        id=f"unit{width}",
        kind="hw",
        spec=f"popcount of a {width}-bit input",
        constraints=Constraints(area_budget=req.area_budget, width=width),
    )
    kernel = Task(
        id=f"popcount-unit{width}",
        kind="sw",
        spec=f"popcount of {req.words} 32-bit words offloaded to the {width}-bit popcount unit",
        constraints=Constraints(speed_goal=f"{req.goal}x the software-only kernel", width=width),
        uses=unit.id,
    )
    return [unit, kernel]


class PopcountOffload:
    """The popcount unit and its kernel (see the module docstring)."""

    name = "popcount-offload"
    kind: Kind = "codesign"
    summary = "a popcount unit a kernel offloads to, judged against the software-only kernel"

    def match(self, text: str) -> dict[str, Any] | None:
        """Details of a request for a popcount unit together with a kernel that uses it."""
        if _WORDS.search(text) and _OFFLOAD.search(text) and _KERNEL.search(text):
            return read_offload_request(text).model_dump()
        return None

    def plan(self, part: Part) -> list[Task]:
        """The unit at the requested width, with its kernel."""
        req = OffloadRequest.model_validate(part.details)
        return unit_tasks(req, req.width)

    def run_on(self, task: Task, built: HwDesign | SwDesign, part: Part, workdir: Path) -> OffloadRun:
        """Both kernels on the unit's model."""
        if not isinstance(built, HwDesign):
            return no_dependents(task)
        req = OffloadRequest.model_validate(part.details)
        return run_popcount(built, task.constraints.width or req.width, req.words, workdir)

    def critique(
        self, part: Part, results: PartResults, history: list[Critique], rounds_left: int
    ) -> Critique:
        """Does a measured unit pay for itself? If not, the narrowest untried width predicted to."""
        req = OffloadRequest.model_validate(part.details)
        runs = [s.design for s in results.sw if isinstance(s.design, OffloadRun)]
        rows, reasons, per_bit = _rows(req, results, runs)
        paying = [r for r in rows if r["pays"]]
        chosen = min(paying, key=lambda r: r["cells"]) if paying else None
        tried = {r["width"] for r in rows} | {_width_of(h.task) for h in results.hw}
        fits = {w: round(per_bit * w) for w in WIDTHS} if per_bit else {}
        better = [
            w
            for w in WIDTHS
            if w not in tried
            and predicted_speedup(w) >= req.goal
            and fits.get(w, 0) <= req.area_budget
            and (chosen is None or w < chosen["width"])
        ]
        nxt = better[:1]
        if chosen is not None:
            reasons.insert(
                0,
                f"the {chosen['width']}-bit unit pays for itself: {chosen['speedup']:.2f}x the software-only kernel "
                f"(goal {req.goal}x), {chosen['cells']} of {req.area_budget} cells",
            )
        if nxt:
            stop = ""
            reasons.append(
                f"re-plan: a {nxt[0]}-bit unit is predicted to give {predicted_speedup(nxt[0]):.2f}x "
                f"with about {fits[nxt[0]]} cells"
            )
        elif chosen is not None:
            stop = (
                f"no narrower untried width is predicted to reach {req.goal}x within {req.area_budget} cells"
            )
        else:
            best = max(rows, key=lambda r: r["speedup"], default=None)
            stop = (
                f"no unit width pays for itself: best measured {best['speedup']:.2f}x ({best['width']} bits), "
                f"and no untried width is predicted to reach {req.goal}x within {req.area_budget} cells; "
                "keep the software-only kernel"
                if best
                else "no unit was built and measured"
            )
        ok = bool(rows) and all(r["verified"] for r in rows)
        return Critique(
            part=part.id,
            round=len(history) + 1,
            done=ok and not nxt,
            chosen=f"{chosen['width']}-bit popcount unit"
            if chosen
            else ("software-only kernel" if ok else None),
            reasons=reasons,
            next_tasks=[t for w in nxt for t in unit_tasks(req, w)],
            stop=stop,
            table=rows,
        )

    def report(self, part: Part, results: PartResults, history: list[Critique], root: Path) -> Section:
        """The widths measured, cycles both ways, area, prediction errors, and the decision."""
        req = OffloadRequest.model_validate(part.details)
        last = history[-1] if history else None
        md = [
            f"- goal: at least {req.goal}x the software-only kernel, unit within {req.area_budget} cells; "
            f"{req.words} words",
            f"- cycle model: {CYCLE_MODEL}",
            "",
            "| unit bits | cells | depth | unit calls | offload cycles | software cycles | speed-up | predicted | pays |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in last.table if last else []:
            md.append(
                f"| {r['width']} | {r['cells']} | {r['depth']} | {r['calls']} | {r['offload']} | {r['software']} | "
                f"{float(r['speedup']):.2f}x | {float(r['predicted']):.2f}x | {'yes' if r['pays'] else 'no'} |"
            )
        if last:
            md += ["", f"Decision: {last.chosen or 'none'}", ""] + [f"- {x}" for x in last.reasons]
            md += ["", f"Why the search stopped: {last.stop or 'budget spent before it converged'}"]
        return Section(
            markdown=md, summary={"chosen": last.chosen if last else None, "rows": last.table if last else []}
        )


def _width_of(task_id: str) -> int:
    """The unit width of a hardware task id of this scenario ('unit16', 'p2-unit16')."""
    return int(task_id.rsplit("unit", 1)[-1])


def _rows(
    req: OffloadRequest, results: PartResults, runs: list[OffloadRun]
) -> tuple[list[dict[str, Any]], list[str], float]:
    """One row per measured width; reasons for the rejected ones; measured cells per input bit."""
    by_width = {_width_of(h.task): h for h in results.hw}
    rows: list[dict[str, Any]] = []
    reasons: list[str] = []
    for run in sorted(runs, key=lambda r: r.unit_width):
        unit = by_width.get(run.unit_width)
        cells = unit.design.cells if unit else 0
        # the area the critic predicted when it planned this width: cells per bit of earlier rounds
        earlier = [h for h in results.hw if unit is not None and h.round < unit.round and h.design.cells]
        per_bit_then = max((h.design.cells / _width_of(h.task) for h in earlier), default=0.0)
        depth = unit.design.logic_depth if unit else 0
        verified = run.status == "verified" and unit is not None and unit.status == "verified"
        pays = verified and run.speedup >= req.goal and cells <= req.area_budget
        rows.append(
            {
                "width": run.unit_width,
                "cells": cells,
                "depth": depth,
                "calls": run.unit_calls,
                "offload": run.offload_cycles,
                "software": run.software_cycles,
                "speedup": round(run.speedup, 3),
                "predicted": round(predicted_speedup(run.unit_width), 3),
                "verified": verified,
                "pays": pays,
            }
        )
        if not verified:
            reasons.append(
                f"{run.unit_width}-bit unit: not verified ({run.evidence.checks[0].summary[:160]})"
            )
        elif not pays:
            why = (
                f"{run.speedup:.2f}x < goal {req.goal}x"
                if run.speedup < req.goal
                else f"{cells} cells > budget {req.area_budget}"
            )
            reasons.append(f"{run.unit_width}-bit unit does not pay for itself: {why}")
        err = (run.speedup - predicted_speedup(run.unit_width)) / max(predicted_speedup(run.unit_width), 1e-9)
        area = ""
        if per_bit_then and cells:
            guess = round(per_bit_then * run.unit_width)
            area = f"; predicted about {guess} cells, measured {cells} ({(guess - cells) / cells:+.1%})"
        reasons.append(
            f"prediction check: {run.unit_width}-bit unit predicted {predicted_speedup(run.unit_width):.2f}x, "
            f"measured {run.speedup:.2f}x ({err:+.1%}){area}"
        )
    measured = [r for r in rows if r["cells"]]
    per_bit = max((r["cells"] / r["width"] for r in measured), default=0.0)
    return rows, reasons, per_bit
