"""The workers a ``Send`` fans out to: they run the hardware and software agents through their front
doors (:func:`graphs.hw.design_block`, :func:`graphs.sw.design_kernel`), one task each.

Each publishes what it did bottom-up (hardware: interface, area, depth; software: cycles or speed,
bottlenecks, requests for hardware features) plus an accounting entry; results are cached by a hash
of the task input so finished tool work is never repeated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from langgraph.runtime import Runtime

from agents.codesign.accelerator import AcceleratorResult, accelerator_spec
from agents.codesign.kernel import KernelResult
from agents.codesign.offload import OffloadRun
from agents.hw.nodes import Roles
from agents.roles import HW_AGENTS, SW_AGENTS, AgentRoles, build_roles
from agents.scenarios import get_scenario
from agents.sw.design import SwDesign
from agents.top.events import emit
from agents.top.nodes import QimengContext
from agents.top.state import Cost, HwOutcome, QimengState, SwOutcome, Task, WorkerInput
from graphs.cache import ToolCache, cache_key
from graphs.hw import design_block
from graphs.sw import design_kernel
from tools.executor import Executor, use_executor
from tools.metrics import record_task_finished, record_task_started
from tools.tracing import span

Outcome = TypeVar("Outcome", HwOutcome, SwOutcome)


def _cached(
    agent: str, inp: WorkerInput, key_payload: Any, work: Callable[[Task], Outcome], kind: type[Outcome]
) -> tuple[Outcome, Cost]:
    """Run ``work`` on the task (or take its outcome from the tool cache); the outcome is validated
    here, once, and published typed."""
    task = Task.model_validate(inp["task"])
    cache = ToolCache(inp["cache_root"])
    key = cache_key(agent, key_payload)
    hit = cache.get(key)
    if hit is not None:
        cached = kind.model_validate(hit).model_copy(update={"task": task.id, "round": inp["round"]})
        emit(agent, "cached", task=task.id)
        return cached, Cost(agent=agent, tool=task.id, tool_s=cached.tool_s, cached=True)
    emit(agent, "start", task=task.id, spec=task.spec)
    metric, target = ("hw_design" if agent == "hardware" else "sw_design"), task.constraints.target or "none"
    record_task_started(metric, target)
    start = time.monotonic()
    with span(f"invoke_agent {agent}", {"gen_ai.agent.name": agent, "qimeng.task": task.id}):
        try:
            result = work(task)
        except Exception:
            record_task_finished(metric, target, "error")
            raise
    record_task_finished(metric, target, "pass" if result.status == "verified" else "fail")
    result = result.model_copy(update={"tool_s": round(time.monotonic() - start, 3)})
    if result.status == "verified":
        # only verified work is reused: a failure may come from the environment and deserves a rerun
        cache.put(key, result.model_dump(mode="json"))
    emit(agent, "done", task=task.id, status=result.status, tool_s=result.tool_s)
    return result, Cost(agent=agent, tool=task.id, tool_s=result.tool_s)


def _roles(inp: WorkerInput, runtime: Runtime[QimengContext]) -> AgentRoles:
    """Offline roles for an offline thread; else the roles on the context's LLM client."""
    llm = runtime.context.llm if runtime.context is not None and not inp["offline"] else None
    return build_roles(llm)


def _executor(runtime: Runtime[QimengContext]) -> Executor | None:
    """Where the thread's tool calls run (None: the in-process default)."""
    return runtime.context.executor if runtime.context is not None else None


def hw_worker(inp: WorkerInput, runtime: Runtime[QimengContext]) -> QimengState:
    """Run the hardware agent on one task; publish status, area, depth and the RTL's interface.

    A free-form task goes to the thread's roles (LLM designer, tester and judge when configured);
    accelerators for the co-design loop always come from the generator library, which makes their
    lane counts exact."""
    task = Task.model_validate(inp["task"])
    details = inp["details"]
    roles = _roles(inp, runtime)

    def work(t: Task) -> HwOutcome:
        design = (
            build_accelerator(t.constraints.lanes, int(details.get("width", 8)), inp["run_root"])
            if t.constraints.lanes is not None
            else design_block(t.spec, roles=roles.hw, samples=1, run_root=inp["run_root"])
        )
        budget = t.constraints.area_budget
        within = budget is None or design.cells <= budget
        return HwOutcome(task=t.id, round=inp["round"], within_budget=within, design=design)

    key = [task.model_dump(mode="json"), details.get("width"), "offline" if roles.offline else "llm"]
    before = roles.tokens(HW_AGENTS)
    with use_executor(_executor(runtime)):
        result, cost = _cached("hardware", inp, key, work, HwOutcome)
    cost.tokens = roles.tokens(HW_AGENTS) - before
    return {"hw_results": [result], "costs": [cost]}


def sw_worker(inp: WorkerInput, runtime: Runtime[QimengContext]) -> QimengState:
    """Run the software agent on one task: on a hardware model (or on a kernel verified earlier) its
    scenario runs it (the GEMM on an accelerator, a kernel offloading to a unit, a kernel re-checked
    at another vector length), else a kernel for a target (with the thread's roles; its artifacts go
    to the thread's run directory)."""
    task = Task.model_validate(inp["task"])
    details = inp["details"]
    hardware = inp.get("hardware")
    built = hardware or inp.get("software")
    roles = _roles(inp, runtime)

    def work(t: Task) -> SwOutcome:
        design: KernelResult | OffloadRun | SwDesign
        part = inp.get("part")
        if built is not None and part is not None and part.scenario:
            workdir = Path(inp["run_root"]) / "cosim" / t.id
            workdir.mkdir(parents=True, exist_ok=True)
            design = get_scenario(part.scenario).run_on(t, built, part, workdir)
        else:  # a kernel for a target (in a free-form plan, after the hardware it waits for)
            target = t.constraints.target or "x86_64"
            design = design_kernel(
                t.spec,
                target=target,
                roles=roles.sw,
                run_root=inp["run_root"],
                budget=t.constraints.tuning or 6,
            )
        return SwOutcome(task=t.id, round=inp["round"], design=design)

    payload = [
        task.model_dump(mode="json"),
        hardware.rtl if hardware else None,
        built.source if isinstance(built, SwDesign) else None,
        details,
        "offline" if roles.offline else "llm",
    ]
    before = roles.tokens(SW_AGENTS)
    with use_executor(_executor(runtime)):
        result, cost = _cached("software", inp, payload, work, SwOutcome)
    cost.tokens = roles.tokens(SW_AGENTS) - before
    return {"sw_results": [result], "costs": [cost]}


def build_accelerator(lanes: int, width: int, run_root: str | None = None) -> AcceleratorResult:
    """Design the dot-product accelerator of ``lanes`` lanes with the offline hardware roles."""
    design = design_block(accelerator_spec(lanes, width), roles=Roles(), run_root=run_root)
    return AcceleratorResult(lanes=lanes, width=width, **dict(design))
