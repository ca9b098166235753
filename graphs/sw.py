"""The software subgraph, wiring only (nodes live in :mod:`agents.sw.nodes`), and its front door
:func:`design_kernel`:

spec -> candidate -> compile --ok--> test --ok--> profile -> tune -> finish
           ^            |              |
           '--repair----'--------------'  (designer roles, bounded by max_repairs; else finish)
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph

from agents.sw.design import SwDesign
from agents.sw.gpu import design_gpu_kernel
from agents.sw.nodes import SwNodes
from agents.sw.progress import Progress, describe_step
from agents.sw.roles import SwRoles
from agents.sw.state import SwState
from tools.errors import QimengError


def build_sw_graph(roles: SwRoles, checkpointer: Any = None) -> Any:
    """The compiled software subgraph (invoke it with a :class:`SwState`)."""
    nodes = SwNodes(roles)
    graph = StateGraph(SwState)
    graph.add_node("spec", nodes.spec)
    graph.add_node("candidate", nodes.candidate)
    graph.add_node("compile", nodes.compile)
    graph.add_node("test", nodes.test)
    graph.add_node("profile", nodes.profile)
    graph.add_node("tune", nodes.tune)
    graph.add_node("finish", nodes.finish)
    graph.add_edge(START, "spec")
    graph.add_edge("spec", "candidate")
    graph.add_edge("candidate", "compile")
    graph.add_conditional_edges(
        "compile", nodes.after_compile, {"test": "test", "candidate": "candidate", "finish": "finish"}
    )
    graph.add_conditional_edges(
        "test", nodes.after_test, {"profile": "profile", "candidate": "candidate", "finish": "finish"}
    )
    graph.add_edge("profile", "tune")
    graph.add_edge("tune", "finish")
    graph.add_edge("finish", END)
    return graph.compile(checkpointer=checkpointer)


def design_kernel(
    request: str,
    *,
    target: str,
    roles: SwRoles,
    budget: int = 6,
    time_budget_s: float | None = None,
    max_repairs: int = 2,
    seed: int = 0,
    run_root: str | Path | None = None,
    store: bool = True,
    progress: Progress | None = None,
) -> SwDesign:
    """Design one kernel for ``target`` from ``request`` with ``roles`` (offline or LLM, see
    :func:`agents.roles.build_roles`): checked against the spec's reference, timed and tuned on a
    native target. The tuner tries at most ``budget`` candidates and, with ``time_budget_s``, stops
    starting new ones once that many seconds have passed. On ``cuda`` the request goes to :func:`agents.sw.gpu.design_gpu_kernel` (the GPU
    kit's search, checks and timing on a node serving cuda; refused where none does). With
    ``store`` the source, evidence and design go to a run under ``run_root`` (default: the
    settings' run directory). ``progress`` hears one line per step.

    Raises:
        UsageError: for a request or target the library cannot serve (the message says why).
        QimengError: a tool or the LLM failed in a way the user can act on.
    """
    if target == "cuda":
        return design_gpu_kernel(
            request,
            budget_s=time_budget_s if time_budget_s is not None else 10.0 * budget,
            run_root=run_root,
            store=store,
            progress=progress,
        )
    with tempfile.TemporaryDirectory(prefix="qimeng-sw-") as tmp:
        state: SwState = {
            "text": request,
            "target": target,
            "budget": budget,
            "max_repairs": max_repairs,
            "seed": seed,
            "workdir": tmp,
            "store": store,
        }
        if time_budget_s is not None:
            state["time_budget_s"] = time_budget_s
        if run_root is not None:
            state["run_root"] = str(run_root)
        design: SwDesign | None = None
        for update in build_sw_graph(roles).stream(state, {"recursion_limit": 50}, stream_mode="updates"):
            for node, delta in update.items():
                line = describe_step(node, delta)
                if progress is not None and line:
                    progress(node, line)
                design = (delta or {}).get("design", design)
    if not isinstance(design, SwDesign):
        raise QimengError("the software subgraph ended without a design (its finish node did not run)")
    return design
