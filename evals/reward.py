"""Verifiable rewards for RL on hardware and kernel code (CodeV-R1 style): one resolved item in,
one :class:`RewardResult` out.

Verilog: the code extracted from the completion (:mod:`evals.reward_extract`) must declare the
expected module and use no file or host system task; it is then checked against the golden by
the differential checker (:func:`tools.hdl.diff_check`) on the problem's fixed seeds. Kernels:
the C code is checked by :func:`tools.kernels.check_kernel` on fresh inputs from the problem's
seed; on request, a passing kernel on a native target earns a speed bonus against the time of
the NumPy reference (never on an emulated target, whose times are not speed).

The reward is 1.0 for a pass (plus any speed bonus) and 0.0 otherwise; the format reward is kept
apart. Every tool runs in the sandbox. :func:`score_task` is the JSON task a Ray worker runs.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from typing import Any

import numpy as np

from evals.reward_extract import extract
from evals.reward_models import Reason, ResolvedItem, RewardResult, RewardVerdict
from evals.reward_problems import checker_version
from tools.hdl import VerilogRef, diff_check
from tools.hdl.ports import module_names
from tools.hdl.report import DiffReport

SPEED_BONUS_MAX = 0.5
"""Largest speed bonus: reached at 4x the reference's speed (log2 scale, 0 at parity or slower)."""
FORBIDDEN_TASKS = re.compile(
    r"\$(system|fopen|fclose|fwrite[bho]?|fdisplay[bho]?|fstrobe[bho]?|fmonitor[bho]?|fscanf|fgets|fread"
    r"|readmem[bh]|writemem[bh]|dumpfile|dumpvars|sformat|test\$plusargs|value\$plusargs)\b"
)
"""System tasks that touch files, the host or the testbench's arguments: not design code."""
FORBIDDEN_CALLS = re.compile(
    r"\b(fork|vfork|clone3?|system|popen|exec[lv]p?e?|posix_spawnp?|syscall|ptrace|kill|setrlimit|prlimit)\s*\("
    r"|\b(?:__)?asm(?:__)?\b[^\n]*\bsyscall\b"
)
"""Process, exec and raw system calls: not kernel code. A policy of the reward (a quick, named
refusal), not a safety boundary: the sandbox contains such a kernel anyway, and each concurrent
run has a uid of its own, so a fork bomb no longer takes the processes of other checks."""

_DIFF_REASONS: dict[str, Reason] = {
    "input": "compile",
    "syntax": "compile",
    "compile": "compile",
    "top": "wrong_name",
    "ports": "ports",
    "timeout": "timeout",
    "crash": "crash",
    "mismatch": "mismatch",
    "x": "x",
    "clocks": "unsupported",
}
_KERNEL_REASONS: dict[str, Reason] = {
    "compile_error": "compile",
    "timeout": "timeout",
    "crash": "crash",
    "wrong": "wrong",
    "nan": "nan",
    "unwritten": "unwritten",
    "out_of_bounds": "out_of_bounds",
    "input_modified": "input_modified",
}


def score(item: ResolvedItem, index: int = 0) -> RewardResult:
    """The reward of one item; never raises for a bad completion (a broken tool raises)."""
    start = time.monotonic()
    result = _score_verilog(item, index) if item.kind == "verilog" else _score_kernel(item, index)
    return result.model_copy(update={"wall_s": time.monotonic() - start})


def score_task(args: dict[str, Any]) -> dict[str, Any]:
    """JSON task for an executor: ``{"item": ResolvedItem, "index": int}`` -> RewardResult JSON."""
    item = ResolvedItem.model_validate(args["item"])
    return score(item, int(args.get("index", 0))).model_dump(mode="json")


def _result(
    item: ResolvedItem,
    index: int,
    verdict: RewardVerdict,
    reason: Reason,
    detail: str,
    format_reward: float,
    **extra: Any,
) -> RewardResult:
    correct = 1.0 if verdict == "pass" else 0.0
    bonus = extra.get("speed_bonus")
    return RewardResult(
        index=index,
        kind=item.kind,
        problem=item.problem,
        reward=correct + (bonus or 0.0) if verdict == "pass" else 0.0,
        correct=correct,
        format_reward=format_reward,
        verdict=verdict,
        reason=reason,
        detail=detail[:4000],
        seeds=list(item.seeds),
        checker_version=checker_version(),
        cache_key=item.cache_key,
        **extra,
    )


def _score_verilog(item: ResolvedItem, index: int) -> RewardResult:
    found = extract(item.completion, "verilog")
    fmt = found.format_reward
    if found.code is None:
        why = "no ```verilog block and no <answer> section with a module in the completion"
        return _result(item, index, "fail", "no_code_block", why, fmt)
    names = module_names(found.code)
    if item.top not in names:
        declared = ", ".join(f"'{n}'" for n in names[:5]) or "no module"
        why = f"the code declares {declared}; expected module '{item.top}'"
        return _result(item, index, "fail", "wrong_name", why, fmt)
    forbidden = sorted({m.group(0) for m in FORBIDDEN_TASKS.finditer(_strip_comments(found.code))})
    if forbidden:
        why = f"the code calls {', '.join(forbidden)}: file and host system tasks are not design code"
        return _result(item, index, "fail", "forbidden", why, fmt)
    report = diff_check(
        found.code,
        VerilogRef(source=item.golden, top=item.golden_top),
        top=item.top,
        seeds=item.seeds,
        timeout_s=item.timeout_s,
    )
    verdict, reason = _diff_verdict(report)
    mismatch = report.mismatches[0].model_dump() if report.mismatches else None
    detail = "" if verdict == "pass" else report.feedback(limit=2)
    return _result(
        item, index, verdict, reason, detail, fmt, first_mismatch=mismatch, evidence=report.to_check()
    )


