"""Scenarios: the kinds of request the offline planner decomposes, critiques and reports.

Each is one module with a class following :class:`Scenario` and one line in :data:`SCENARIOS`;
:func:`match` tries them in that order (specific co-design scenarios before the plain ones).
"""

from __future__ import annotations

from typing import Any

from agents.scenarios.base import PartResults, Scenario, Section, results_lines
from agents.scenarios.dot_product import DotProductGemm
from agents.scenarios.offload import PopcountOffload
from agents.scenarios.reading import find_target
from agents.scenarios.single import Block, Kernel
from agents.scenarios.targets import KernelAcrossTargets
from agents.top.state import Critique, Part
from tools.errors import UsageError

SCENARIOS: dict[str, Scenario] = {
    "dot-product-gemm": DotProductGemm(),
    "popcount-offload": PopcountOffload(),
    "kernel-across-targets": KernelAcrossTargets(),
    "kernel": Kernel(),
    "block": Block(),
}


def get_scenario(name: str) -> Scenario:
    """The scenario registered as ``name``.

    Raises:
        UsageError: for an unknown name (the message lists the known ones).
    """
    found = SCENARIOS.get(name)
    if found is None:
        raise UsageError(f"unknown scenario '{name}'; known scenarios: {', '.join(SCENARIOS)}")
    return found


def match(text: str) -> tuple[str, dict[str, Any]] | None:
    """The first scenario that serves ``text`` and the details it read, or None.

    Raises:
        UsageError: a scenario recognised the text but a value in it is out of range.
    """
    for name, scenario in SCENARIOS.items():
        details = scenario.match(text)
        if details is not None:
            return name, details
    return None


__all__ = [
    "SCENARIOS",
    "Critique",
    "Part",
    "PartResults",
    "Scenario",
    "Section",
    "find_target",
    "get_scenario",
    "match",
    "results_lines",
]
