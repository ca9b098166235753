"""Token accounting per agent: prompt, completion and total tokens and the number of answered requests.

A :class:`TokenLedger` is shared by every call of an :class:`agents.llm.LLMClient` (and may be shared
between clients); it is thread-safe, ledgers add up (``a + b``, ``sum([...])``), and
:meth:`TokenLedger.as_dict` gives the plain dict that reports and ``--json`` output carry.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TokenUsage(BaseModel):
    """What one agent (or all of them) spent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_tokens: int = Field(0, ge=0, description="Tokens the endpoint counted in the prompts.")
    completion_tokens: int = Field(0, ge=0, description="Tokens the endpoint generated.")
    total_tokens: int = Field(0, ge=0, description="Prompt plus completion tokens as the endpoint reported.")
    requests: int = Field(0, ge=0, description="Model answers received (a call retried twice counts once).")

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            requests=self.requests + other.requests,
        )

    @classmethod
    def from_metadata(cls, usage: Mapping[str, Any] | None) -> TokenUsage:
        """Read LangChain ``usage_metadata`` (input/output/total tokens) as one answered request.

        A missing report (a server that sends no usage) counts the request with zero tokens.
        """
        if not usage:
            return cls(requests=1)
        prompt = int(usage.get("input_tokens") or 0)
        completion = int(usage.get("output_tokens") or 0)
        total = int(usage.get("total_tokens") or prompt + completion)
        return cls(prompt_tokens=prompt, completion_tokens=completion, total_tokens=total, requests=1)


class TokenLedger:
    """Thread-safe running totals keyed by agent name."""

    def __init__(self, initial: Mapping[str, TokenUsage] | None = None) -> None:
        self._lock = threading.Lock()
        self._by_agent: dict[str, TokenUsage] = dict(initial or {})

    def record(self, agent: str, usage: TokenUsage) -> None:
        """Add ``usage`` to ``agent``'s total."""
        with self._lock:
            self._by_agent[agent] = self._by_agent.get(agent, TokenUsage()) + usage

    def usage(self, agent: str) -> TokenUsage:
        """``agent``'s total so far (all zeros for an agent that never called)."""
        with self._lock:
            return self._by_agent.get(agent, TokenUsage())

    def total(self) -> TokenUsage:
        """The sum over all agents."""
        with self._lock:
            return sum(self._by_agent.values(), TokenUsage())

    def agents(self) -> list[str]:
        """Names of agents that have recorded usage, sorted."""
        with self._lock:
            return sorted(self._by_agent)

    def as_dict(self) -> dict[str, dict[str, int]]:
        """``{agent: {prompt_tokens, completion_tokens, total_tokens, requests}}``, agents sorted."""
        with self._lock:
            return {name: self._by_agent[name].model_dump() for name in sorted(self._by_agent)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, int]]) -> TokenLedger:
        """Rebuild a ledger from :meth:`as_dict` output (e.g. read back from a run directory)."""
        return cls({name: TokenUsage.model_validate(dict(values)) for name, values in data.items()})

    def __add__(self, other: TokenLedger) -> TokenLedger:
        merged = TokenLedger.from_dict(self.as_dict())
        for name, values in other.as_dict().items():
            merged.record(name, TokenUsage.model_validate(values))
        return merged

    def __radd__(self, other: object) -> TokenLedger:
        if other == 0:  # lets sum(ledgers) start from its default 0
            return TokenLedger.from_dict(self.as_dict())
        return NotImplemented

    def __repr__(self) -> str:
        return f"TokenLedger({self.as_dict()!r})"
