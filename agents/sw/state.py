"""What travels through the software subgraph: the request, the candidate, its checks, the result."""

from __future__ import annotations

from typing import Any, TypedDict

from agents.sw.design import SwDesign


class SwState(TypedDict, total=False):
    """State of one software design request (every key optional; nodes return partial updates).

    Inputs: ``text`` the request; ``target`` the ISA; ``budget`` tuner candidates;
    ``time_budget_s`` the tuner's wall-time limit (absent: none); ``max_repairs``
    repair rounds for designer candidates; ``seed``; ``workdir`` where candidates are built;
    ``store`` whether ``finish`` writes a run, under ``run_root`` (default: the settings' run
    directory). Then what the nodes fill in: ``checks`` are the current candidate's checks only,
    ``tried`` the replaced candidates (:class:`tools.evidence.Attempt` as JSON), ``design`` the result.
    """

    text: str
    target: str
    budget: int
    time_budget_s: float
    max_repairs: int
    seed: int
    workdir: str
    store: bool
    run_root: str
    kernel: str
    dims: dict[str, int]
    source: str
    origin: str
    params: dict[str, int]
    attempts: int
    feedback: str
    context: str
    sources: list[dict[str, Any]]
    compile_ok: bool
    test_ok: bool
    checks: list[dict[str, Any]]
    tried: list[dict[str, Any]]
    timing: dict[str, Any] | None
    design: SwDesign
