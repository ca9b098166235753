"""The QiMeng hierarchy's agents: intake, planner, hardware/software workers, integrator, co-design
critic and report, as plain node functions the top-level graph (:mod:`graphs.qimeng`) wires up."""

from agents.planner.intake import Intake, Unclear, classify, find_target, intake_node
from agents.planner.nodes import (
    QimengContext,
    after_critic,
    approve_node,
    critic_node,
    dispatch,
    dispatch_dependents,
    integrator_node,
    join_node,
    planner_node,
)
from agents.planner.planner import llm_plan, offline_plan, validate_plan
from agents.planner.report import build_report, plot_tradeoff, report_node
from agents.planner.state import Budget, Constraints, Plan, QimengState, Task, by_agent

__all__ = [
    "Budget",
    "Constraints",
    "Intake",
    "Plan",
    "QimengContext",
    "QimengState",
    "Task",
    "Unclear",
    "after_critic",
    "approve_node",
    "build_report",
    "by_agent",
    "classify",
    "critic_node",
    "dispatch",
    "dispatch_dependents",
    "find_target",
    "intake_node",
    "integrator_node",
    "join_node",
    "llm_plan",
    "offline_plan",
    "planner_node",
    "plot_tradeoff",
    "report_node",
    "validate_plan",
]
