"""The top-level graph's node functions (``(state) -> partial state``) and its routing functions.

planner -> approve -> Send(hw | sw) -> join -> Send(sw on each built accelerator) -> join ->
integrator -> critic -> planner again (re-plan from the critic's constraints) or report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Send, interrupt

from agents.codesign.kernel import KernelResult
from agents.hw.design import HwDesign
from agents.llm import LLMClient
from agents.sw.design import SwDesign
from agents.top.events import emit
from agents.top.planner import llm_plan, offline_plan
from agents.top.state import (
    Cost,
    HwOutcome,
    Part,
    QimengState,
    SwOutcome,
    WorkerInput,
)
from tools.executor import Executor


@dataclass
class QimengContext:
    """Run-time objects the graph needs but never checkpoints: the LLM client (None: offline) and the
    executor the workers' tool calls go to (None: in this process)."""

    llm: LLMClient | None = None
    executor: Executor | None = None


def _hw_round(state: QimengState) -> list[HwOutcome]:
    return [r for r in state.get("hw_results", []) if r.round == state.get("round")]


def _sw_round(state: QimengState) -> list[SwOutcome]:
    return [r for r in state.get("sw_results", []) if r.round == state.get("round")]


def planner_node(state: QimengState, runtime: Runtime[QimengContext]) -> QimengState:
    """Plan this round: each part's scenario at first (the LLM for the whole request when one is
    configured), then the next tasks the parts' critiques asked for (bottom-up feedback)."""
    rnd = state.get("round", 0) + 1
    kind, details = state["kind"], state.get("details", {})
    costs: list[Cost] = []
    feedback: list[str] = []
    llm = runtime.context.llm if runtime.context is not None else None
    if rnd == 1 and not state.get("offline", True) and llm is not None:
        # a thread started with an LLM and resumed offline (no client on the context) plans offline
        before, start = llm.ledger.total().total_tokens, time.monotonic()
        plan, rejected = llm_plan(llm, state["request"], kind, details, parts=state.get("parts", []))
        tokens = llm.ledger.total().total_tokens - before
        costs.append(
            Cost(agent="planner", tool="llm", tool_s=round(time.monotonic() - start, 3), tokens=tokens)
        )
        feedback += [f"planner: first plan rejected: {p}" for p in rejected]
    else:
        plan = offline_plan(kind, state.get("parts", []), state.get("critiques", []))
    emit("planner", "plan", round=rnd, tasks=[t.id for t in plan.tasks])
    return {
        "plan": plan.model_dump(mode="json"),
        "round": rnd,
        "task_parts": {t.id: t.part for t in plan.tasks},
        "next_round": False,
        "costs": costs,
        "feedback": feedback,
    }


APPROVALS = ("y", "yes", "true", "1", "ok", "approve")
"""Answers that run the plan as shown."""
DECLINES = ("n", "no", "false", "0", "decline", "stop", "cancel")
"""Answers that decline it (the thread stops)."""


def approve_node(state: QimengState) -> QimengState:
    """When ``approve`` is set, pause (interrupt) for the user's answer before the costly tool work.

    Yes (:data:`APPROVALS`) runs the plan; no (:data:`DECLINES`) stops the thread; anything else is a
    refinement of the request ("make it 12 bits wide instead"): it is added to the request, which
    :func:`after_approval` sends back to intake, so the plan is made again and asked again.
    """
    if not state.get("approve"):
        return {"refinement": ""}
    tasks = state["plan"]["tasks"]
    answer = interrupt(
        {
            "kind": "approval",
            "round": state.get("round"),
            "tasks": [f"{t['id']} ({t['kind']}): {t['spec']}" for t in tasks],
            "question": f"round {state.get('round')}: run these {len(tasks)} tasks? "
            "[y/n, or say what to change]",
        }
    )
    said = str(answer or "").strip()
    if said.lower() in APPROVALS:
        return {"refinement": ""}
    if not said or said.lower() in DECLINES:
        return {
            "refinement": "",
            "stop_reason": "the user declined the plan",
            "plan": {**state["plan"], "tasks": []},
        }
    emit("approve", "refined", text=said)
    return {"refinement": said, "request": f"{state.get('request', '')}\n{said}"}


