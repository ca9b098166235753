"""Evidence: which checks ran on an artifact, with which seeds, and what they found.

Every artifact the system returns carries an :class:`Evidence`; reports and ``--json`` output are
built from it, so a reader can always ask "how do we know?".
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

CheckStatus = Literal["pass", "fail", "inconclusive", "error", "unsupported", "skipped"]


class Check(BaseModel):
    """One check that ran on an artifact."""

    name: str = Field(description="What was checked: lint, diffsim, formal, synth, difftest, timing, ...")
    tool: str = Field(description="Tool and version that did it, e.g. 'iverilog 11.0'.")
    status: CheckStatus = Field(description="Its verdict; only 'pass' counts towards verified.")
    summary: str = Field("", description="One line for a human.")
    seeds: list[int] = Field(default_factory=list, description="Random seeds used, for reproduction.")
    details: dict[str, Any] = Field(default_factory=dict, description="Structured findings.")
    duration_s: float = Field(0.0, description="Wall time the check took.")
    node: str = Field(
        "", description="Where the tool ran: 'local' (the calling process) or a Ray node id; '' if unknown."
    )
    node_labels: dict[str, str] = Field(
        default_factory=dict, description="Labels of that node (its Ray labels and host name)."
    )
    target: str | None = Field(None, description="Target (ISA) the tool call needed; None for HDL tools.")
    tool_versions: dict[str, str] = Field(
        default_factory=dict, description="Versions of the tools used on that node, name -> version."
    )


class Source(BaseModel):
    """A document or past design the agents retrieved while making an artifact."""

    source: str = Field(description="Document path, or 'design-memory:<id>' for a past design.")
    section: str = Field("", description="Heading path inside the document.")
    score: float = Field(0.0, description="Retrieval score (higher is closer).")


ReadingSource = Literal["text", "header", "user", "assumed"]


class Reading(BaseModel):
    """One parameter of an interpretation and where it came from."""

    name: str = Field(description="Parameter name, e.g. 'pattern', 'reset', 'rows'.")
    value: Any = Field(description="The value used (JSON).")
    source: ReadingSource = Field(
        description="'text': read from the request's words; 'header': from its module header or port "
        "list; 'user': given explicitly (option, clarification); 'assumed': not in the request."
    )
    words: str = Field("", description="The words of the request it was read from (empty when assumed).")
    decides_behaviour: bool = Field(
        True, description="False for parameters that change no observable behaviour (e.g. an architecture)."
    )

    def render(self) -> str:
        """'pattern 1,0,1' or 'reset sync-high (assumed)'."""
        value = ",".join(str(v) for v in self.value) if isinstance(self.value, list) else self.value
        return f"{self.name} {value}" + (" (assumed)" if self.source == "assumed" else "")


class Interpretation(BaseModel):
    """How a request was read: who read it and every parameter with its provenance."""

    by: str = Field(description="Who read it: 'offline:<generator or template>' or 'llm:<role>'.")
    readings: list[Reading] = Field(default_factory=list, description="Every parameter, in order.")
    unread: list[str] = Field(
        default_factory=list,
        description="Facts in the request (numbers, patterns, named behaviours) the interpretation does not use.",
    )

    def assumed(self) -> list[Reading]:
        """Behaviour-deciding parameters that were not in the request."""
        return [r for r in self.readings if r.source == "assumed" and r.decides_behaviour]

    def summary(self) -> str:
        """One line for a human: 'interpreted as: pattern 1,0,1; overlapping; Moore'."""
        return "interpreted as: " + "; ".join(r.render() for r in self.readings) if self.readings else ""


class Evidence(BaseModel):
    """All checks on one artifact, in the order they ran, and what the agents consulted."""

    checks: list[Check] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list, description="Retrieved documents and designs.")
    interpretation: Interpretation | None = Field(
        None, description="How the request was read (parameters and where each came from)."
    )

    def add(self, check: Check) -> Check:
        """Record a check and return it."""
        self.checks.append(check)
        return check

    @property
    def verified(self) -> bool:
        """True when at least one check ran and every check that ran passed (skips aside)."""
        ran = [c for c in self.checks if c.status != "skipped"]
        return bool(ran) and all(c.status == "pass" for c in ran)

    def failures(self) -> list[Check]:
        """Checks that did not pass (skips aside)."""
        return [c for c in self.checks if c.status not in ("pass", "skipped")]


DesignStatus = Literal["verified", "failed", "refused"]


def design_status(evidence: Evidence, refusal: str = "") -> DesignStatus:
    """The one place a design's status is derived: 'refused' when the agent declined to build it,
    'verified' only when its final evidence is verified, otherwise 'failed'."""
    if refusal:
        return "refused"
    return "verified" if evidence.verified else "failed"


class Attempt(BaseModel):
    """A candidate tried on the way to the final artifact, and why it was not kept."""

    origin: str = Field(description="Who made it: 'offline:<generator>' or 'llm:designer', with a variant.")
    summary: str = Field("", description="One line: what failed.")
    checks: list[Check] = Field(default_factory=list, description="The checks that ran on it.")


class DesignResult(BaseModel):
    """Base of every agent's result: the final artifact's evidence, the failed attempts, and the status
    derived from that evidence (never set by hand, so it cannot disagree with it)."""

    evidence: Evidence = Field(default_factory=Evidence, description="Checks on the final artifact only.")
    attempts: list[Attempt] = Field(default_factory=list, description="What was tried and failed on the way.")
    refusal: str = Field("", description="Why the agent declined to build it (empty when it built).")
    run_dir: str = Field("", description="Where the artifacts are (run store), empty when not stored.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> DesignStatus:
        """'verified', 'failed' or 'refused', derived by :func:`design_status`."""
        return design_status(self.evidence, self.refusal)
