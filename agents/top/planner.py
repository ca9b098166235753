"""The planner: turns a classified request (and the critic's new constraints) into typed tasks.

Offline, :func:`offline_plan` decomposes deterministically. With an LLM, :func:`llm_plan` asks for a
:class:`Plan` through :meth:`LLMClient.structured`, checks it with :func:`validate_plan`, and feeds
every problem back to the model for a corrected plan (at most ``repairs`` times).
"""

from __future__ import annotations

from typing import Any

from agents.codesign.accelerator import accelerator_spec
from agents.codesign.request import CodesignRequest
from agents.llm import LLMClient
from agents.llm_errors import LLMResponseError
from agents.top.state import Constraints, Kind, Plan, Task
from agents.prompts import PromptTemplates
from tools.targets import TARGETS

PROMPTS = PromptTemplates.beside(__file__)


def gemm_spec(req: CodesignRequest, lanes: int) -> str:
    """The software task of a co-design round: the GEMM on one accelerator."""
    return f"gemm {req.m}x{req.k}x{req.n} on the {lanes}-lane dot-product accelerator"


def codesign_tasks(req: CodesignRequest, lanes: list[int]) -> list[Task]:
    """One hardware task per lane count and the GEMM task that runs on it (top-down constraints)."""
    tasks: list[Task] = []
    for n in lanes:
        tasks.append(
            Task(
                id=f"acc{n}",
                kind="hw",
                spec=accelerator_spec(n, req.width),
                constraints=Constraints(area_budget=req.area_budget, lanes=n),
            )
        )
        tasks.append(
            Task(
                id=f"gemm-acc{n}",
                kind="sw",
                spec=gemm_spec(req, n),
                constraints=Constraints(speed_goal="fewest cycles", lanes=n),
                uses=f"acc{n}",
            )
        )
    return tasks


def offline_plan(request: str, kind: Kind, details: dict[str, Any], lanes: list[int] | None = None) -> Plan:
    """The deterministic plan; ``lanes`` (co-design re-plans) overrides the requested lane counts."""
    target = details.get("target")
    if kind == "codesign":
        req = CodesignRequest.model_validate({k: v for k, v in details.items() if k != "target"})
        chosen = lanes if lanes is not None else req.lanes
        return Plan(
            kind=kind,
            tasks=codesign_tasks(req, chosen),
            rationale=f"one accelerator per lane count {chosen}, the GEMM on each; the critic compares them",
        )
    if kind == "hw":
        return Plan(kind=kind, tasks=[Task(id="hw-1", kind="hw", spec=request)], rationale="a circuit only")
    return Plan(
        kind=kind,
        tasks=[Task(id="sw-1", kind="sw", spec=request, constraints=Constraints(target=target or "x86_64"))],
        rationale="a kernel only",
    )


def validate_plan(plan: Plan, kind: Kind, details: dict[str, Any]) -> list[str]:
    """Everything wrong with ``plan`` for this request, as messages the model can act on."""
    problems: list[str] = []
    if plan.kind != kind:
        problems.append(f"plan.kind is '{plan.kind}' but the request is '{kind}'")
    ids = [t.id for t in plan.tasks]
    if len(set(ids)) != len(ids):
        problems.append(f"task ids must be unique, got {ids}")
    hw_ids = {t.id for t in plan.tasks if t.kind == "hw"}
    for t in plan.tasks:
        if t.kind == "sw" and kind != "codesign":
            tgt = t.constraints.target
            if tgt not in TARGETS:
                problems.append(
                    f"task {t.id}: constraints.target {tgt!r} is not a known target; use one of {', '.join(sorted(TARGETS))}"
                )
        if t.uses is not None and t.uses not in hw_ids:
            problems.append(f"task {t.id}: uses {t.uses!r}, which is not a hw task of this plan")
    if kind == "codesign":
        for t in plan.tasks:
            if t.kind == "hw" and t.constraints.lanes is None:
                problems.append(f"task {t.id}: a co-design hw task needs constraints.lanes")
            if t.kind == "sw" and t.uses is None:
                problems.append(f"task {t.id}: a co-design sw task needs 'uses' (the hw task it runs on)")
    if kind == "hw" and not hw_ids:
        problems.append("a hardware request needs at least one hw task")
    if kind == "sw" and not any(t.kind == "sw" for t in plan.tasks):
        problems.append("a software request needs at least one sw task")
    return problems


def llm_plan(
    client: LLMClient, request: str, kind: Kind, details: dict[str, Any], *, repairs: int = 2
) -> tuple[Plan, list[str]]:
    """Ask the model for a plan; send validation problems back until it is valid.

    Returns the plan and the problems of each rejected attempt (the repair history).

    Raises:
        LLMResponseError: still invalid after ``repairs`` corrections (names the problems).
        and the errors of :meth:`LLMClient.structured`.
    """
    history: list[str] = []
    problems: list[str] = []
    for _ in range(repairs + 1):
        prompt = PROMPTS.render(
            "planner", request=request, kind=kind, details=details, targets=sorted(TARGETS), problems=problems
        )
        plan = client.structured(prompt, Plan, agent="planner")
        problems = validate_plan(plan, kind, details)
        if not problems:
            return plan, history
        history.extend(problems)
    raise LLMResponseError(
        f"the planner model gave no valid plan after {repairs + 1} attempts: {'; '.join(problems)}"
    )
