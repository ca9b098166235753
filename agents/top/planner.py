"""The planner: turns the request's parts (and the scenarios' critiques) into a typed task graph.

Offline, :func:`offline_plan` asks each part's scenario for its tasks: the first plan, then the
next plan its critique proposed. With an LLM, :func:`llm_plan` asks for a :class:`Plan` through
:meth:`LLMClient.structured`, checks it with :func:`validate_plan` (known targets, dependencies
that exist, no cycles), and feeds every problem back to the model for a corrected plan (at most
``repairs`` times).
"""

from __future__ import annotations

from typing import Any

from agents import scenarios  # the module, not its names: agents.scenarios imports agents.top.state
from agents.llm import LLMClient
from agents.llm_errors import LLMResponseError
from agents.prompts import PromptTemplates
from agents.top.state import Critique, Kind, Part, Plan, Task
from tools.targets import TARGETS

PROMPTS = PromptTemplates.beside(__file__)


def _own(part: Part, tasks: list[Task], prefix: bool) -> list[Task]:
    """The part's tasks marked as its own; ids (and ``uses``) prefixed when the request has parts."""

    def name(task_id: str | None) -> str | None:
        return f"{part.id}-{task_id}" if prefix and task_id is not None else task_id

    return [t.model_copy(update={"id": name(t.id), "uses": name(t.uses), "part": part.id}) for t in tasks]


def offline_plan(kind: Kind, parts: list[Part], critiques: list[Critique]) -> Plan:
    """This round's plan: every served part's first tasks (no critique yet), or the tasks each part's
    latest critique asked for. An empty task list means nothing is left to run."""
    prefix = len(parts) > 1
    latest = {c.part: c for c in critiques}
    tasks: list[Task] = []
    why: list[str] = []
    for part in parts:
        if not part.scenario:
            continue
        scenario = scenarios.get_scenario(part.scenario)
        if part.id not in latest:
            tasks += _own(part, scenario.plan(part), prefix)
            why.append(f"{part.id}: {scenario.summary}")
        elif latest[part.id].next_tasks:
            tasks += _own(part, latest[part.id].next_tasks, prefix)
            why.append(f"{part.id}: the critic's next candidates")
    return Plan.model_construct(kind=kind, tasks=tasks, rationale="; ".join(why))


def dependency_cycles(tasks: list[Task]) -> list[list[str]]:
    """Each cycle of ``uses`` edges among ``tasks``, as the ids along it (empty: the graph is acyclic)."""
    uses = {t.id: t.uses for t in tasks}
    cycles: list[list[str]] = []
    seen: set[str] = set()
    for start in uses:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in uses and node not in seen and node not in path:
            path.append(node)
            node = uses[node]
        if node is not None and node in path:
            cycles.append(path[path.index(node) :])
        seen.update(path)
    return cycles


def validate_plan(
    plan: Plan, kind: Kind, details: dict[str, Any], parts: list[Part] | None = None
) -> list[str]:
    """Everything wrong with ``plan`` for this request (and, for a request of several ``parts``, each
    part served by at least one task), as messages the model can act on."""
    problems: list[str] = []
    if parts is not None and len(parts) > 1:
        open_parts = [p for p in parts if not p.refused]
        known = {p.id for p in open_parts}
        for t in plan.tasks:
            if t.part not in known:
                problems.append(
                    f"task {t.id}: part {t.part!r} is not a part of the request; use one of {sorted(known)}"
                )
        for p in open_parts:
            if not any(t.part == p.id for t in plan.tasks):
                problems.append(f"part {p.id} ({p.text!r}) has no task")
    if kind in ("hw", "sw", "codesign") and plan.kind != kind:
        problems.append(f"plan.kind is '{plan.kind}' but the request is '{kind}'")
    ids = [t.id for t in plan.tasks]
    if len(set(ids)) != len(ids):
        problems.append(f"task ids must be unique, got {ids}")
    by_id = {t.id: t for t in plan.tasks}
    for cycle in dependency_cycles(plan.tasks):
        problems.append(f"the tasks {' -> '.join([*cycle, cycle[0]])} depend on each other in a cycle")
    for t in plan.tasks:
        if t.kind == "sw" and kind != "codesign":
            tgt = t.constraints.target
            if tgt not in TARGETS:
                problems.append(
                    f"task {t.id}: constraints.target {tgt!r} is not a known target; use one of {', '.join(sorted(TARGETS))}"
                )
        if t.uses is None:
            continue
        dep = by_id.get(t.uses)
        if dep is None or dep.kind != "hw":
            problems.append(f"task {t.id}: uses {t.uses!r}, which is not a hw task of this plan")
        elif t.kind != "sw":
            problems.append(f"task {t.id}: only software tasks run on a hardware task's model ('uses')")
    if kind == "codesign":
        for t in plan.tasks:
            if t.kind == "hw" and t.constraints.lanes is None:
                problems.append(f"task {t.id}: a co-design hw task needs constraints.lanes")
            if t.kind == "sw" and t.uses is None:
                problems.append(f"task {t.id}: a co-design sw task needs 'uses' (the hw task it runs on)")
    if kind == "hw" and not any(t.kind == "hw" for t in plan.tasks):
        problems.append("a hardware request needs at least one hw task")
    if kind == "sw" and not any(t.kind == "sw" for t in plan.tasks):
        problems.append("a software request needs at least one sw task")
    return problems


def llm_plan(
    client: LLMClient,
    request: str,
    kind: Kind,
    details: dict[str, Any],
    *,
    parts: list[Part] | None = None,
    repairs: int = 2,
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
            "planner",
            request=request,
            kind=kind,
            details=details,
            targets=sorted(TARGETS),
            parts=[p for p in parts or [] if not p.refused],
            problems=problems,
        )
        plan = client.structured(prompt, Plan, agent="planner")
        problems = validate_plan(plan, kind, details, parts)
        if not problems:
            return plan, history
        history.extend(problems)
    raise LLMResponseError(
        f"the planner model gave no valid plan after {repairs + 1} attempts: {'; '.join(problems)}"
    )
