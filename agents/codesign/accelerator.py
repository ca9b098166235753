"""The hardware side of co-design: a verified, synthesized dot-product accelerator of N lanes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from graphs.hw import build_hw_graph


class AcceleratorResult(BaseModel):
    """What the hardware agent publishes about one accelerator (bottom-up)."""

    lanes: int
    width: int
    verified: bool
    top: str = ""
    rtl: str = ""
    cells: int = Field(0, description="Yosys generic cells (the area budget's unit).")
    transistors: int = Field(0, description="CMOS transistor estimate.")
    logic_depth: int = Field(0, description="Longest combinational path in gates (clock-period proxy).")
    checks: list[dict[str, Any]] = Field(default_factory=list, description="Evidence from the hardware agent.")
    run_dir: str = ""
    why_not: str = Field("", description="Why it is not verified, when it is not.")


def accelerator_spec(lanes: int, width: int) -> str:
    """The request the planner sends the hardware agent (top-down)."""
    return f"dot product accelerator with {lanes} lanes of {width}-bit unsigned elements"


def build_accelerator(lanes: int, width: int, run_root: str | None = None) -> AcceleratorResult:
    """Run the hardware subgraph offline for one lane count and summarise its result."""
    state = build_hw_graph().invoke(
        {"text": accelerator_spec(lanes, width), "offline": True, "run_root": run_root}
    )
    best = state.get("best")
    if best is None or state.get("status") != "verified" or not best.synth:
        reason = best.feedback if best is not None else "no candidate"
        return AcceleratorResult(lanes=lanes, width=width, verified=False, why_not=reason[:400])
    synth = best.synth
    return AcceleratorResult(
        lanes=lanes,
        width=width,
        verified=True,
        top=best.top,
        rtl=best.rtl,
        cells=int(synth.get("cell_count", 0)),
        transistors=int(synth.get("transistors", 0)),
        logic_depth=int(synth.get("logic_depth", 0)),
        checks=best.checks,
        run_dir=state.get("run_dir", ""),
    )
