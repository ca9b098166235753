"""The differential check's verdict: what ran, what differed, and feedback an agent can act on."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.evidence import Check
from tools.hdl.waves import WaveWindow, to_text

DiffVerdict = Literal["pass", "fail", "error", "unsupported", "inconclusive"]
ReasonKind = Literal[
    "",
    "input",
    "syntax",
    "top",
    "ports",
    "compile",
    "timeout",
    "crash",
    "mismatch",
    "x",
    "reference",
    "clocks",
]


class Mismatch(BaseModel):
    """The first sample where one output differed."""

    output: str = Field(description="Output port name.")
    sample: int = Field(description="Sample index within its run.")
    where: str = Field(description="Seed, sequence, cycle and reset pattern, in words.")
    time: int = Field(description="Simulation time of the sample (ns): 10 per sample, printed at +4.")
    inputs: dict[str, int] = Field(description="Input values applied in that sample.")
    expected: str = Field(description="Reference value, binary (x = don't care).")
    got: str = Field(description="Candidate value, binary.")


class OutputStats(BaseModel):
    """Per-output counts over all samples."""

    name: str
    width: int
    samples: int = 0
    mismatches: int = Field(0, description="Samples where a defined reference bit differed.")
    compared: int = Field(
        0, description="Samples where the reference had a defined bit and the candidate was checked."
    )
    reference_x: int = Field(0, description="Samples where the reference had x/z bits (those bits ignored).")
    reference_x_bits: int = Field(0, description="Reference bits that were x/z, over all samples.")
    candidate_x_unchecked: int = Field(
        0, description="Samples before any reset where the candidate was x (Python references only; ignored)."
    )


class DiffReport(BaseModel):
    """Result of :func:`tools.hdl.diff_check`. Only ``pass`` means equivalent on every sample."""

    verdict: DiffVerdict
    reason: str = Field("", description="Why, in one or two sentences, when not a plain pass.")
    reason_kind: ReasonKind = ""
    top: str = ""
    reference_kind: Literal["verilog", "python"] = "verilog"
    clock: str | None = None
    reset: str | None = None
    seeds: list[int] = Field(default_factory=list)
    sequences: int = 0
    cycles: int = 0
    samples: int = Field(0, description="Samples run, all seeds and steered rounds together.")
    enough: int = Field(0, description="Samples each output had to compare on for a pass.")
    steered_samples: int = Field(
        0, description="Samples of the runs steered toward where mostly-x outputs are defined."
    )
    steering_rounds: int = Field(0, description="Steered rounds run after the base runs.")
    outputs: list[OutputStats] = Field(default_factory=list)
    mismatches: list[Mismatch] = Field(default_factory=list, description="First mismatch per output.")
    notes: list[str] = Field(default_factory=list)
    diagnostics: list[str] = Field(default_factory=list, description="Tool messages for compile failures.")
    window: WaveWindow | None = Field(
        None, description="Samples around the first mismatch, reference and candidate (see tools.hdl.waves)."
    )
    tools: list[str] = Field(default_factory=list)
    duration_s: float = 0.0

    @property
    def mismatch_count(self) -> int:
        """Mismatching samples summed over outputs."""
        return sum(o.mismatches for o in self.outputs)

    def feedback(self, limit: int = 5) -> str:
        """Plain text for an agent (or a human): the verdict, why, and the first mismatches."""
        head = f"Differential check: {self.verdict.upper()}"
        if self.samples:
            head += f" ({self.samples} samples, seeds {', '.join(map(str, self.seeds))})"
        parts = [head]
        if self.reason:
            parts.append(self.reason)
        if self.outputs and any(o.compared < o.samples for o in self.outputs):
            parts.append(f"compared per output: {self.compared_summary()}")
        parts += [f"  {d}" for d in self.diagnostics[:10]]
        for m in self.mismatches[:limit]:
            stats = next((o for o in self.outputs if o.name == m.output), None)
            count = f" ({stats.mismatches} of {stats.samples} samples differ)" if stats else ""
            ins = ", ".join(f"{k}={v}" for k, v in m.inputs.items()) or "none"
            parts.append(
                f"- output '{m.output}'{count}: first at {m.where}, time {m.time}ns; "
                f"inputs {ins}; expected {m.expected}, got {m.got}"
            )
        if self.mismatches and self.clock:
            parts.append(
                f"  (outputs are sampled just before the active edge of '{self.clock}', after that sample's "
                "inputs were applied; 'x' in expected means the reference does not care)"
            )
        parts += [f"note: {n}" for n in self.notes]
        if self.window is not None:
            parts.append(to_text(self.window))
        return "\n".join(parts)

    def compared_summary(self, limit: int = 8) -> str:
        """Samples each output compared on, fewest first, e.g. ``out_byte 1043, done 35148``."""
        ranked = sorted(self.outputs, key=lambda o: o.compared)
        text = ", ".join(f"{o.name} {o.compared}" for o in ranked[:limit])
        return text + (f" (+{len(ranked) - limit} more)" if len(ranked) > limit else "")

    def to_check(self) -> Check:
        """The report as evidence (status mirrors the verdict); the summary gives the samples each
        output compared on whenever some output did not compare on all of them."""
        status = self.verdict
        summary = self.reason or f"{self.samples} samples matched"
        if self.outputs and any(o.compared < o.samples for o in self.outputs):
            summary += f"; compared per output: {self.compared_summary()}"
        return Check(
            name="diffsim",
            tool=", ".join(self.tools),
            status=status,
            summary=summary,
            seeds=list(self.seeds),
            details={
                "reason_kind": self.reason_kind,
                "reference": self.reference_kind,
                "clock": self.clock,
                "reset": self.reset,
                "sequences": self.sequences,
                "cycles": self.cycles,
                "samples": self.samples,
                "mismatches": self.mismatch_count,
                "enough": self.enough,
                "steered_samples": self.steered_samples,
                "steering_rounds": self.steering_rounds,
                "compared": {o.name: o.compared for o in self.outputs},
                "outputs": [o.model_dump() for o in self.outputs],
                "first_mismatches": [m.model_dump() for m in self.mismatches],
                "notes": self.notes,
                **({"window": self.window.model_dump()} if self.window is not None else {}),
            },
            duration_s=self.duration_s,
        )
