"""The software agent's roles: who writes a kernel and who picks its test shapes.

Offline (both None) the template library writes the kernel and the spec's own shapes test it; with
an LLM the designer writes and repairs it and an independent tester adds shapes (see
:mod:`agents.sw.llm_roles`). Built with the hardware roles in :func:`agents.roles.build_roles`.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.sw.llm_roles import KernelDesigner, KernelTester


@dataclass(frozen=True)
class SwRoles:
    """The designer (None: the offline template library) and the tester (None: the spec's shapes only)."""

    designer: KernelDesigner | None = None
    tester: KernelTester | None = None

    @property
    def offline(self) -> bool:
        """True when the template library designs (no LLM): deterministic, no repair loop."""
        return self.designer is None
