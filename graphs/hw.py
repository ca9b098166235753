"""The hardware subgraph, wiring only (nodes live in :mod:`agents.hw.nodes`), and its front door
:func:`design_block`:

spec -> design -> reference -> lint -> check --pass--> formal -> synth -> finish
                                ^         |--fail--> diagnose -> repair --^
                                          '--out of repairs--> finish
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph

from agents.hw.design import HwDesign
from agents.hw.nodes import HwNodes, Roles, route_after_check
from agents.hw.state import HwState
from tools.errors import QimengError

Progress = Callable[[str, str], None]
"""Called with (node, its latest log line) as the subgraph runs."""


def build_hw_graph(roles: Roles) -> Any:
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


def design_block(
    request: str,
    *,
    roles: Roles,
    seeds: list[int] | None = None,
    run_root: str | Path | None = None,
    samples: int = 2,
    max_repairs: int = 2,
    progress: Progress | None = None,
) -> HwDesign:
    """Design one hardware block from ``request`` with ``roles`` (offline or LLM, see
    :func:`agents.roles.build_roles`); artifacts and evidence go to a run under ``run_root``
    (default: the settings' run directory).

    Raises:
        UsageError: an empty request, or (offline) one no generator matches.
        QimengError: a tool or the LLM failed in a way the user can act on.
    """
    state: HwState = {"text": request, "samples": samples, "max_repairs": max_repairs}
    if seeds is not None:
        state["seeds"] = list(seeds)
    if run_root is not None:
        state["run_root"] = str(run_root)
    design: HwDesign | None = None
    for update in build_hw_graph(roles).stream(state, stream_mode="updates"):
        for node, delta in update.items():
            lines = (delta or {}).get("log") or []
            if progress is not None and lines:
                progress(node, lines[-1].split(": ", 1)[-1])
            design = (delta or {}).get("design", design)
    if design is None:
        raise QimengError("the hardware subgraph ended without a design (its finish node did not run)")
    return design
