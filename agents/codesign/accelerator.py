"""The hardware side of co-design: what the hardware agent publishes about an accelerator of N lanes.

The hardware subgraph that builds it is run by :func:`graphs.workers.build_accelerator`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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
    checks: list[dict[str, Any]] = Field(
        default_factory=list, description="Evidence from the hardware agent."
    )
    run_dir: str = ""
    why_not: str = Field("", description="Why it is not verified, when it is not.")


def accelerator_spec(lanes: int, width: int) -> str:
    """The request the planner sends the hardware agent (top-down)."""
    return f"dot product accelerator with {lanes} lanes of {width}-bit unsigned elements"
