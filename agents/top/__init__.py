"""The top level of the QiMeng hierarchy: intake, planner, approval, integrator, critic, report and
events, as plain node functions the top-level graph (:mod:`graphs.qimeng`) wires up."""

from agents.top.critic import critic_node
from agents.top.intake import Intake, Unclear, classify, intake_node
from agents.top.nodes import (
    QimengContext,
    after_approval,
    after_critic,
    approve_node,
    dispatch,
    dispatch_dependents,
    integrator_node,
    join_node,
    planner_node,
)
from agents.top.planner import dependency_cycles, llm_plan, offline_plan, validate_plan
from agents.top.report import build_report, report_node
from agents.top.state import Budget, Constraints, Plan, QimengState, Task, by_agent

__all__ = [
    "Budget",
    "Constraints",
    "Intake",
    "Plan",
    "QimengContext",
    "QimengState",
    "Task",
    "Unclear",
    "after_approval",
    "after_critic",
    "approve_node",
    "build_report",
    "by_agent",
    "classify",
    "critic_node",
    "dependency_cycles",
    "dispatch",
    "dispatch_dependents",
    "intake_node",
    "integrator_node",
    "join_node",
    "llm_plan",
    "offline_plan",
    "planner_node",
    "report_node",
    "validate_plan",
]
