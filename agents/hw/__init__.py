"""The hardware-design agent: request reading, the offline generator library (RTL plus an
independently written Python reference model per generator), the designer/tester/judge roles
(offline or LLM) and the node functions of the hardware subgraph (wired in :mod:`graphs.hw`)."""

from agents.hw.binding import Design, ResetInfo, bind
from agents.hw.design import HwDesign
from agents.hw.interface import Interface, Port, parse_interface
from agents.hw.library import GENERATORS, catalog, get_generator
from agents.hw.nodes import HwNodes, Roles, route_after_check
from agents.hw.offline import design, design_request, variants
from agents.hw.request import HwRequest, read_request
from agents.hw.roles import LlmDesigner, LlmJudge, LlmTester, OfflineDesigner, OfflineJudge, OfflineTester
from agents.hw.state import Candidate, HwState, Reference

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