def _diff_verdict(report: DiffReport) -> tuple[RewardVerdict, Reason]:
    if report.verdict == "pass":
        return "pass", ""
    if report.verdict == "error":
        golden_side = report.reason_kind in ("reference", "syntax", "top", "input")
        return ("invalid", "golden") if golden_side else ("error", "checker")
    if report.verdict in ("inconclusive", "unsupported"):
        return "inconclusive", "x" if report.verdict == "inconclusive" else "unsupported"
    return "fail", _DIFF_REASONS.get(report.reason_kind, "mismatch")


def _strip_comments(source: str, strings: bool = True) -> str:
    """``source`` without comments (and without string literals when ``strings``)."""
    literal = r"|\"(?:\\.|[^\"\\])*\"" if strings else ""
    return re.sub(r"//[^\n]*|/\*.*?\*/" + literal, " ", source, flags=re.S)


def _score_kernel(item: ResolvedItem, index: int) -> RewardResult:
    from agents.sw.specs import kernel_spec
    from tools.kernels import check_kernel
    from tools.settings import get_settings
    from tools.targets import get_target

    target = get_target(item.target)
    spec = kernel_spec(item.top, item.dims, emulated=target.emulated)
    found = extract(item.completion, "kernel")
    fmt = found.format_reward
    if found.code is None:
        why = "no ```c block and no <answer> section with a function in the completion"
        return _result(item, index, "fail", "no_code_block", why, fmt)
    if re.search(rf"\b{re.escape(spec.name)}\s*\(", found.code) is None:
        why = f"the code defines no function '{spec.name}'; expected {spec.prototype()}"
        return _result(item, index, "fail", "wrong_name", why, fmt)
    limits = get_settings().sandbox.model_copy(update={"wall_s": item.timeout_s})
    stripped = _strip_comments(found.code, strings=False)
    forbidden = sorted({m.group(1) or "asm syscall" for m in FORBIDDEN_CALLS.finditer(stripped)})
    if forbidden:
        why = f"the code calls {', '.join(forbidden)}: process, exec and system calls are not kernel code"
        return _result(item, index, "fail", "forbidden", why, fmt)
    verdict = check_kernel(found.code, spec, target, seed=item.seeds[0], limits=limits)
    if verdict.status == "pass":
        bonus, note = _speed_bonus(found.code, spec, target) if item.speed else (None, "")
        return _result(item, index, "pass", "", note, fmt, speed_bonus=bonus, evidence=verdict.check)
    if verdict.status == "unavailable":
        return _result(item, index, "error", "unavailable", verdict.reason, fmt, evidence=verdict.check)
    if verdict.status == "error":  # the reference itself raised: the problem, not the completion
        return _result(item, index, "invalid", "golden", verdict.reason, fmt, evidence=verdict.check)
    reason = _KERNEL_REASONS.get(verdict.status, "wrong")
    detail = verdict.reason + (f"\n{verdict.compile_log[:1500]}" if reason == "compile" else "")
    return _result(item, index, "fail", reason, detail, fmt, evidence=verdict.check)


def _speed_bonus(code: str, spec: Any, target: Any) -> tuple[float | None, str]:
    """``SPEED_BONUS_MAX * clamp(log2(reference time / kernel time) / 2, 0, 1)`` on native targets."""
    from tools.kernels.inputs import make_trial
    from tools.kernels.timing import time_kernel

    if target.emulated:
        return None, f"no speed bonus: {target.name} is emulated, its times are not speed"
    bench = time_kernel(code, spec, target, samples=7, warmup=1)
    if not bench.timings or bench.timings[0].suspicious:
        return 0.0, "speed not measured: " + (bench.timings[0].note if bench.timings else "no timing")
    shape = bench.timings[0].shape
    trial = make_trial(spec, shape, np.random.default_rng(0))
    args = dict(trial.scalars) | {a.name: trial.arrays[a.name] for a in spec.arrays if a.role != "out"}
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        spec.reference(**args)
        times.append(time.perf_counter() - t0)
    ref_s, kernel_s = statistics.median(times), bench.timings[0].median_s
    ratio = ref_s / kernel_s if kernel_s > 0 else 0.0
    bonus = SPEED_BONUS_MAX * min(1.0, max(0.0, math.log2(ratio) / 2)) if ratio > 0 else 0.0
    return bonus, f"kernel {kernel_s * 1e3:.3f} ms, NumPy reference {ref_s * 1e3:.3f} ms at {shape}"
