"""The final report of a thread: Markdown, JSON and (co-design) a PNG of area and cycles per design.

It is honest about how the run ended: the stop reason (converged, budget spent, declined) and the
cost per agent are always in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from agents.top.events import emit
from agents.top.state import Cost, HwOutcome, QimengState, SwOutcome, by_agent, total_tokens, total_tool_s


def plot_tradeoff(rows: list[dict[str, Any]], budget: int, chosen: int | None, path: Path) -> Path:
    """Area (cells, with the budget line) and cycles for each lane count; the choice is marked."""
    rows = sorted(rows, key=lambda r: r["lanes"])
    lanes = [str(r["lanes"]) for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    colors = [
        "tab:green" if r["lanes"] == chosen else ("tab:red" if not r["within_budget"] else "tab:blue")
        for r in rows
    ]
    ax1.bar(lanes, [r["cells"] for r in rows], color=colors)
    ax1.axhline(budget, color="black", linestyle="--", label=f"budget {budget} cells")
    ax1.set_xlabel("lanes")
    ax1.set_ylabel("area (Yosys cells)")
    ax1.legend()
    ax2.bar(lanes, [r["cycles"] for r in rows], color=colors)
    ax2.set_xlabel("lanes")
    ax2.set_ylabel("GEMM cycles")
    title = f"chosen: {chosen} lanes" if chosen is not None else "nothing fits the budget"
    fig.suptitle(f"dot-product accelerator trade-off ({title}; green = chosen, red = over budget)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _cost_lines(costs: list[Cost]) -> list[str]:
    lines = ["| agent | steps | cached | tool s | tokens |", "|---|---|---|---|---|"]
    for agent, row in sorted(by_agent(costs).items()):
        lines.append(
            f"| {agent} | {row['steps']:.0f} | {row['cached']:.0f} | {row['tool_s']:.1f} | {row['tokens']:.0f} |"
        )
    lines.append(f"| **total** | | | {total_tool_s(costs):.1f} | {total_tokens(costs)} |")
    return lines


def build_report(state: QimengState) -> dict[str, Any]:
    """Write report.md / report.json (and tradeoff.png for co-design) into ``run_root``; return the summary."""
    root = Path(state["run_root"])
    root.mkdir(parents=True, exist_ok=True)
    kind, details = state.get("kind", "hw"), state.get("details", {})
    costs = state.get("costs", [])
    md = [
        f"# QiMeng report: {state.get('request', '')}",
        "",
        f"- kind: {kind}",
        f"- rounds: {state.get('round', 0)}",
    ]
    md.append(f"- how it ended: {state.get('stop_reason') or 'done'}")
    summary: dict[str, Any] = {
        "kind": kind,
        "rounds": state.get("round", 0),
        "stop_reason": state.get("stop_reason", ""),
    }
    plot: Path | None = None
    outcomes: list[HwOutcome | SwOutcome] = [*state.get("hw_results", []), *state.get("sw_results", [])]
    if kind == "codesign" and state.get("decisions"):
        final = state["decisions"][-1].decision
        rows = [r.model_dump(mode="json") for d in state["decisions"] for r in d.decision.rows]
        rows = list({r["lanes"]: r for r in rows}.values())
        budget = int(details["area_budget"])
        chosen = final.chosen
        md += [f"- area budget: {budget} cells; GEMM {details['m']}x{details['k']}x{details['n']}", ""]
        md += [
            "## Trade-off",
            "",
            "| lanes | cells | depth | cycles | time units | utilization | within budget | verified |",
        ]
        md.append("|---|---|---|---|---|---|---|---|")
        for r in sorted(rows, key=lambda r: r["lanes"]):
            mark = " **(chosen)**" if r["lanes"] == chosen else ""
            md.append(
                f"| {r['lanes']}{mark} | {r['cells']} | {r['logic_depth']} | {r['cycles']} | {r['time_units']} | "
                f"{r['utilization']:.0%} | {'yes' if r['within_budget'] else 'no'} | {'yes' if r['verified'] else 'no'} |"
            )
        md += ["", "## Why", ""] + [f"- {x}" for x in final.reasons]
        plot = plot_tradeoff(rows, budget, chosen, root / "tradeoff.png")
        md += ["", "![area and cycles per lane count](tradeoff.png)"]
        summary.update(chosen=chosen, rows=sorted(rows, key=lambda r: r["lanes"]), reasons=final.reasons)
        status = "done" if chosen is not None else "failed"
    else:
        md += ["", "## Results", ""]
        for h in state.get("hw_results", []):
            md.append(f"- {h.task}: {h.status}, {h.design.cells} cells")
        md += [
            f"- {s.task}: {s.status}" + (f" ({s.skipped})" if s.skipped else "")
            for s in state.get("sw_results", [])
        ]
        ok = bool(outcomes) and all(r.status == "verified" for r in outcomes)
        status = "done" if ok else "failed"
    # every result with its evidence (the sources themselves are in the run directories)
    summary["results"] = [
        r.model_dump(mode="json", exclude={"design": {"rtl", "source", "log"}}) for r in outcomes
    ]
    md += ["", "## Feedback between agents", ""] + [f"- {x}" for x in state.get("feedback", [])]
    md += ["", "## Cost", "", *_cost_lines(costs), ""]
    (root / "report.md").write_text("\n".join(md))
    summary.update(
        status=status,
        report=str(root / "report.md"),
        plot=str(plot) if plot else None,
        tool_s=round(total_tool_s(costs), 2),
        tokens=total_tokens(costs),
        cost=by_agent(costs),
    )
    (root / "report.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def report_node(state: QimengState) -> QimengState:
    """Write the report; the thread's status becomes 'done' or 'failed'."""
    summary = build_report(state)
    emit("report", "written", path=summary["report"], status=summary["status"])
    return {"report": summary, "status": summary["status"]}
