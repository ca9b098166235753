"""The agents' roles, built in one place: offline (generator and template libraries) or LLM.

:func:`build_roles` is the only code that puts an :class:`LLMClient` into the hardware and software
roles; every front door (:func:`graphs.hw.design_block`, :func:`graphs.sw.design_kernel`) takes the
roles it is given, so a caller decides once whether a run is offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.hw.nodes import Roles
from agents.hw.roles import LlmDesigner, LlmJudge, LlmTester
from agents.llm import LLMClient
from agents.sw.llm_roles import LlmDesigner as LlmKernelDesigner
from agents.sw.llm_roles import LlmTester as LlmKernelTester
from agents.sw.roles import SwRoles

HW_AGENTS = ("hw.designer", "hw.tester", "hw.judge")
"""Ledger names of the hardware roles' LLM calls."""
SW_AGENTS = ("sw.designer", "sw.tester")
"""Ledger names of the software roles' LLM calls."""


@dataclass(frozen=True)
class AgentRoles:
    """The hardware roles (designer, tester, judge) and the software roles (designer, tester)."""

    hw: Roles = field(default_factory=Roles)
    sw: SwRoles = field(default_factory=SwRoles)
    llm: LLMClient | None = None

    @property
    def offline(self) -> bool:
        """True when no role calls an LLM."""
        return self.llm is None

    def tokens(self, agents: tuple[str, ...]) -> int:
        """Tokens the named roles have used on the client so far (0 offline)."""
        return 0 if self.llm is None else sum(self.llm.ledger.usage(a).total_tokens for a in agents)


def build_roles(llm: LLMClient | None) -> AgentRoles:
    """Offline roles for ``None``; otherwise every role asks ``llm``."""
    if llm is None:
        return AgentRoles()
    return AgentRoles(
        hw=Roles(designer=LlmDesigner(llm), tester=LlmTester(llm), judge=LlmJudge(llm), offline=False),
        sw=SwRoles(designer=LlmKernelDesigner(llm), tester=LlmKernelTester(llm)),
        llm=llm,
    )
