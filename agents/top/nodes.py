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

from agents.codesign.accelerator import AcceleratorResult
from agents.codesign.critic import critique
from agents.codesign.kernel import KernelResult
from agents.codesign.request import CodesignRequest
from agents.llm import LLMClient
from agents.top.events import emit
from agents.top.planner import llm_plan, offline_plan
from agents.top.state import (
    Budget,
    Cost,
    HwOutcome,
    QimengState,
    RoundDecision,
    SwOutcome,
    WorkerInput,
    total_tokens,
    total_tool_s,
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
    """Plan this round: the request at first, then the critic's new lane counts (bottom-up feedback)."""
    rnd = state.get("round", 0) + 1
    kind, details = state["kind"], state.get("details", {})
    costs: list[Cost] = []
    feedback: list[str] = []
    if rnd == 1 and not state.get("offline", True):
        llm = runtime.context.llm if runtime.context is not None and runtime.context.llm else LLMClient()
        before, start = llm.ledger.total().total_tokens, time.monotonic()
        plan, rejected = llm_plan(llm, state["request"], kind, details)
        tokens = llm.ledger.total().total_tokens - before
        costs.append(
            Cost(agent="planner", tool="llm", tool_s=round(time.monotonic() - start, 3), tokens=tokens)
        )
        feedback += [f"planner: first plan rejected: {p}" for p in rejected]
    else:
        lanes = state["decisions"][-1].decision.next_lanes if rnd > 1 else None
        plan = offline_plan(state["request"], kind, details, lanes)
    tried = [
        *state.get("tried", []),
        *(t.constraints.lanes for t in plan.tasks if t.kind == "hw" and t.constraints.lanes),
    ]
    emit("planner", "plan", round=rnd, tasks=[t.id for t in plan.tasks])
    return {
        "plan": plan.model_dump(mode="json"),
        "round": rnd,
        "tried": tried,
        "next_round": False,
        "costs": costs,
        "feedback": feedback,
    }


def approve_node(state: QimengState) -> QimengState:
    """When ``approve`` is set, pause (interrupt) for the user's yes/no before the costly tool work."""
    if not state.get("approve"):
        return {}
    tasks = state["plan"]["tasks"]
    answer = interrupt(
        {
            "kind": "approval",
            "round": state.get("round"),
            "tasks": [f"{t['id']} ({t['kind']}): {t['spec']}" for t in tasks],
            "question": f"round {state.get('round')}: run these {len(tasks)} tasks? [y/n]",
        }
    )
    if str(answer).strip().lower() in ("y", "yes", "true", "1", "ok", "approve"):
        return {}
    return {"stop_reason": "the user declined the plan", "plan": {**state["plan"], "tasks": []}}


def _worker_input(
    state: QimengState, task: dict[str, Any], hardware: AcceleratorResult | None
) -> WorkerInput:
    return {
        "task": task,
        "offline": state.get("offline", True),
        "run_root": state["run_root"],
        "cache_root": state.get("cache_root") or state["run_root"],
        "round": state.get("round", 1),
        "details": state.get("details", {}),
        "hardware": hardware,
    }


def dispatch(state: QimengState) -> list[Send] | str:
    """Fan out this round's independent tasks (``Send``); nothing to do goes straight to the report."""
    tasks = state["plan"]["tasks"]
    sends = [Send(t["kind"], _worker_input(state, t, None)) for t in tasks if t.get("uses") is None]
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


def _accelerator(outcome: HwOutcome) -> AcceleratorResult | None:
    """The accelerator an outcome holds (co-design hardware tasks), verified; else None."""
    design = outcome.design
    return design if isinstance(design, AcceleratorResult) and design.status == "verified" else None


def dispatch_dependents(state: QimengState) -> list[Send] | str:
    """Send each software task whose accelerator is now built; when none is left, integrate."""
    built = {r.task: acc for r in _hw_round(state) if (acc := _accelerator(r)) is not None}
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


def critic_node(state: QimengState) -> QimengState:
    """Judge the results against the constraints; re-plan (new constraints) while the budget allows."""
    budget = Budget.model_validate(state.get("budget") or {})
    kind, details = state["kind"], state.get("details", {})
    if kind != "codesign":
        outcomes: list[HwOutcome | SwOutcome] = [*state.get("hw_results", []), *state.get("sw_results", [])]
        ok = all(r.status == "verified" for r in outcomes)
        return {
            "next_round": False,
            "stop_reason": state.get("stop_reason") or ("done" if ok else "not verified"),
        }
    accels = [h.design for h in state.get("hw_results", []) if isinstance(h.design, AcceleratorResult)]
    kernels = [s.design for s in state.get("sw_results", []) if isinstance(s.design, KernelResult)]
    req = CodesignRequest.model_validate(details)
    predicted = {p.lanes: p for d in state.get("decisions", []) for p in d.decision.predictions}
    rounds_left = budget.max_rounds - state.get("round", 1)
    decision = critique(accels, kernels, req, set(state.get("tried", [])), predicted, rounds_left)
    costs = state.get("costs", [])
    spent = []
    if state.get("round", 1) >= budget.max_rounds:
        spent.append(f"round budget of {budget.max_rounds} used")
    if total_tool_s(costs) >= budget.tool_s:
        spent.append(f"tool-time budget of {budget.tool_s:.0f} s used ({total_tool_s(costs):.0f} s)")
    if total_tokens(costs) >= budget.tokens > 0:
        spent.append(f"token budget of {budget.tokens} used ({total_tokens(costs)})")
    again = bool(decision.next_lanes) and not spent
    if again:
        reason = (
            f"re-plan: try lanes {decision.next_lanes}, predicted to fit and to beat the best measured design"
        )
    elif decision.next_lanes:
        reason = f"stopped with candidates left untried ({decision.next_lanes}): " + "; ".join(spent)
    elif decision.chosen is None:
        reason = "no verified design fits the budget: " + decision.stop
    else:
        reason = "converged: " + decision.stop
    emit(
        "critic", "decision", round=state.get("round"), chosen=decision.chosen, next_lanes=decision.next_lanes
    )
    return {
        "decisions": [RoundDecision(round=state.get("round", 1), decision=decision)],
        "next_round": again,
        "stop_reason": reason,
        "feedback": [f"critic: {reason}"],
    }


def after_critic(state: QimengState) -> str:
    """Loop to the planner when the critic re-planned, else write the report."""
    return "planner" if state.get("next_round") else "report"
