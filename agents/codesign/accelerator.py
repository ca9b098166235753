"""The hardware side of co-design: what the hardware agent publishes about an accelerator of N lanes.

The hardware subgraph that builds it is run by :func:`graphs.workers.build_accelerator`.
"""

from __future__ import annotations

from pydantic import Field

from agents.hw.design import HwDesign


class AcceleratorResult(HwDesign):
    """What the hardware agent publishes about one accelerator (bottom-up): the block's
    :class:`HwDesign` (RTL, synthesis figures, evidence) and the lane count it was built for."""

    lanes: int = Field(ge=1, description="Dot-product lanes of this accelerator.")
    width: int = Field(ge=1, description="Element width in bits.")

    @property
    def verified(self) -> bool:
        """Whether its evidence is verified (the status, as a flag for the critic)."""
        return self.status == "verified"


def accelerator_spec(lanes: int, width: int) -> str:
    """The request the planner sends the hardware agent (top-down)."""
    return f"dot product accelerator with {lanes} lanes of {width}-bit unsigned elements"
