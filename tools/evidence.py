"""Evidence: which checks ran on an artifact, with which seeds, and what they found.

Every artifact the system returns carries an :class:`Evidence`; reports and ``--json`` output are
built from it, so a reader can always ask "how do we know?".
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

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


class Source(BaseModel):
    """A document or past design the agents retrieved while making an artifact."""

    source: str = Field(description="Document path, or 'design-memory:<id>' for a past design.")
    section: str = Field("", description="Heading path inside the document.")
    score: float = Field(0.0, description="Retrieval score (higher is closer).")


class Evidence(BaseModel):
    """All checks on one artifact, in the order they ran, and what the agents consulted."""

    checks: list[Check] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list, description="Retrieved documents and designs.")

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
