"""What travels through the top-level QiMeng graph: tasks, plans, budgets, published results.

The agents' results are typed (:class:`HwOutcome` wraps an :class:`HwDesign`, :class:`SwOutcome` an
:class:`SwDesign` or a co-design result, :class:`Cost`, a scenario's :class:`Critique`), validated
once where a worker publishes them. The checkpointer stores them through LangGraph's serializer;
:data:`CHECKPOINTED` lists every model class that may sit in a checkpoint (the serializer's
allow-list, see :mod:`graphs.session`).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, Field, computed_field

from agents.codesign.accelerator import AcceleratorResult
from agents.codesign.critic import Decision
from agents.codesign.kernel import KernelResult
from agents.codesign.offload import OffloadRun
from agents.hw.design import HwDesign
from agents.hw.request import HwRequest
from agents.hw.state import Candidate, Reference
from agents.sw.design import SwDesign
from tools.evidence import Attempt

Kind = Literal["hw", "sw", "codesign", "compound", "free-form"]
TaskKind = Literal["hw", "sw"]


class Constraints(BaseModel):
    """Top-down constraints handed to an agent with its task."""

    area_budget: int | None = Field(None, gt=0, description="Area budget in Yosys cells (hardware).")
    target: str | None = Field(
        None, description="Target ISA of a software task: x86_64, aarch64, riscv64, cuda."
    )
    speed_goal: str | None = Field(None, description="What to optimise, e.g. 'fewest cycles'.")
    lanes: int | None = Field(None, ge=1, description="Accelerator lane count (co-design hardware tasks).")
    width: int | None = Field(
        None, ge=1, description="Input width in bits of an offload unit (and its kernel)."
    )
    tuning: int | None = Field(
        None, ge=1, le=64, description="Tuner candidates for a kernel (default: the agent's own)."
    )
    vlen: int | None = Field(None, description="RVV vector length in bits to re-check a riscv64 kernel at.")


class Task(BaseModel):
    """One unit of work for the hardware or software agent."""

    id: str = Field(description="Unique within the thread, e.g. 'hw-1' or 'gemm-on-acc8'.")
    kind: TaskKind = Field(description="'hw' goes to the hardware subgraph, 'sw' to the software one.")
    spec: str = Field(min_length=1, description="The request text the agent receives.")
    constraints: Constraints = Field(default_factory=Constraints)
    uses: str | None = Field(None, description="Id of a hardware task whose result this task runs on.")
    part: str = Field("p1", description="Id of the request part (and so the scenario) it serves.")


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

    agent: str = Field(description="Who spent it: planner, hardware, software, ...")
    tool: str = Field("", description="The task id or tool it was spent on.")
    tool_s: float = Field(0.0, description="Tool wall seconds (counted only when not cached).")
    tokens: int = Field(0, description="LLM tokens.")
    cached: bool = Field(False, description="The result came from the tool cache.")


class HwOutcome(BaseModel):
    """What the hardware worker published for one task of one round."""

    task: str = Field(description="Task id.")
    round: int = Field(description="Planner round it belongs to.")
    tool_s: float = Field(0.0, description="Tool seconds the design took when it was computed.")
    within_budget: bool = Field(True, description="Its cells are within the task's area budget (or none).")
    design: AcceleratorResult | HwDesign = Field(
        description="The block (an accelerator for co-design tasks)."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        """The design's status (derived from its evidence)."""
        return self.design.status


