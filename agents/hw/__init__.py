"""The hardware-design agent: request reading, the offline generator library (RTL plus an
independently written Python reference model per generator), the designer/tester/judge roles
(offline or LLM) and the node functions of the hardware subgraph (wired in :mod:`graphs.hw`).

Names load on first use (PEP 562), so importing one module of this package (a command's help, the
generator catalog) does not pull in the LLM client and LangGraph.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.hw.binding import Design, ResetInfo, bind
    from agents.hw.design import HwDesign
    from agents.hw.interface import Interface, Port, parse_interface
    from agents.hw.library import GENERATORS, catalog, get_generator
    from agents.hw.nodes import HwNodes, Roles, route_after_check
    from agents.hw.offline import design, design_request, variants
    from agents.hw.request import HwRequest, read_request
    from agents.hw.roles import LlmDesigner, LlmJudge, LlmTester, OfflineDesigner, OfflineJudge, OfflineTester
    from agents.hw.state import Candidate, HwState, Reference

_WHERE = {
    "Design": "agents.hw.binding",
    "ResetInfo": "agents.hw.binding",
    "bind": "agents.hw.binding",
    "HwDesign": "agents.hw.design",
    "Interface": "agents.hw.interface",
    "Port": "agents.hw.interface",
    "parse_interface": "agents.hw.interface",
    "GENERATORS": "agents.hw.library",
    "catalog": "agents.hw.library",
    "get_generator": "agents.hw.library",
    "HwNodes": "agents.hw.nodes",
    "Roles": "agents.hw.nodes",
    "route_after_check": "agents.hw.nodes",
    "design": "agents.hw.offline",
    "design_request": "agents.hw.offline",
    "variants": "agents.hw.offline",
    "HwRequest": "agents.hw.request",
    "read_request": "agents.hw.request",
    "LlmDesigner": "agents.hw.roles",
    "LlmJudge": "agents.hw.roles",
    "LlmTester": "agents.hw.roles",
    "OfflineDesigner": "agents.hw.roles",
    "OfflineJudge": "agents.hw.roles",
    "OfflineTester": "agents.hw.roles",
    "Candidate": "agents.hw.state",
    "HwState": "agents.hw.state",
    "Reference": "agents.hw.state",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'agents.hw' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


__all__ = [
    "GENERATORS",
    "Candidate",
    "Design",
    "HwDesign",
    "HwNodes",
    "HwRequest",
    "HwState",
    "Interface",
    "LlmDesigner",
    "LlmJudge",
    "LlmTester",
    "OfflineDesigner",
    "OfflineJudge",
    "OfflineTester",
    "Port",
    "Reference",
    "ResetInfo",
    "Roles",
    "bind",
    "catalog",
    "design",
    "design_request",
    "get_generator",
    "parse_interface",
    "read_request",
    "route_after_check",
    "variants",
]