def after_approval(state: QimengState) -> list[Send] | str:
    """Route after an approval: a refinement goes back to intake (planned again), else :func:`dispatch`."""
    return "intake" if state.get("refinement") else dispatch(state)


def _details(state: QimengState, task: dict[str, Any]) -> dict[str, Any]:
    """What the task's part read from the request (the whole request's details for free-form plans)."""
    part = _part(state, task)
    return part.details if part is not None and part.scenario else state.get("details", {})


def _part(state: QimengState, task: dict[str, Any]) -> Part | None:
    """The request part the task serves."""
    return next((p for p in state.get("parts", []) if p.id == task.get("part")), None)


def _worker_input(
    state: QimengState, task: dict[str, Any], hardware: HwDesign | None, software: SwDesign | None = None
) -> WorkerInput:
    return {
        "task": task,
        "offline": state.get("offline", True),
        "run_root": state["run_root"],
        "cache_root": state.get("cache_root") or state["run_root"],
        "round": state.get("round", 1),
        "details": _details(state, task),
        "hardware": hardware,
        "software": software,
        "part": _part(state, task),
    }


def dispatch(state: QimengState) -> list[Send] | str:
    """Fan out this round's independent tasks (``Send``); nothing to do goes straight to the report."""
    tasks = state["plan"]["tasks"]
    sends = [Send(t["kind"], _worker_input(state, t, None)) for t in tasks if t.get("uses") is None]
    # a task that uses a kernel verified in an earlier round (a re-check on other hardware) runs now
    earlier = {s.task: s.design for s in state.get("sw_results", []) if s.status == "verified"}
    for t in tasks:
        kernel = earlier.get(t.get("uses") or "")
        if isinstance(kernel, SwDesign):
            sends.append(Send("sw", _worker_input(state, t, None, kernel)))
    return sends or "report"


def join_node(state: QimengState) -> QimengState:
    """Merge point after each fan-out; marks software tasks whose hardware failed as skipped."""
    hw = {r.task: r for r in _hw_round(state)}
    done = {r.task for r in _sw_round(state)}
    skipped = []
    for t in state["plan"]["tasks"]:
        dep = hw.get(t.get("uses") or "")
        if dep is not None and t["id"] not in done and dep.status != "verified":
            why = f"hardware {dep.task} not verified"
            skipped.append(SwOutcome(task=t["id"], round=state.get("round", 1), skipped=why))
    return {"sw_results": skipped} if skipped else {}


def _verified(outcome: HwOutcome) -> HwDesign | None:
    """The block an outcome holds when its evidence is verified; else None."""
    return outcome.design if outcome.status == "verified" else None


def dispatch_dependents(state: QimengState) -> list[Send] | str:
    """Send each software task whose hardware is now built and verified; when none is left, integrate."""
    built = {r.task: hw for r in _hw_round(state) if (hw := _verified(r)) is not None}
    done = {r.task for r in _sw_round(state)}
    sends = [
        Send("sw", _worker_input(state, t, built[t["uses"]]))
        for t in state["plan"]["tasks"]
        if t.get("uses") in built and t["id"] not in done
    ]
    return sends or "integrator"


def integrator_node(state: QimengState) -> QimengState:
    """Collect what the agents published this round into feedback lines (bottom-up)."""
    lines = []
    for h in _hw_round(state):
        lines.append(
            f"hardware {h.task}: {h.status}, {h.design.cells} cells, depth {h.design.logic_depth}"
            + ("" if h.within_budget else " (over the area budget)")
        )
    for s in _sw_round(state):
        line = f"software {s.task}: {s.status}"
        if isinstance(s.design, KernelResult):
            k = s.design
            if k.cycles:
                line += f", {k.cycles} cycles, {k.utilization:.0%} lane utilization"
            if k.bottleneck:
                line += f"; bottleneck: {k.bottleneck}"
            if k.requests:
                line += f"; asks for: {', '.join(k.requests)}"
        if s.skipped:
            line += f" ({s.skipped})"
        lines.append(line)
    emit("integrator", "round", round=state.get("round"), results=len(lines))
    return {"feedback": lines}


def after_critic(state: QimengState) -> str:
    """Loop to the planner when the critic re-planned, else write the report."""
    return "planner" if state.get("next_round") else "report"