class SwOutcome(BaseModel):
    """What the software worker published for one task of one round (or why it did not run)."""

    task: str = Field(description="Task id.")
    round: int = Field(description="Planner round it belongs to.")
    tool_s: float = Field(0.0, description="Tool seconds the design took when it was computed.")
    design: KernelResult | OffloadRun | SwDesign | None = Field(
        None, description="The kernel for a target, or the GEMM on an accelerator; None when skipped."
    )
    skipped: str = Field(
        "", description="Why it did not run (its hardware is not verified); empty when it ran."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        """'skipped' when it did not run, else the design's status (derived from its evidence)."""
        return "skipped" if self.design is None else self.design.status


class Part(BaseModel):
    """One part of a request: its words, the scenario that serves it, or why it is refused."""

    id: str = Field(description="'p1', 'p2', ... in the order of the request.")
    text: str = Field(description="The words of the request this part covers.")
    scenario: str = Field("", description="Registry key of the scenario serving it; empty when refused.")
    details: dict[str, Any] = Field(default_factory=dict, description="What the scenario read from the text.")
    refused: str = Field("", description="Why no agent takes this part (empty when one does).")


class Critique(BaseModel):
    """A scenario's decision after one round: the next plan, or stop with the reasons."""

    part: str = Field(description="Part id it judges.")
    round: int = Field(description="Planner round it judged.")
    done: bool = Field(description="The part has a verified result that meets its goal.")
    chosen: str | None = Field(None, description="The design it picked, in words (None: nothing).")
    reasons: list[str] = Field(default_factory=list, description="Why, one line each.")
    next_tasks: list[Task] = Field(default_factory=list, description="The next round's plan (empty: stop).")
    stop: str = Field("", description="Why the search ends here (empty while it continues).")
    lanes: Decision | None = Field(None, description="The co-design critic's lane decision (dot-product).")
    table: list[dict[str, str | int | float | bool]] = Field(
        default_factory=list, description="Rows for the report's comparison table (column -> cell)."
    )


def total_tool_s(costs: list[Cost]) -> float:
    """Tool seconds spent so far (cache hits count zero)."""
    return sum(c.tool_s for c in costs if not c.cached)


def total_tokens(costs: list[Cost]) -> int:
    """LLM tokens spent so far."""
    return sum(c.tokens for c in costs)


def by_agent(costs: list[Cost]) -> dict[str, dict[str, float]]:
    """Per-agent totals: steps, cache hits, tool seconds and tokens."""
    out: dict[str, dict[str, float]] = {}
    for c in costs:
        row = out.setdefault(c.agent, {"steps": 0, "cached": 0, "tool_s": 0.0, "tokens": 0})
        row["steps"] += 1
        row["cached"] += 1 if c.cached else 0
        row["tool_s"] += 0.0 if c.cached else c.tool_s
        row["tokens"] += c.tokens
    return out


class QimengState(TypedDict, total=False):
    """State of one QiMeng thread. Lists marked ``operator.add`` merge the parallel workers' results.

    Inputs: ``request``, ``offline``, ``run_root`` (where artifacts go), ``cache_root`` (where the tool cache
    goes; default ``run_root``, shared by a session's threads), ``approve``
    (ask before costly steps), ``budget`` (a :class:`Budget` dict). Then what the nodes fill in;
    ``refinement`` is the user's free-text answer at the last approval (empty when they said yes or
    no): the request is read and planned again with it.
    """

    request: str
    offline: bool
    run_root: str
    cache_root: str
    approve: bool
    refinement: str
    budget: dict[str, Any]
    kind: Kind
    details: dict[str, Any]
    plan: dict[str, Any]
    round: int
    hw_results: Annotated[list[HwOutcome], operator.add]
    sw_results: Annotated[list[SwOutcome], operator.add]
    costs: Annotated[list[Cost], operator.add]
    feedback: Annotated[list[str], operator.add]
    parts: list[Part]
    critiques: Annotated[list[Critique], operator.add]
    task_parts: Annotated[dict[str, str], operator.or_]
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
    hardware: HwDesign | None
    software: SwDesign | None
    part: Part | None


CHECKPOINTED: tuple[type[BaseModel], ...] = (
    Cost,
    HwOutcome,
    SwOutcome,
    AcceleratorResult,
    HwDesign,
    SwDesign,
    Part,
    Critique,
    # the agents' subgraphs run inside the workers and checkpoint their own state with the thread's saver
    HwRequest,
    Candidate,
    Reference,
    Attempt,
)
"""Model classes that sit at the top of a checkpointed value (state lists, ``Send`` payloads, the
hardware and software subgraphs' states)."""
