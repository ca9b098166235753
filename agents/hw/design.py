"""What the hardware agent returns: one block's RTL, how it was made, its PPA and its evidence.

The evidence holds only the checks on the final RTL; candidates that lost (failed a check, or were
bigger) are in ``attempts``. The status is derived from the evidence (:class:`DesignResult`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, computed_field

from tools.evidence import Attempt, DesignResult


class HwDesign(DesignResult):
    """One hardware block designed from a request."""

    request: str = Field("", description="The request text as given.")
    generator: str | None = Field(
        None, description="Offline library generator used; None for a free-form one."
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters read from the request.")
    top: str = Field("", description="Top module name of the final RTL (empty when nothing was built).")
    rtl: str = Field("", description="The final Verilog source.")
    origin: str = Field("", description="Who wrote it: 'offline:<generator>' or 'llm:designer'.")
    variant: dict[str, Any] = Field(default_factory=dict, description="Parameter overrides that made it.")
    synth: dict[str, Any] | None = Field(
        None, description="Yosys figures of the final RTL (cell_count, transistors, logic_depth, ...)."
    )
    why_not: str = Field("", description="What the last failing check said, when it is not verified.")
    log: list[str] = Field(default_factory=list, description="One line per node of the subgraph run.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cells(self) -> int:
        """Generic-gate cell count (the unit area budgets are stated in); 0 when not synthesized."""
        return int((self.synth or {}).get("cell_count", 0))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def transistors(self) -> int:
        """CMOS transistor estimate; 0 when not synthesized."""
        return int((self.synth or {}).get("transistors", 0))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def logic_depth(self) -> int:
        """Longest combinational path in gates (clock-period proxy); 0 when not synthesized."""
        return int((self.synth or {}).get("logic_depth", 0))


def attempt_of(origin: str, variant: dict[str, Any], summary: str, checks: list[dict[str, Any]]) -> Attempt:
    """An :class:`Attempt` for a hardware candidate that was not kept."""
    label = origin + (f" {variant}" if variant else "")
    return Attempt.model_validate(
        {"origin": label, "summary": summary.splitlines()[0][:300] if summary else "", "checks": checks}
    )
