"""The top-level QiMeng graph, wiring only (nodes live in :mod:`agents.top`):

    intake -> planner -> approve --Send--> hw / sw -> join --Send--> sw (on each built block) -> join
                 ^                                                                      |
                 '---------- critic (re-plan from bottom-up feedback) <- integrator <---'
                                 '--> report -> END
    approve --a free-text answer (a refinement)--> intake (the plan is made again and asked again)

``inputs`` runs first: defaults (where artifacts go) for a run started with only a request.

``graph`` (module level) is what ``langgraph.json`` serves to ``langgraph dev``.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from agents.top import (
    QimengContext,
    QimengState,
    after_approval,
    after_critic,
    approve_node,
    critic_node,
    dispatch_dependents,
    intake_node,
    integrator_node,
    join_node,
    planner_node,
    report_node,
)
from agents.top.inputs import inputs_node
from graphs.workers import hw_worker, sw_worker


def build_qimeng_graph(checkpointer: Any = None) -> Any:
    """The compiled top-level graph; invoke with ``{"request", "run_root", "offline", "approve", "budget"}``
    and ``context=QimengContext(llm=...)``, and a ``thread_id`` when a checkpointer is given."""
    g = StateGraph(QimengState, context_schema=QimengContext)
    g.add_node("inputs", inputs_node)
    g.add_node("intake", intake_node)
    g.add_node("planner", planner_node)
    g.add_node("approve", approve_node)
    g.add_node("hw", hw_worker)
    g.add_node("sw", sw_worker)
    g.add_node("join", join_node)
    g.add_node("integrator", integrator_node)
    g.add_node("critic", critic_node)
    g.add_node("report", report_node)
    g.add_edge(START, "inputs")
    g.add_edge("inputs", "intake")
    g.add_edge("intake", "planner")
    g.add_edge("planner", "approve")
    g.add_conditional_edges("approve", after_approval, ["hw", "sw", "report", "intake"])
    g.add_edge("hw", "join")
    g.add_edge("sw", "join")
    g.add_conditional_edges("join", dispatch_dependents, ["sw", "integrator"])
    g.add_edge("integrator", "critic")
    g.add_conditional_edges("critic", after_critic, {"planner": "planner", "report": "report"})
    g.add_edge("report", END)
    return g.compile(checkpointer=checkpointer)


graph = build_qimeng_graph()
