"""The workers a ``Send`` fans out to: they run the hardware and software subgraphs, one task each.

Each publishes what it did bottom-up (hardware: interface, area, depth; software: cycles or speed,
bottlenecks, requests for hardware features) plus an accounting entry; results are cached by a hash
of the task input so finished tool work is never repeated.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime

from agents.codesign.accelerator import AcceleratorResult, accelerator_spec
from agents.codesign.kernel import run_gemm
from agents.codesign.request import CodesignRequest
from agents.hw.nodes import Roles
from agents.hw.roles import LlmDesigner, LlmJudge, LlmTester
from agents.llm import LLMClient
from graphs.cache import ToolCache, cache_key
from agents.top.events import emit
from agents.top.nodes import QimengContext
from agents.top.state import QimengState, Task, WorkerInput
from graphs.hw import build_hw_graph
from graphs.sw import design_kernel
from tools.metrics import record_task_finished, record_task_started
from tools.tracing import span


def _cached(
    agent: str, inp: WorkerInput, key_payload: Any, work: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    task = Task.model_validate(inp["task"])
    cache = ToolCache(inp["cache_root"])
    key = cache_key(agent, key_payload)
    hit = cache.get(key)
    if hit is not None:
        hit.update(task=task.id, round=inp["round"])
        emit(agent, "cached", task=task.id)
        return hit, {"agent": agent, "tool": task.id, "tool_s": hit.get("tool_s", 0.0), "cached": True}
    emit(agent, "start", task=task.id, spec=task.spec)
    kind, target = ("hw_design" if agent == "hardware" else "sw_design"), task.constraints.target or "none"
    record_task_started(kind, target)
    start = time.monotonic()
    with span(f"invoke_agent {agent}", {"gen_ai.agent.name": agent, "qimeng.task": task.id}):
        try:
            result: dict[str, Any] = work(task)
        except Exception:
            record_task_finished(kind, target, "error")
            raise
    record_task_finished(kind, target, "pass" if result.get("status") == "verified" else "fail")
    result.update(task=task.id, round=inp["round"], tool_s=round(time.monotonic() - start, 3))
    if result.get("status") == "verified":
        # only verified work is reused: a failure may come from the environment and deserves a rerun
        cache.put(key, result)
    emit(agent, "done", task=task.id, status=result.get("status"), tool_s=result["tool_s"])
    return result, {"agent": agent, "tool": task.id, "tool_s": result["tool_s"], "cached": False}


def hw_worker(inp: WorkerInput, runtime: Runtime[QimengContext]) -> QimengState:
    """Run the hardware agent on one task; publish status, area, depth and the RTL's interface.

    In LLM mode (the thread is not offline and the context holds a client) a free-form task goes to
    the LLM designer, tester and judge; accelerators for the co-design loop always come from the
    generator library, which makes their lane counts exact."""
    task = Task.model_validate(inp["task"])
    details = inp["details"]
    llm = runtime.context.llm if runtime.context is not None and not inp["offline"] else None

    def work(t: Task) -> dict[str, Any]:
        if t.constraints.lanes is not None:
            acc = build_accelerator(t.constraints.lanes, int(details.get("width", 8)), inp["run_root"])
            out = acc.model_dump(mode="json")
            out["status"] = "verified" if acc.verified else "failed"
        else:
            roles = _llm_roles(llm) if llm is not None else None
            state = build_hw_graph(roles).invoke(
                {"text": t.spec, "offline": llm is None, "samples": 1, "run_root": inp["run_root"]}
            )
            best = state.get("best")
            synth = (best.synth if best is not None else None) or {}
            out = {
                "status": state.get("status", "failed"),
                "top": best.top if best is not None else "",
                "rtl": best.rtl if best is not None else "",
                "cells": int(synth.get("cell_count", 0)),
                "transistors": int(synth.get("transistors", 0)),
                "logic_depth": int(synth.get("logic_depth", 0)),
                "checks": best.checks if best is not None else [],
                "run_dir": state.get("run_dir", ""),
                "why_not": ""
                if state.get("status") == "verified"
                else (best.feedback[:400] if best else "no candidate"),
            }
        budget = t.constraints.area_budget
        out["within_budget"] = budget is None or out["cells"] <= budget
        return out

    key = [task.model_dump(mode="json"), details.get("width"), "llm" if llm is not None else "offline"]
    before = _hw_tokens(llm)
    result, cost = _cached("hardware", inp, key, work)
    cost["tokens"] = _hw_tokens(llm) - before
    return {"hw_results": [result], "costs": [cost]}


HW_AGENTS = ("hw.designer", "hw.tester", "hw.judge")


def _hw_tokens(llm: LLMClient | None) -> int:
    """Tokens the hardware agent's roles have used on this client so far."""
    return 0 if llm is None else sum(llm.ledger.usage(agent).total_tokens for agent in HW_AGENTS)


def _llm_roles(llm: LLMClient) -> Roles:
    return Roles(designer=LlmDesigner(llm), tester=LlmTester(llm), judge=LlmJudge(llm), offline=False)


def sw_worker(inp: WorkerInput) -> QimengState:
    """Run the software agent on one task: the GEMM on an accelerator model, or a kernel for a target."""
    task = Task.model_validate(inp["task"])
    details = inp["details"]
    hardware = inp.get("hardware")

    def work(t: Task) -> dict[str, Any]:
        if hardware is not None:
            acc = AcceleratorResult.model_validate(
                {k: v for k, v in hardware.items() if k in AcceleratorResult.model_fields}
            )
            req = CodesignRequest.model_validate(
                {k: v for k, v in details.items() if k in CodesignRequest.model_fields}
            )
            workdir = Path(inp["run_root"]) / "cosim" / t.id
            workdir.mkdir(parents=True, exist_ok=True)
            ker = run_gemm(acc, req, workdir, seed=1)
            out = ker.model_dump(mode="json")
            out["status"] = "verified" if ker.correct else "failed"
            return out
        design = design_kernel(t.spec, t.constraints.target or "x86_64", offline=True, store=False)
        dumped = design.model_dump(mode="json")
        dumped["checks"] = dumped.pop("evidence", {}).get("checks", [])
        return dumped

    payload = [task.model_dump(mode="json"), hardware.get("rtl") if hardware else None, details]
    result, cost = _cached("software", inp, payload, work)
    return {"sw_results": [result], "costs": [cost]}


def build_accelerator(lanes: int, width: int, run_root: str | None = None) -> AcceleratorResult:
    """Run the hardware subgraph offline for one lane count and summarise its result."""
    state = build_hw_graph().invoke(
        {"text": accelerator_spec(lanes, width), "offline": True, "run_root": run_root}
    )
    best = state.get("best")
    if best is None or state.get("status") != "verified" or not best.synth:
        reason = best.feedback if best is not None else "no candidate"
        return AcceleratorResult(lanes=lanes, width=width, verified=False, why_not=reason[:400])
    synth = best.synth
    return AcceleratorResult(
        lanes=lanes,
        width=width,
        verified=True,
        top=best.top,
        rtl=best.rtl,
        cells=int(synth.get("cell_count", 0)),
        transistors=int(synth.get("transistors", 0)),
        logic_depth=int(synth.get("logic_depth", 0)),
        checks=best.checks,
        run_dir=state.get("run_dir", ""),
    )
