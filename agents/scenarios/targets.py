"""Scenario: one kernel across every served CPU target (x86_64, aarch64, riscv64 with RVV).

Plan: the kernel for each target (the software agent checks it on each; it is timed and tuned only
where timings are real). Critique: compare the targets and say what limits each: on a native target
its position under the measured roofline (memory roof when the working set leaves the last-level
cache, compute roof when it does not); on an emulated one, that QEMU's clock says nothing about
speed, so its parameters were chosen by correctness only. Feedback: a native kernel far under its
roofline is tuned again with a larger candidate budget (once); a target that failed is retried once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agents.hw.design import HwDesign
from agents.scenarios.base import ModelRun, PartResults, Section, no_dependents, results_lines
from agents.sw.design import SwDesign
from agents.sw.request import parse_request
from agents.sw.tool_calls import KernelCalls, SpecRecipe
from agents.top.state import Constraints, Critique, Kind, Part, Task
from tools.errors import UsageError
from tools.evidence import Evidence
from tools.kernels.machine import MachinePeaks, machine_peaks
from tools.kernels.timing import Timing
from tools.targets import CPU_TARGETS, get_target

_EVERY = re.compile(
    r"\b(every|all|each|across|several)\s+(served\s+|cpu\s+|supported\s+)?(targets?|isas?|architectures?)\b",
    re.I,
)
RVV_VLENS = (128, 512, 1024)  # the default 256 is where the kernel was designed
RETUNE_BELOW = 0.5  # fraction of the roofline under which a native kernel is tuned again
DEFAULT_TUNING = 6
RETUNING = 16


def _named(text: str) -> list[str]:
    low = text.lower()
    return [t for t in CPU_TARGETS if re.search(rf"\b{t}\b", low)]


def _task(target: str, text: str, tuning: int | None = None, attempt: int = 1) -> Task:
    return Task(
        id=f"sw-{target}" + (f"-{attempt}" if attempt > 1 else ""),
        kind="sw",
        spec=text,
        constraints=Constraints(
            target=target, tuning=tuning, speed_goal="fastest verified kernel per target"
        ),
    )


def roofline_fraction(timing: Timing, peaks: MachinePeaks) -> tuple[float, float, str]:
    """(attainable GFLOP/s, fraction of it reached, which roof) for a native timing: the memory roof
    at the kernel's flop/byte when its working set leaves the last-level cache, else the compute peak."""
    gflops = timing.gflops or 0.0
    if timing.exceeds_llc and timing.gbs:
        roof, which = (
            peaks.roofline_gflops(gflops / timing.gbs),
            "memory roof: the working set leaves the last-level cache",
        )
    else:
        roof, which = peaks.fma_gflops, "compute roof: the working set stays in cache"
    return roof, gflops / roof if roof > 0 else 0.0, which


def _limit(design: SwDesign, peaks: MachinePeaks | None) -> tuple[str, float | None]:
    """What limits the kernel on its target, in one line, and its fraction of the roofline (native)."""
    if get_target(design.target).emulated:
        return (
            "emulated under QEMU: correct, not timed (its clock is not speed); parameters chosen by correctness",
            None,
        )
    t = design.timing
    if t is None or t.gflops is None:
        return "native, but no timing came back", None
    if peaks is None:
        return f"native: {t.gflops:.2f} GFLOP/s (no roofline measured)", None
    roof, frac, which = roofline_fraction(t, peaks)
    intensity = f", {t.gflops / t.gbs:.2f} flop/byte" if t.gbs else ""
    return (
        f"native: {t.gflops:.2f} GFLOP/s = {frac:.0%} of the {roof:.1f} GFLOP/s roofline ({which}{intensity})",
        frac,
    )


def _recheck(text: str, uses: str, vlen: int) -> Task:
    """A task that checks the verified riscv64 kernel (task ``uses``, as the scenario named it) again
    at another VLEN."""
    return Task(
        id=f"rvv-vlen{vlen}",
        kind="sw",
        spec=f"{text} (the riscv64 kernel, re-checked at VLEN={vlen})",
        constraints=Constraints(target="riscv64", vlen=vlen),
        uses=uses,
    )


