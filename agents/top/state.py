"""What travels through the top-level QiMeng graph: tasks, plans, budgets, published results.

State values are plain JSON-able dicts and lists (so a checkpoint written by one process reads back
in another); the pydantic models here validate them at the node boundaries.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field

Kind = Literal["hw", "sw", "codesign"]
TaskKind = Literal["hw", "sw"]


class Constraints(BaseModel):
    """Top-down constraints handed to an agent with its task."""

    area_budget: int | None = Field(None, gt=0, description="Area budget in Yosys cells (hardware).")
    target: str | None = Field(
        None, description="Target ISA of a software task: x86_64, aarch64, riscv64, cuda."
    )
    speed_goal: str | None = Field(None, description="What to optimise, e.g. 'fewest cycles'.")
    lanes: int | None = Field(None, ge=1, description="Accelerator lane count (co-design hardware tasks).")


class Task(BaseModel):
    """One unit of work for the hardware or software agent."""

    id: str = Field(description="Unique within the thread, e.g. 'hw-1' or 'gemm-on-acc8'.")
    kind: TaskKind = Field(description="'hw' goes to the hardware subgraph, 'sw' to the software one.")
    spec: str = Field(min_length=1, description="The request text the agent receives.")
    constraints: Constraints = Field(default_factory=Constraints)
    uses: str | None = Field(None, description="Id of a hardware task whose result this task runs on.")


class Plan(BaseModel):
    """The planner's decomposition of a request (the schema the LLM planner must answer in)."""

    kind: Kind = Field(description="'hw' (circuit only), 'sw' (kernel only) or 'codesign' (both, coupled).")
    tasks: list[Task] = Field(min_length=1, description="Tasks of this round.")
    rationale: str = Field("", description="One or two sentences: why this decomposition.")


class Budget(BaseModel):
    """Bounds of the co-design loop; the run ends with an honest report when one is spent."""

    max_rounds: int = Field(3, ge=1, le=10, description="Planner rounds (first plan plus re-plans).")
    tool_s: float = Field(900.0, gt=0, description="Tool time in seconds over the whole thread.")
    tokens: int = Field(50_000, ge=0, description="LLM tokens over the whole thread.")


class Cost(BaseModel):
    """One accounting entry: what an agent spent on one step."""

    agent: str
    tool: str = ""
    tool_s: float = 0.0
    tokens: int = 0
    cached: bool = False


def total_tool_s(costs: list[dict[str, Any]]) -> float:
    """Tool seconds spent so far (cache hits count zero)."""
    return sum(float(c.get("tool_s", 0.0)) for c in costs if not c.get("cached"))


def total_tokens(costs: list[dict[str, Any]]) -> int:
    """LLM tokens spent so far."""
    return sum(int(c.get("tokens", 0)) for c in costs)


def by_agent(costs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per-agent totals: steps, cache hits, tool seconds and tokens."""
    out: dict[str, dict[str, float]] = {}
    for c in costs:
        row = out.setdefault(c["agent"], {"steps": 0, "cached": 0, "tool_s": 0.0, "tokens": 0})
        row["steps"] += 1
        row["cached"] += 1 if c.get("cached") else 0
        row["tool_s"] += 0.0 if c.get("cached") else float(c.get("tool_s", 0.0))
        row["tokens"] += int(c.get("tokens", 0))
    return out


class QimengState(TypedDict, total=False):
    """State of one QiMeng thread. Lists marked ``operator.add`` merge the parallel workers' results.

    Inputs: ``request``, ``offline``, ``run_root`` (where artifacts go), ``cache_root`` (where the tool cache
    goes; default ``run_root``, shared by a session's threads), ``approve``
    (ask before costly steps), ``budget`` (a :class:`Budget` dict). Then what the nodes fill in.
    """

    request: str
    offline: bool
    run_root: str
    cache_root: str
    approve: bool
    budget: dict[str, Any]
    kind: Kind
    details: dict[str, Any]
    plan: dict[str, Any]
    round: int
    tried: list[int]
    hw_results: Annotated[list[dict[str, Any]], operator.add]
    sw_results: Annotated[list[dict[str, Any]], operator.add]
    costs: Annotated[list[dict[str, Any]], operator.add]
    feedback: Annotated[list[str], operator.add]
    decisions: Annotated[list[dict[str, Any]], operator.add]
    next_round: bool
    stop_reason: str
    status: str
    report: dict[str, Any]


class WorkerInput(TypedDict):
    """What a ``Send`` hands one worker: its task plus the thread context it needs."""

    task: dict[str, Any]
    offline: bool
    run_root: str
    cache_root: str
    round: int
    details: dict[str, Any]
    hardware: dict[str, Any] | None
