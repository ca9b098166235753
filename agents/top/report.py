"""The final report of a thread: Markdown and JSON, one section per part of the request (written by
its scenario: tables, reasons, plots), every result with its evidence, and the cost per agent.

It is honest about how the run ended: the stop reason (converged, budget spent, declined), which
parts were done, which failed and which were refused (with why) are always in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents import scenarios  # the module, not its names: agents.scenarios imports agents.top.state
from agents.top.critic import part_results
from agents.top.events import emit
from agents.top.state import (
    Cost,
    Critique,
    HwOutcome,
    Part,
    QimengState,
    SwOutcome,
    by_agent,
    total_tokens,
    total_tool_s,
)
from tools.runstore import record_run


def _cost_lines(costs: list[Cost]) -> list[str]:
    lines = ["| agent | steps | cached | tool s | tokens |", "|---|---|---|---|---|"]
    for agent, row in sorted(by_agent(costs).items()):
        lines.append(
            f"| {agent} | {row['steps']:.0f} | {row['cached']:.0f} | {row['tool_s']:.1f} | {row['tokens']:.0f} |"
        )
    lines.append(f"| **total** | | | {total_tool_s(costs):.1f} | {total_tokens(costs)} |")
    return lines


def part_status(part: Part, critiques: list[Critique]) -> str:
    """'refused', 'done' (its last critique says so), or 'failed'."""
    if part.refused:
        return "refused"
    mine = [c for c in critiques if c.part == part.id]
    return "done" if mine and mine[-1].done else "failed"


def build_report(state: QimengState) -> dict[str, Any]:
    """Write report.md / report.json (and each scenario's plots) into ``run_root``; return the summary."""
    root = Path(state["run_root"])
    root.mkdir(parents=True, exist_ok=True)
    kind = state.get("kind", "hw")
    costs = state.get("costs", [])
    parts = state.get("parts", [])
    critiques = state.get("critiques", [])
    md = [
        f"# QiMeng report: {state.get('request', '')}",
        "",
        f"- kind: {kind}",
        f"- rounds: {state.get('round', 0)}",
        f"- how it ended: {state.get('stop_reason') or 'done'}",
        "",
        "## Parts of the request",
        "",
        "| part | words | served by | status | why |",
        "|---|---|---|---|---|",
    ]
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {
        "kind": kind,
        "rounds": state.get("round", 0),
        "stop_reason": state.get("stop_reason", ""),
    }
    plots: list[str] = []
    sections: list[str] = []
    for part in parts:
        status = part_status(part, critiques)
        mine = [c for c in critiques if c.part == part.id]
        why = part.refused or (
            mine[-1].stop or "; ".join(mine[-1].reasons) if mine else "not judged (no task ran)"
        )
        served = part.scenario or ("nothing" if part.refused else "LLM plan")
        md.append(f"| {part.id} | {part.text} | {served} | {status} | {why} |")
        row: dict[str, Any] = {
            "part": part.id,
            "text": part.text,
            "scenario": part.scenario,
            "status": status,
        }
        row.update(
            why=why, chosen=mine[-1].chosen if mine else None, reasons=mine[-1].reasons if mine else []
        )
        results = part_results(state, part)
        sections += ["", f"## {part.id}: {part.text}", ""]
        if part.refused:
            sections.append(f"Refused: {part.refused}")
        elif part.scenario:
            section = scenarios.get_scenario(part.scenario).report(part, results, mine, root)
            sections += section.markdown
            row.update(section.summary)
            if section.plot:
                plots.append(section.plot)
        else:
            sections += scenarios.results_lines(results) + [f"- {x}" for x in row["reasons"]]
        rows.append(row)
    md += sections
    outcomes: list[HwOutcome | SwOutcome] = [*state.get("hw_results", []), *state.get("sw_results", [])]
    if len(rows) == 1:  # a single part's keys (chosen, rows, reasons, ...) at the top, as before parts
        summary.update({k: v for k, v in rows[0].items() if k not in ("part", "text", "status")})
    done = bool(parts) and all(r["status"] == "done" for r in rows)
    md += ["", "## Feedback between agents", ""] + [f"- {x}" for x in state.get("feedback", [])]
    md += ["", "## Cost", "", *_cost_lines(costs), ""]
    run = record_run(root, f"design {state.get('request', '')!r}")
    run.write("report.md", "\n".join(md), kind="report")
    summary.update(
        status="done" if done else "failed",
        parts=rows,
        # every result with its evidence (the sources themselves are in the run directories)
        results=[r.model_dump(mode="json", exclude={"design": {"rtl", "source", "log"}}) for r in outcomes],
        report=str(root / "report.md"),
        plot=plots[0] if plots else None,
        plots=plots,
        tool_s=round(total_tool_s(costs), 2),
        tokens=total_tokens(costs),
        cost=by_agent(costs),
    )
    run.write("report.json", json.dumps(summary, indent=2, default=str), kind="report")
    run.write_json("evidence.json", thread_evidence(outcomes), kind="evidence")
    run.finish("done" if done else "failed", parts=len(rows))
    return summary


def thread_evidence(outcomes: list[HwOutcome | SwOutcome]) -> dict[str, Any]:
    """Every result of the thread with its status, where its artifacts are and the evidence of its
    final artifact (checks, tools and versions, seeds, findings); a skipped task says why."""
    results: list[dict[str, Any]] = []
    for r in outcomes:
        design = r.design
        entry: dict[str, Any] = {"task": r.task, "round": r.round, "status": r.status}
        if design is None:
            entry["skipped"] = getattr(r, "skipped", "")
        else:
            entry["run_dir"] = design.run_dir
            entry["evidence"] = design.evidence.model_dump(mode="json")
        results.append(entry)
    return {"results": results}


def report_node(state: QimengState) -> QimengState:
    """Write the report; the thread's status becomes 'done' or 'failed'."""
    summary = build_report(state)
    emit("report", "written", path=summary["report"], status=summary["status"])
    return {"report": summary, "status": summary["status"]}
