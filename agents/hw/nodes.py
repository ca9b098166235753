"""Node functions of the hardware subgraph, each ``(state) -> partial state``, testable without
LangGraph: spec -> design + reference -> lint -> differential check -> (diagnose -> repair)* ->
synthesis -> finish (evidence and artifacts in the run store).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.hw.request import read_request
from agents.hw.roles import Designer, Judge, OfflineDesigner, OfflineJudge, OfflineTester, Tester
from agents.hw.state import Candidate, HwState, Reference
from tools.evidence import Check, Evidence
from tools.hdl.diffcheck import PythonRef, diff_check
from tools.hdl.lint import lint
from tools.hdl.ports import Port as CheckerPort
from tools.runstore import new_run


@dataclass
class Roles:
    """Who designs, who writes the reference, who judges (offline by default)."""

    designer: Designer = field(default_factory=OfflineDesigner)
    tester: Tester = field(default_factory=OfflineTester)
    judge: Judge = field(default_factory=OfflineJudge)
    offline: bool = True


def _log(state: HwState, line: str) -> list[str]:
    return [*state.get("log", []), line]


class HwNodes:
    """The node functions, bound to a set of roles."""

    def __init__(self, roles: Roles | None = None) -> None:
        self.roles = roles or Roles()

    def spec(self, state: HwState) -> HwState:
        """Read the request (UsageError on an empty or, offline, unrecognized one)."""
        req = read_request(state["text"], require_generator=self.roles.offline)
        what = req.generator or "free-form request"
        return {"request": req, "repairs": 0, "status": "running", "log": _log(state, f"spec: {what} {req.params}")}

    def design(self, state: HwState) -> HwState:
        """Sample candidate RTL from the designer."""
        cands = self.roles.designer.propose(state["request"], state.get("samples", 2))
        return {"candidates": cands, "log": _log(state, f"design: {len(cands)} candidate(s)")}

    def reference(self, state: HwState) -> HwState:
        """The tester's reference model, from the request alone."""
        ref = self.roles.tester.reference(state["request"])
        return {"reference": ref, "log": _log(state, f"reference: {ref.origin}")}

    def lint(self, state: HwState) -> HwState:
        """Lint every candidate not linted yet."""
        out = []
        for c in state["candidates"]:
            if c.lint_ok is None:
                rep = lint(c.rtl, c.top)
                c = c.model_copy(
                    update={
                        "lint_ok": rep.ok,
                        "lint_summary": rep.to_check().summary,
                        "feedback": "" if rep.ok else "\n".join(d.render() for d in rep.errors[:10]),
                        "checks": [*c.checks, rep.to_check().model_dump(mode="json")],
                    }
                )
            out.append(c)
        ok = sum(1 for c in out if c.lint_ok)
        return {"candidates": out, "log": _log(state, f"lint: {ok}/{len(out)} clean")}

    def check(self, state: HwState) -> HwState:
        """Differential check of every clean, unchecked candidate against the reference."""
        ref = state["reference"]
        seeds = state.get("seeds", [1, 2, 3])
        out = []
        for c in state["candidates"]:
            if c.lint_ok and c.verdict is None:
                rep = diff_check(c.rtl, _python_ref(ref), top=c.top, seeds=seeds)
                c = c.model_copy(
                    update={
                        "verdict": rep.verdict,
                        "mismatches": rep.mismatch_count,
                        "feedback": rep.feedback(),
                        "checks": [*c.checks, rep.to_check().model_dump(mode="json")],
                    }
                )
            out.append(c)
        ranked = sorted(out, key=_rank)
        verdicts = ", ".join(f"{c.verdict or 'lint-fail'}({c.mismatches})" for c in ranked)
        return {"candidates": ranked, "log": _log(state, f"check: {verdicts}")}

    def diagnose(self, state: HwState) -> HwState:
        """Ask the judge who is wrong about the best-ranked failing candidate."""
        worst = state["candidates"][0]
        blame = self.roles.judge.blame(state["request"], worst, state["reference"])
        return {"blame": blame, "log": _log(state, f"diagnose: blame {blame}")}

    def repair(self, state: HwState) -> HwState:
        """Fix the side the judge blamed: new candidates, or a new reference (all rechecked)."""
        req, cands = state["request"], state["candidates"]
        repairs = state.get("repairs", 0) + 1
        if state.get("blame") == "reference":
            feedback = cands[0].feedback
            ref = self.roles.tester.reference(req, feedback)
            fresh = [c.model_copy(update={"verdict": None, "mismatches": None}) for c in cands]
            return {"reference": ref, "candidates": fresh, "repairs": repairs, "log": _log(state, "repair: new reference")}
        new = self.roles.designer.repair(req, cands[0], cands)
        return {"candidates": cands + new, "repairs": repairs, "log": _log(state, f"repair: {len(new)} new candidate(s)")}

    def synth(self, state: HwState) -> HwState:
        """Synthesize passing candidates; pick the smallest (within the area budget when given)."""
        passing = [c for c in state["candidates"] if c.verdict == "pass"]
        done = [_synthesize(c) for c in passing]
        budget = state["request"].area_budget
        sized = sorted(done, key=lambda c: (_cells(c) is None, _cells(c) or 0.0))
        best = sized[0]
        note = ""
        if budget is not None and (_cells(best) or 0.0) > budget:
            note = f" (smallest is {_cells(best)} cells, over the budget of {budget:g})"
        return {"best": best, "log": _log(state, f"synth: {len(done)} synthesized, best {_cells(best)} cells{note}")}

    def finish(self, state: HwState) -> HwState:
        """Write artifacts and evidence to the run store; status 'verified' only when every check passed."""
        best = state.get("best")
        root = state.get("run_root")
        run = new_run("hw design", root=Path(root) if root else None)
        req = state.get("request")
        run.write_json("request.json", req.model_dump(mode="json") if req else {"text": state.get("text")}, "spec")
        ref = state.get("reference")
        if ref is not None:
            run.write("reference_model.py", ref.source, "reference", origin=ref.origin)
        for i, c in enumerate(state.get("candidates", [])):
            run.write(f"candidates/{i}.v", c.rtl, "rtl", origin=c.origin, verdict=c.verdict, mismatches=c.mismatches)
        evidence = Evidence(checks=[Check.model_validate(x) for x in best.checks]) if best else Evidence()
        verified = best is not None and evidence.verified
        if best is not None:
            run.write("design.v", best.rtl, "rtl", top=best.top, verified=verified)
        run.write_json("evidence.json", evidence, "evidence")
        status = "verified" if verified else "failed"
        summary: dict[str, Any] = {"verdict": status, "top": best.top if best else None, "synth": best.synth if best else None}
        run.finish("done" if verified else "failed", **summary)
        return {"status": status, "run_dir": str(run.path), "log": _log(state, f"finish: {status} -> {run.path}")}


