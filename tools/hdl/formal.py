"""Formal equivalence with Yosys: a miter of candidate (gate) and reference (gold), proved with SAT.

Combinational designs: ``miter -equiv -flatten -make_outputs -ignore_gold_x`` then
``sat -verify -prove trigger 0 -enable_undef``: a proof for all inputs.
Sequential designs (one clock): asynchronous resets become synchronous (``async2sync``), then
``sat -tempinduct -prove trigger 0 -set-init-undef -seq 1 -set-at 1 in_<reset> <active>``:
both designs start unknown, the reset is asserted in the first step, and Yosys tries induction
up to ``depth`` steps. ``pass`` means the induction closed; when it does not close the result is
``inconclusive`` with the bound reached (never ``pass``); a base-case model is a counterexample.
Reference x bits are don't-cares (``-ignore_gold_x``).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from tools.errors import UsageError
from tools.evidence import Check
from tools.hdl import _toolchain as tc
from tools.hdl.ports import DesignInfo, DesignReadError, module_names, read_design, yosys_friendly
from tools.hdl.testbench import REF_SUFFIX, rename_modules
from tools.tracing import tool_span

_ROW = re.compile(r"^\s*(?:(\d+|init)\s+)?\\(\S+)\s+\S+\s+\S+\s+([01xz]+)\s*$")


@tool_span("formal_check", lambda check: check.status)
def formal_check(
    candidate: str, reference: str, top: str | None = None, *, depth: int = 20, timeout_s: float = 60.0
) -> Check:
    """Prove ``candidate`` equivalent to the Verilog ``reference`` with Yosys SAT.

    Args:
        candidate, reference: Verilog sources (untrusted; Yosys runs in the sandbox).
        top: the candidate's top; None as in :func:`tools.hdl.diff_check`.
        depth: most induction steps for sequential designs.
        timeout_s: wall-clock limit for Yosys.

    Returns:
        a Check named ``formal``: ``pass`` (proved), ``fail`` (counterexample in ``details``),
        ``inconclusive`` (bounded only), ``unsupported`` (several clocks) or ``error``
        (unreadable or mismatching designs); it never raises for bad designs.
    """
    if depth < 1:
        raise UsageError(f"depth must be at least 1, got {depth}")
    start = time.monotonic()
    label = tc.yosys().label
    try:
        ref_info = read_design(reference)
        cand_src = tc.check_source(candidate, "the candidate")
        cand_info = read_design(
            cand_src, top or (ref_info.top if ref_info.top in module_names(cand_src) else None)
        )
    except (DesignReadError, UsageError) as exc:
        return _check(label, "error", f"cannot read the designs: {getattr(exc, 'message', exc)}", start)
    if [(p.name, p.direction, p.width) for p in sorted(cand_info.ports, key=lambda p: p.name)] != [
        (p.name, p.direction, p.width) for p in sorted(ref_info.ports, key=lambda p: p.name)
    ]:
        return _check(
            label,
            "fail",
            "the candidate's ports differ from the reference's (names, directions or widths)",
            start,
        )
    clocks = sorted(set(cand_info.clocks) | set(ref_info.clocks))
    if len(clocks) > 1:
        return _check(
            label, "unsupported", f"several clocks ({', '.join(clocks)}); formal check handles one", start
        )
    sequential = bool(clocks) or cand_info.has_state or ref_info.has_state
    script = _script(ref_info, cand_info, sequential, depth)
    with tempfile.TemporaryDirectory(prefix="qimeng-formal-") as tmp:
        work = Path(tmp)
        (work / "gold.sv").write_text(yosys_friendly(rename_modules(reference)), encoding="utf-8")
        (work / "gate.sv").write_text(yosys_friendly(cand_src), encoding="utf-8")
        res = tc.run_tool(tc.yosys(), ["-p", script], work, wall_s=timeout_s)
    log = res.stdout + res.stderr
    details: dict[str, object] = {
        "sequential": sequential,
        "depth": depth,
        "clock": clocks[0] if clocks else None,
    }
    if res.limits_hit:
        return _check(
            label, "inconclusive", f"yosys was {res.describe()} before the proof finished", start, details
        )
    if "model found" in log and "FAIL" in log:
        details["counterexample"] = _counterexample(log)
        return _check(
            label, "fail", "not equivalent: " + _describe(details["counterexample"]), start, details
        )
    if "SUCCESS" in log:
        what = "proved equivalent by induction" if sequential else "proved equivalent for all inputs"
        return _check(label, "pass", what, start, details)
    if "Reached maximum number of time steps" in log:
        return _check(
            label,
            "inconclusive",
            f"no counterexample within {depth} steps from reset, but induction did not close",
            start,
            details,
        )
    error = next((ln.strip() for ln in log.splitlines() if "ERROR" in ln), res.describe())
    return _check(label, "error", f"yosys could not build the proof: {error}", start, details)


def _script(ref: DesignInfo, cand: DesignInfo, sequential: bool, depth: int) -> str:
    gold, gate = ref.top + REF_SUFFIX, cand.top
    steps = [
        "read_verilog -sv gold.sv",
        "read_verilog -sv gate.sv",
        "proc",
        "opt_clean",
        "async2sync",
        f"miter -equiv -flatten -make_outputs -ignore_gold_x {gold} {gate} qimeng_miter",
        "hierarchy -top qimeng_miter",
        "flatten",
        "opt -fast",
    ]
    if not sequential:
        steps.append("sat -prove trigger 0 -enable_undef -show-ports qimeng_miter")
        return "; ".join(steps)
    resets = ref.resets or cand.resets
    sat = (
        f"sat -tempinduct -prove trigger 0 -set-init-undef -enable_undef -seq 1 -maxsteps {depth} -show-ports"
    )
    if resets:
        sat += f" -set-at 1 in_{resets[0].name} {0 if resets[0].active_low else 1}"
    steps.append(sat + " qimeng_miter")
    return "; ".join(steps)


def _counterexample(log: str) -> dict[str, dict[str, str]]:
    """Steps of the last model Yosys printed: ``{step: {signal: binary}}``."""
    steps: dict[str, dict[str, str]] = {}
    for line in log.splitlines():
        m = _ROW.match(line)
        if m:
            steps.setdefault(m[1] or "1", {})[m[2]] = m[3]
    return steps


def _describe(cex: object) -> str:
    if not isinstance(cex, dict):
        return "counterexample found"
    for step, signals in cex.items():
        if step != "init" and signals.get("trigger") == "1":
            ins = ", ".join(f"{k[3:]}={v}" for k, v in signals.items() if k.startswith("in_"))
            outs = "; ".join(
                f"{k[5:]}: expected {signals.get('gold_' + k[5:], '?')}, got {v}"
                for k, v in signals.items()
                if k.startswith("gate_") and v != signals.get("gold_" + k[5:])
            )
            return f"at step {step} with inputs {ins}: {outs}"
    return "counterexample found"


def _check(
    label: str, status: str, summary: str, start: float, details: dict[str, object] | None = None
) -> Check:
    return Check(
        name="formal",
        tool=label,
        status=status,  # type: ignore[arg-type]
        summary=summary,
        details=details or {},
        duration_s=time.monotonic() - start,
    )
