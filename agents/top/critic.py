"""The critic node: each part's scenario judges its results (bottom-up feedback) and plans the next
round or says why it stops; the thread's budget (rounds, tool time, tokens) can end the loop early."""

from __future__ import annotations

from agents import scenarios  # the module, not its names: agents.scenarios imports agents.top.state
from agents.top.events import emit
from agents.top.state import (
    Budget,
    Critique,
    HwOutcome,
    Part,
    QimengState,
    SwOutcome,
    total_tokens,
    total_tool_s,
)


def part_results(state: QimengState, part: Part) -> scenarios.PartResults:
    """The outcomes of ``part``'s tasks over all rounds (the planner records which part each task
    serves; a request of one part owns every task)."""
    many = len(state.get("parts", [])) > 1
    owner = state.get("task_parts", {})

    def mine(task: str) -> bool:
        return not many or owner.get(task) == part.id

    return scenarios.PartResults(
        hw=[h for h in state.get("hw_results", []) if mine(h.task)],
        sw=[s for s in state.get("sw_results", []) if mine(s.task)],
    )


def _free_form(part: Part, results: scenarios.PartResults, rnd: int) -> Critique:
    """A part no scenario serves (the LLM planned it): done when every result is verified."""
    outcomes: list[HwOutcome | SwOutcome] = [*results.hw, *results.sw]
    ok = bool(outcomes) and all(o.status == "verified" for o in outcomes)
    reasons = [f"{o.task}: {o.status}" for o in outcomes] or ["no task ran"]
    stop = "every planned task verified" if ok else "not every planned task is verified"
    return Critique(part=part.id, round=rnd, done=ok, reasons=reasons, stop=stop)


def spent(state: QimengState, budget: Budget) -> list[str]:
    """Which of the thread's budgets are used up."""
    costs = state.get("costs", [])
    out = []
    if state.get("round", 1) >= budget.max_rounds:
        out.append(f"round budget of {budget.max_rounds} used")
    if total_tool_s(costs) >= budget.tool_s:
        out.append(f"tool-time budget of {budget.tool_s:.0f} s used ({total_tool_s(costs):.0f} s)")
    if total_tokens(costs) >= budget.tokens > 0:
        out.append(f"token budget of {budget.tokens} used ({total_tokens(costs)})")
    return out


def _untried(c: Critique) -> str:
    return str(c.lanes.next_lanes if c.lanes is not None else [t.id for t in c.next_tasks])


def critic_node(state: QimengState) -> QimengState:
    """Ask each open part's scenario to judge its results; loop while one re-plans and budget is left."""
    budget = Budget.model_validate(state.get("budget") or {})
    rnd = state.get("round", 1)
    history = state.get("critiques", [])
    used = spent(state, budget)
    judged: list[Critique] = []
    for part in state.get("parts", []):
        earlier = [c for c in history if c.part == part.id]
        if part.refused or (earlier and not earlier[-1].next_tasks):
            continue
        results = part_results(state, part)
        if part.scenario:
            scenario = scenarios.get_scenario(part.scenario)
            judged.append(scenario.critique(part, results, earlier, budget.max_rounds - rnd))
        else:
            judged.append(_free_form(part, results, rnd))
    again = any(c.next_tasks for c in judged) and not used
    lines = []
    for c in judged:
        if c.next_tasks and again:
            what = f"lanes {c.lanes.next_lanes}" if c.lanes is not None else _untried(c)
            lines.append(f"re-plan: try {what}, predicted to fit and to beat the best measured design")
        elif c.next_tasks:
            lines.append(f"stopped with candidates left untried ({_untried(c)}): " + "; ".join(used))
        elif c.chosen is None and c.lanes is not None:
            lines.append("no verified design fits the budget: " + c.stop)
        elif c.done:
            lines.append(
                f"converged: {c.stop}" if c.lanes is not None else "done" + (f": {c.stop}" if c.stop else "")
            )
        else:
            lines.append("not done: " + c.stop)
    parts = len(state.get("parts", []))
    tagged = [f"{c.part}: {line}" if parts > 1 else line for c, line in zip(judged, lines, strict=True)]
    reason = "; ".join(tagged) or "nothing to judge"
    emit("critic", "decision", round=rnd, parts=[c.part for c in judged], again=again)
    return {
        "critiques": judged,
        "next_round": again,
        "stop_reason": reason,
        "feedback": [f"critic: {line}" for line in tagged],
    }
