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
from agents.llm import LLMClient
from agents.top.events import emit
from agents.top.planner import llm_plan, offline_plan
from agents.top.state import Budget, QimengState, WorkerInput, total_tokens, total_tool_s
from tools.executor import Executor


@dataclass
class QimengContext:
    """Run-time objects the graph needs but never checkpoints: the LLM client (None: offline) and the
    executor the workers' tool calls go to (None: in this process)."""

    llm: LLMClient | None = None
    executor: Executor | None = None


def _round(state: QimengState, key: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = state.get(key, [])  # type: ignore[assignment]
    return [r for r in results if r.get("round") == state.get("round")]


def planner_node(state: QimengState, runtime: Runtime[QimengContext]) -> QimengState:
    """Plan this round: the request at first, then the critic's new lane counts (bottom-up feedback)."""
    rnd = state.get("round", 0) + 1
    kind, details = state["kind"], state.get("details", {})
    costs: list[dict[str, Any]] = []
    feedback: list[str] = []
    if rnd == 1 and not state.get("offline", True):
        llm = runtime.context.llm if runtime.context is not None and runtime.context.llm else LLMClient()
        before, start = llm.ledger.total().total_tokens, time.monotonic()
        plan, rejected = llm_plan(llm, state["request"], kind, details)
        tokens = llm.ledger.total().total_tokens - before
        costs.append(
            {
                "agent": "planner",
                "tool": "llm",
                "tool_s": round(time.monotonic() - start, 3),
                "tokens": tokens,
            }
        )
        feedback += [f"planner: first plan rejected: {p}" for p in rejected]
    else:
        lanes = state["decisions"][-1]["next_lanes"] if rnd > 1 else None
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


def _worker_input(state: QimengState, task: dict[str, Any], hardware: dict[str, Any] | None) -> WorkerInput:
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
    hw = {r["task"]: r for r in _round(state, "hw_results")}
    done = {r["task"] for r in _round(state, "sw_results")}
    skipped = []
    for t in state["plan"]["tasks"]:
        dep = hw.get(t.get("uses") or "")
        if dep is not None and t["id"] not in done and dep.get("status") != "verified":
            why = f"hardware {dep['task']} not verified"
            skipped.append({"task": t["id"], "round": state.get("round"), "status": "skipped", "why": why})
    return {"sw_results": skipped} if skipped else {}


def dispatch_dependents(state: QimengState) -> list[Send] | str:
    """Send each software task whose accelerator is now built; when none is left, integrate."""
    hw = {r["task"]: r for r in _round(state, "hw_results")}
    done = {r["task"] for r in _round(state, "sw_results")}
    sends = [
        Send("sw", _worker_input(state, t, hw[t["uses"]]))
        for t in state["plan"]["tasks"]
        if t.get("uses") in hw and t["id"] not in done and hw[t["uses"]].get("status") == "verified"
    ]
    return sends or "integrator"


def integrator_node(state: QimengState) -> QimengState:
    """Collect what the agents published this round into feedback lines (bottom-up)."""
    lines = []
    for h in _round(state, "hw_results"):
        lines.append(
            f"hardware {h['task']}: {h['status']}, {h.get('cells', 0)} cells, depth {h.get('logic_depth', 0)}"
            + ("" if h.get("within_budget", True) else " (over the area budget)")
        )
    for s in _round(state, "sw_results"):
        line = f"software {s['task']}: {s['status']}"
        if s.get("cycles"):
            line += f", {s['cycles']} cycles, {float(s.get('utilization', 0)):.0%} lane utilization"
        if s.get("bottleneck"):
            line += f"; bottleneck: {s['bottleneck']}"
        if s.get("requests"):
            line += f"; asks for: {', '.join(s['requests'])}"
        if s.get("why"):
            line += f" ({s['why']})"
        lines.append(line)
    emit("integrator", "round", round=state.get("round"), results=len(lines))
    return {"feedback": lines}


def critic_node(state: QimengState) -> QimengState:
    """Judge the results against the constraints; re-plan (new constraints) while the budget allows."""
    budget = Budget.model_validate(state.get("budget") or {})
    kind, details = state["kind"], state.get("details", {})
    if kind != "codesign":
        ok = all(
            r.get("status") == "verified" for r in state.get("hw_results", []) + state.get("sw_results", [])
        )
        return {
            "next_round": False,
            "stop_reason": state.get("stop_reason") or ("done" if ok else "not verified"),
        }
    accels = [
        AcceleratorResult.model_validate({k: v for k, v in h.items() if k in AcceleratorResult.model_fields})
        for h in state.get("hw_results", [])
    ]
    kernels = [
        KernelResult.model_validate({k: v for k, v in s.items() if k in KernelResult.model_fields})
        for s in state.get("sw_results", [])
        if s.get("status") != "skipped"
    ]
    decision = critique(
        accels, kernels, int(details["area_budget"]), int(details["k"]), set(state.get("tried", []))
    )
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
        reason = f"re-plan: try lanes {decision.next_lanes} (the kernel asks for lane counts that divide K={details['k']})"
    elif decision.next_lanes:
        reason = f"stopped with candidates left untried ({decision.next_lanes}): " + "; ".join(spent)
    elif decision.chosen is None:
        reason = "no verified design fits the budget"
    else:
        reason = "converged: no untried lane count is predicted to do better within the budget"
    emit(
        "critic", "decision", round=state.get("round"), chosen=decision.chosen, next_lanes=decision.next_lanes
    )
    return {
        "decisions": [{**decision.model_dump(mode="json"), "round": state.get("round")}],
        "next_round": again,
        "stop_reason": reason,
        "feedback": [f"critic: {reason}"],
    }


def after_critic(state: QimengState) -> str:
    """Loop to the planner when the critic re-planned, else write the report."""
    return "planner" if state.get("next_round") else "report"
