"""What travels through the software subgraph: the request, the candidate, its checks, the result."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

Status = Literal["running", "verified", "failed"]


class SwState(TypedDict, total=False):
    """State of one software design request (every key optional; nodes return partial updates).

    Keys: ``text`` the request; ``target`` the ISA; ``offline`` deterministic designer (no LLM);
    ``budget`` tuner candidates; ``max_repairs`` repair rounds for LLM candidates; ``seed``;
    ``workdir`` where candidates are built; then what the nodes fill in.
    """

    text: str
    target: str
    offline: bool
    budget: int
    max_repairs: int
    seed: int
    workdir: str
    kernel: str
    dims: dict[str, int]
    source: str
    origin: str
    params: dict[str, int]
    attempts: int
    feedback: str
    context: str
    compile_ok: bool
    test_ok: bool
    checks: list[dict[str, Any]]
    timing: dict[str, Any] | None
    tuning: dict[str, Any] | None
    status: Status
    error: str
    run_id: str
