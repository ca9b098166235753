"""What travels through the hardware subgraph: candidates, the reference, and the graph state."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field

from agents.hw.binding import ResetInfo
from agents.hw.design import HwDesign
from agents.hw.interface import Port
from agents.hw.request import HwRequest
from tools.evidence import Attempt, Reading


class Candidate(BaseModel):
    """One candidate RTL and what the checks found about it."""

    rtl: str = Field(description="Verilog source.")
    top: str = Field(description="Top module name.")
    origin: str = Field(description="Who wrote it: 'offline:<generator>' or 'llm:designer'.")
    variant: dict[str, Any] = Field(default_factory=dict, description="Parameter overrides that made it.")
    lint_ok: bool | None = Field(None, description="Lint verdict; None until linted.")
    lint_summary: str = ""
    verdict: str | None = Field(None, description="Differential-check verdict; None until checked.")
    mismatches: int | None = Field(None, description="Mismatching samples; None until checked.")
    feedback: str = Field("", description="What the last check said, for repair.")
    checks: list[dict[str, Any]] = Field(default_factory=list, description="Evidence checks as dicts.")
    synth: dict[str, Any] | None = Field(None, description="Synthesis figures when synthesized.")


class Reference(BaseModel):
    """The tester's reference model (Python ``class Model``) and the facts the checker needs."""

    source: str = Field(description="Python source defining class Model.")
    origin: str = Field(description="Who wrote it: 'offline:<generator>' or 'llm:tester'.")
    ports: list[Port] = Field(default_factory=list, description="Interface the candidate must have.")
    clock: str | None = None
    reset: ResetInfo | None = None
    readings: list[Reading] = Field(
        default_factory=list, description="How the tester read the spec (an LLM tester's own account)."
    )


class HwState(TypedDict, total=False):
    """State of one hardware design request (every key optional; nodes return partial updates)."""

    text: str
    samples: int
    max_repairs: int
    seeds: list[int]
    run_root: str | None
    request: HwRequest
    candidates: list[Candidate]
    reference: Reference
    repairs: int
    blame: Literal["candidate", "reference"]
    judgements: list[str]
    best: Candidate | None
    formal: dict[str, Any]
    attempts: list[Attempt]
    design: HwDesign
    run_dir: str
    log: list[str]
    sources: list[dict[str, Any]]
