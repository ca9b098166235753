"""What the design page shows of one thread: its request, status, pending question, and each result
with its source (RTL or kernel), interpretation, checks, PPA or timing table, waveforms of failed
checks, and the report's plots. Built from the thread's checkpointed state (typed results), as JSON.

File links are paths relative to the session root, served by the page's ``/files/`` route.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from graphs.session import Session
from tools.evidence import Check, DesignResult
from tools.hdl import waves

PPA_KEYS = ("cell_count", "transistors", "logic_depth", "flip_flops", "area", "max_freq_mhz", "wires")
"""Yosys figures shown in a hardware result's PPA table, in this order (those present)."""


def rel(root: Path, path: str | Path | None) -> str | None:
    """``path`` relative to ``root`` (for a ``/files/`` link), or None when outside it or missing."""
    if not path:
        return None
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _check_row(c: Check) -> dict[str, Any]:
    return {"name": c.name, "status": c.status, "summary": c.summary, "tool": c.tool}


def _scalars(design: BaseModel) -> dict[str, Any]:
    """Top-level numbers and short strings of a result that has no PPA or timing table of its own."""
    skip = {"request", "rtl", "source", "origin", "run_dir", "why_not", "refusal", "top", "kernel", "target"}
    return {
        k: v
        for k, v in design.model_dump(mode="json").items()
        if k not in skip and isinstance(v, int | float | str) and not isinstance(v, bool) and str(v)
    }


def _table(design: DesignResult) -> dict[str, Any]:
    """The PPA (hardware), timing (kernel) or figures table of a result."""
    synth = getattr(design, "synth", None)
    if isinstance(synth, dict):
        return {"title": "PPA (Yosys)", "rows": {k: synth[k] for k in PPA_KEYS if k in synth}}
    timing = getattr(design, "timing", None)
    if timing is not None:
        t = timing.model_dump(mode="json")
        keep = ("median_s", "iqr_s", "gflops", "gbs", "roofline_gflops", "samples", "exceeds_llc")
        return {"title": "Timing", "rows": {"shape": t.get("shape"), **{k: t[k] for k in keep if k in t}}}
    return {"title": "Figures", "rows": _scalars(design)}


def _waves(design: DesignResult, task: str, run_root: Path, root: Path) -> list[dict[str, Any]]:
    """Waveform pictures of the result's failed diffsim checks (its own and its attempts')."""
    tried = [(f"{task}-{c.name}", c.details) for c in design.evidence.checks]
    for i, attempt in enumerate(design.attempts, 1):
        tried += [(f"{task}-attempt{i}-{c.name}", c.details) for c in attempt.checks]
    out = []
    for vcd, png in waves.save_windows(tried, run_root / "waves"):
        out.append({"label": vcd.stem, "vcd": rel(root, vcd), "png": rel(root, png)})
    return out


def result_view(kind: str, outcome: Any, run_root: Path, root: Path) -> dict[str, Any]:
    """One published result (an ``HwOutcome`` or ``SwOutcome``) as the page shows it."""
    design = outcome.design
    view: dict[str, Any] = {
        "task": outcome.task,
        "round": outcome.round,
        "kind": kind,
        "status": outcome.status,
        "skipped": getattr(outcome, "skipped", ""),
    }
    if not isinstance(design, DesignResult):
        return view
    interp = design.evidence.interpretation
    view.update(
        type=type(design).__name__,
        origin=getattr(design, "origin", ""),
        top=getattr(design, "top", "") or getattr(design, "kernel", ""),
        target=getattr(design, "target", None),
        language="verilog" if getattr(design, "rtl", "") else "c",
        source=getattr(design, "rtl", "") or getattr(design, "source", ""),
        interpretation=interp.summary() if interp is not None else "",
        unread=interp.unread if interp is not None else [],
        checks=[_check_row(c) for c in design.evidence.checks],
        attempts=[
            {"origin": a.origin, "summary": a.summary, "checks": [_check_row(c) for c in a.checks]}
            for a in design.attempts
        ],
        table=_table(design),
        refusal=design.refusal,
        why_not=getattr(design, "why_not", ""),
        files=rel(root, design.run_dir),
        waves=_waves(design, outcome.task, run_root, root),
    )
    return view


def thread_view(session: Session) -> dict[str, Any]:
    """The whole thread as the page shows it (see the module docstring)."""
    values = session.values()
    root = session.root
    run_root = Path(values.get("run_root") or session.run_root)
    report = values.get("report") or None
    results = [result_view("hw", r, run_root, root) for r in values.get("hw_results", [])]
    results += [result_view("sw", r, run_root, root) for r in values.get("sw_results", [])]
    pending = session.pending() if session.exists() else None
    view: dict[str, Any] = {
        "thread": session.thread_id,
        "request": values.get("request", ""),
        "status": values.get("status") or ("waiting" if pending else "new"),
        "round": values.get("round", 0),
        "stop_reason": values.get("stop_reason", ""),
        "failure": session.failure(),
        "pending": pending,
        "results": results,
        "report": None,
    }
    if report is not None:
        view["report"] = {
            "status": report.get("status"),
            "stop_reason": report.get("stop_reason") or "done",
            "markdown": rel(root, report.get("report")),
            "plots": [p for p in (rel(root, x) for x in report.get("plots", [])) if p],
            "parts": [
                {k: part.get(k) for k in ("part", "text", "scenario", "status", "why", "chosen")}
                for part in report.get("parts", [])
            ],
            "tool_s": report.get("tool_s"),
            "tokens": report.get("tokens"),
        }
    return view