def _rank(c: Candidate) -> tuple[int, int]:
    order = {"pass": 0, "fail": 1, "inconclusive": 2}
    return (order.get(c.verdict or "", 3), c.mismatches if c.mismatches is not None else 1 << 30)


def _python_ref(ref: Reference) -> PythonRef:
    ports = [CheckerPort(name=p.name, direction=p.direction, width=p.width, signed=p.signed) for p in ref.ports] or None
    return PythonRef(
        source=ref.source,
        ports=ports,
        clock=ref.clock,
        reset=ref.reset.port if ref.reset else None,
        reset_active_low=ref.reset.active_low if ref.reset else None,
        reset_async=ref.reset.asynchronous if ref.reset else None,
    )


def _synthesize(c: Candidate) -> Candidate:
    """Run the synthesis tool when the checker room provides one; else record a skipped check."""
    try:
        module: Any = importlib.import_module("tools.hdl.synth")
    except ModuleNotFoundError:
        check = Check(name="synth", tool="yosys", status="skipped", summary="tools.hdl.synth is not available")
        return c.model_copy(update={"checks": [*c.checks, check.model_dump(mode="json")]})
    report = module.synth(c.rtl, top=c.top)
    figures = report.model_dump(mode="json")
    check = report.to_check() if hasattr(report, "to_check") else Check(name="synth", tool="yosys", status="pass", details=figures)
    return c.model_copy(update={"synth": figures, "checks": [*c.checks, check.model_dump(mode="json")]})


def _cells(c: Candidate) -> float | None:
    if not c.synth:
        return None
    for key in ("cells", "cell_count", "area", "num_cells"):
        value = c.synth.get(key)
        if isinstance(value, int | float):
            return float(value)
    return None


def route_after_check(state: HwState) -> str:
    """'synth' when a candidate passed; 'diagnose' while repairs remain; else 'finish'."""
    if any(c.verdict == "pass" for c in state["candidates"]):
        return "synth"
    if state.get("repairs", 0) < state.get("max_repairs", 2):
        return "diagnose"
    return "finish"
