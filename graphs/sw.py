"""The software subgraph, wiring only: spec -> candidate -> compile -> test -> profile -> tune -> finish.

A candidate that fails to compile or test goes back to ``candidate`` with the feedback (LLM mode,
bounded by ``max_repairs``); the nodes live in :mod:`agents.sw.nodes`.
"""

from __future__ import annotations

import tempfile
from typing import Any

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, Field

from agents.knowledge_use import consult, remember
from agents.sw.nodes import (
    after_compile,
    after_test,
    candidate_node,
    compile_node,
    finish_node,
    profile_node,
    spec_node,
    test_node,
    tune_node,
)
from agents.sw.state import SwState
from tools.evidence import Check, Evidence
from tools.runstore import new_run


def build_sw_graph(checkpointer: Any = None) -> Any:
    """The compiled software subgraph (invoke it with a :class:`SwState`)."""
    graph = StateGraph(SwState)
    graph.add_node("spec", spec_node)
    graph.add_node("candidate", candidate_node)
    graph.add_node("compile", compile_node)
    graph.add_node("test", test_node)
    graph.add_node("profile", profile_node)
    graph.add_node("tune", tune_node)
    graph.add_node("finish", finish_node)
    graph.add_edge(START, "spec")
    graph.add_edge("spec", "candidate")
    graph.add_edge("candidate", "compile")
    graph.add_conditional_edges(
        "compile", after_compile, {"test": "test", "candidate": "candidate", "finish": "finish"}
    )
    graph.add_conditional_edges(
        "test", after_test, {"profile": "profile", "candidate": "candidate", "finish": "finish"}
    )
    graph.add_edge("profile", "tune")
    graph.add_edge("tune", "finish")
    graph.add_edge("finish", END)
    return graph.compile(checkpointer=checkpointer)


class SwDesign(BaseModel):
    """The result of one software design request: the kernel, how it was made and its evidence."""

    kernel: str = Field(description="Template library kernel name.")
    target: str
    status: str = Field(description="verified or failed.")
    source: str = Field("", description="The kernel's C source.")
    origin: str = Field("", description="offline:template:<name> or llm:designer.")
    params: dict[str, int] = Field(default_factory=dict, description="Template parameters chosen.")
    dims: dict[str, int] = Field(default_factory=dict)
    timing: dict[str, Any] | None = Field(None, description="Speed on the requested shape (native only).")
    evidence: Evidence
    run_id: str | None = Field(None, description="Run-store id where the artifacts are.")
    error: str = ""


def design_kernel(
    text: str,
    target: str,
    *,
    offline: bool = True,
    budget: int = 6,
    max_repairs: int = 2,
    seed: int = 0,
    store: bool = True,
) -> SwDesign:
    """Run the software subgraph on ``text`` for ``target``; write source and evidence to the run store.

    Raises:
        UsageError: for a request or target the library cannot serve (the message says why).
    """
    run = new_run(f"sw design {text!r} --target {target}") if store else None
    found = consult(text, f"kernel-{target}")
    with tempfile.TemporaryDirectory(prefix="qimeng-sw-") as tmp:
        state: SwState = {
            "context": found.context,
            "text": text,
            "target": target,
            "offline": offline,
            "budget": budget,
            "max_repairs": max_repairs,
            "seed": seed,
            "workdir": tmp,
        }
        try:
            final = build_sw_graph().invoke(state, {"recursion_limit": 50})
        except BaseException:
            if run is not None:
                run.finish("failed")
            raise
    evidence = Evidence(
        checks=[Check.model_validate(c) for c in final.get("checks", [])], sources=found.sources
    )
    result = SwDesign(
        kernel=final["kernel"],
        target=target,
        status=final.get("status", "failed"),
        source=final.get("source", ""),
        origin=final.get("origin", ""),
        params=final.get("params", {}),
        dims=final.get("dims", {}),
        timing=final.get("timing"),
        evidence=evidence,
        run_id=run.id if run is not None else None,
        error=final.get("error", ""),
    )
    if result.status == "verified":
        remember(
            f"kernel-{target}", text, result.source, evidence, {**result.params, **(result.timing or {})}
        )
    if run is not None:
        suffix = ".cu" if target == "cuda" else ".c"
        run.write(
            f"{result.kernel}_{target}{suffix}", result.source, "kernel", target=target, status=result.status
        )
        run.write_json("evidence.json", evidence, "evidence")
        run.write_json("design.json", result.model_dump(mode="json", exclude={"source"}), "report")
        run.finish(
            "done" if result.status == "verified" else "failed", outcome=result.status, kernel=result.kernel
        )
    return result
