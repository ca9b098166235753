"""The hardware subgraph, wiring only (nodes live in :mod:`agents.hw.nodes`):

spec -> design -> reference -> lint -> check --pass--> formal -> synth -> finish
                                ^         |--fail--> diagnose -> repair --^
                                          '--out of repairs--> finish
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from agents.hw.nodes import HwNodes, Roles, route_after_check
from agents.hw.state import HwState


def build_hw_graph(roles: Roles | None = None) -> Any:
    """The compiled subgraph; invoke it with ``{"text": ...}`` (see :class:`HwState`)."""
    nodes = HwNodes(roles)
    g = StateGraph(HwState)
    g.add_node("spec", nodes.spec)
    g.add_node("design", nodes.design)
    g.add_node("reference", nodes.reference)
    g.add_node("lint", nodes.lint)
    g.add_node("check", nodes.check)
    g.add_node("diagnose", nodes.diagnose)
    g.add_node("repair", nodes.repair)
    g.add_node("formal", nodes.formal)
    g.add_node("synth", nodes.synth)
    g.add_node("finish", nodes.finish)
    g.add_edge(START, "spec")
    g.add_edge("spec", "design")
    g.add_edge("design", "reference")
    g.add_edge("reference", "lint")
    g.add_edge("lint", "check")
    g.add_conditional_edges(
        "check", route_after_check, {"formal": "formal", "diagnose": "diagnose", "finish": "finish"}
    )
    g.add_edge("diagnose", "repair")
    g.add_edge("repair", "lint")
    g.add_edge("formal", "synth")
    g.add_edge("synth", "finish")
    g.add_edge("finish", END)
    return g.compile()