def _best(designs: list[SwDesign]) -> SwDesign:
    """The fastest verified attempt (the latest verified one when none is timed), else the latest."""
    verified = [d for d in designs if d.status == "verified"]
    if not verified:
        return designs[-1]
    return max(verified, key=lambda d: d.timing.gflops if d.timing and d.timing.gflops else 0.0)


class KernelAcrossTargets:
    """One kernel, every served CPU target (see the module docstring)."""

    name = "kernel-across-targets"
    kind: Kind = "sw"
    summary = "one kernel on every served CPU target, compared and explained"

    def match(self, text: str) -> dict[str, Any] | None:
        """The kernel's targets: the CPU targets named (two or more), or all when it says every target."""
        named = _named(text)
        if not (_EVERY.search(text) or len(named) >= 2):
            return None
        try:
            parse_request(text)
        except UsageError:
            return None
        return {"targets": named if len(named) >= 2 else list(CPU_TARGETS)}

    def plan(self, part: Part) -> list[Task]:
        """The kernel for each target."""
        return [_task(t, part.text) for t in part.details["targets"]]

    def run_on(self, task: Task, built: HwDesign | SwDesign, part: Part, workdir: Path) -> ModelRun:
        """The riscv64 kernel verified earlier, checked again under QEMU at the task's VLEN."""
        if not isinstance(built, SwDesign) or task.constraints.vlen is None:
            return no_dependents(task)
        recipe = SpecRecipe(kernel=built.kernel, dims=built.dims, emulated=True)
        calls = KernelCalls(recipe, "riscv64", vlen=task.constraints.vlen)
        verdict = calls.check(built.source, seed=1)
        return built.model_copy(
            update={
                "origin": f"{built.origin}, re-checked at VLEN={task.constraints.vlen}",
                "evidence": Evidence(checks=[verdict.check]),
                "attempts": [],
                "timing": None,
                "why_not": verdict.reason,
                "run_dir": "",
            }
        )

    def critique(
        self, part: Part, results: PartResults, history: list[Critique], rounds_left: int
    ) -> Critique:
        """Compare the latest kernel of each target; retune a slow native one, retry a failed one."""
        tries: dict[str, list[SwDesign]] = {}
        rechecks: dict[int, SwDesign] = {}
        for s in results.sw:
            if isinstance(s.design, SwDesign) and "re-checked at VLEN=" in s.design.origin:
                rechecks[int(s.design.origin.rsplit("VLEN=", 1)[1])] = s.design
            elif isinstance(s.design, SwDesign):
                tries.setdefault(s.design.target, []).append(s.design)
        latest = {t: _best(ds) for t, ds in tries.items()}
        attempts = {t: len(ds) for t, ds in tries.items()}
        rows, reasons, again = [], [], []
        native = any(not get_target(t).emulated for t in latest)
        peaks = machine_peaks() if native else None  # measured once per machine, then cached
        for target in part.details["targets"]:
            d = latest.get(target)
            if d is None:
                reasons.append(f"{target}: no result")
                continue
            limit, frac = _limit(d, peaks) if d.status == "verified" else (f"failed: {d.why_not[:160]}", None)
            rows.append(
                {
                    "target": target,
                    "status": d.status,
                    "how": "emulated" if get_target(target).emulated else "measured",
                    "params": ", ".join(f"{k}={v}" for k, v in sorted(d.params.items())) or "-",
                    "gflops": f"{d.timing.gflops:.2f}" if d.timing and d.timing.gflops else "-",
                    "roofline": f"{frac:.0%}" if frac is not None else "-",
                    "limit": limit,
                }
            )
            reasons.append(f"{target}: {limit}")
            if attempts[target] > 1:
                speeds = [f"{x.timing.gflops:.2f}" for x in tries[target] if x.timing and x.timing.gflops]
                reasons.append(
                    f"{target}: {attempts[target]} attempts (GFLOP/s: {', '.join(speeds) or '-'}); the best is kept"
                )
            if d.status != "verified" and attempts[target] < 2:
                again.append(_task(target, part.text, attempt=attempts[target] + 1))
                reasons.append(f"{target}: re-plan: retry once")
            elif frac is not None and frac < RETUNE_BELOW and attempts[target] < 2:
                again.append(_task(target, part.text, tuning=RETUNING, attempt=attempts[target] + 1))
                reasons.append(
                    f"{target}: re-plan: {frac:.0%} of its roofline, tune again with {RETUNING} candidates "
                    f"instead of {DEFAULT_TUNING}"
                )
        rvv = latest.get("riscv64")
        if rvv is not None and rvv.status == "verified":
            if not rechecks:
                uses = next(s.task for s in results.sw if s.design is rvv).removeprefix(f"{part.id}-")
                again += [_recheck(part.text, uses, v) for v in RVV_VLENS]
                reasons.append(
                    f"riscv64: re-plan: check the kernel at VLEN {', '.join(map(str, RVV_VLENS))} too"
                )
            for vlen, d in sorted(rechecks.items()):
                rows.append(
                    {
                        "target": f"riscv64 VLEN={vlen}",
                        "status": d.status,
                        "how": "emulated",
                        "params": ", ".join(f"{k}={v}" for k, v in sorted(d.params.items())) or "-",
                        "gflops": "-",
                        "roofline": "-",
                        "limit": "the same source, correct at this vector length"
                        if d.status == "verified"
                        else f"fails at this vector length: {d.why_not[:160]}",
                    }
                )
            if rechecks:
                bad = [v for v, d in rechecks.items() if d.status != "verified"]
                reasons.append(
                    f"riscv64: the kernel is vector-length agnostic: verified at VLEN {', '.join(map(str, sorted(rechecks)))} "
                    "and the default 256"
                    if not bad
                    else f"riscv64: the kernel fails at VLEN {bad}: not vector-length agnostic"
                )
        measured = [r for r in rows if r["how"] == "measured" and r["status"] == "verified"]
        verified = [r for r in rows if r["status"] == "verified"]
        if measured:
            best = max(measured, key=lambda r: float(r["gflops"]) if r["gflops"] != "-" else 0.0)
            reasons.insert(0, f"fastest measured: {best['target']} at {best['gflops']} GFLOP/s")
        if len(measured) < len(verified):
            reasons.append(
                "emulated targets are compared by correctness only; their speed needs the native hardware "
                "(a cluster node with that target)"
            )
        done = all(
            any(r["target"] == t and r["status"] == "verified" for r in rows) for t in part.details["targets"]
        )
        done = done and all(d.status == "verified" for d in rechecks.values())
        stop = (
            ""
            if again
            else (
                f"{sum(r['target'] in part.details['targets'] for r in verified)} of {len(part.details['targets'])} targets verified; "
                + "every native kernel under half its roofline was tuned again once, every failed target retried once"
            )
        )
        return Critique(
            part=part.id,
            round=len(history) + 1,
            done=done and not again,
            chosen=", ".join(t for t in part.details["targets"] if t in {r["target"] for r in verified})
            or None,
            reasons=reasons,
            next_tasks=again,
            stop=stop,
            table=rows,
        )

    def report(self, part: Part, results: PartResults, history: list[Critique], root: Path) -> Section:
        """One row per target: status, measured or emulated, parameters, speed, roofline, limit."""
        last = history[-1] if history else None
        md = [
            "| target | status | timing | parameters | GFLOP/s | of roofline | what limits it |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in last.table if last else []:
            md.append(
                f"| {r['target']} | {r['status']} | {r['how']} | {r['params']} | {r['gflops']} | {r['roofline']} | {r['limit']} |"
            )
        if last:
            md += [
                "",
                *[f"- {x}" for x in last.reasons],
                "",
                f"Why it stopped: {last.stop or 'budget spent'}",
            ]
        md += ["", *results_lines(results)]
        return Section(markdown=md, summary={"targets": last.table if last else []})
