"""Node functions of the hardware subgraph, each ``(state) -> partial state``, testable without
LangGraph: spec -> design + reference -> lint -> differential check -> (diagnose -> repair)* ->
synthesis -> finish (evidence and artifacts in the run store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.hw import tool_calls
from agents.hw.conformance import (
    accounting_check,
    directed_check,
    examples,
    interface_check,
    power_on_check,
    tested_words,
)
from agents.hw.design import HwDesign, attempt_of
from agents.hw.request import HwRequest, read_request
from agents.hw.roles import Designer, Judge, OfflineDesigner, OfflineJudge, OfflineTester, Tester
from agents.hw.state import Candidate, HwState, Reference
from agents.knowledge_use import consult, remember
from tools.evidence import Check, Evidence, Interpretation, Reading, Source
from tools.hdl.cocotb_export import write_bench
from tools.hdl.diffcheck import PythonRef
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
        if self.roles.offline:
            req.refuse_if_unread()  # a behaviour-deciding parameter nobody stated is never defaulted
        else:
            req = req.model_copy(update={"interpretation": _llm_interpretation(req)})
        what = req.generator or "free-form request"
        found = consult(req.text, "rtl")
        if found.context:
            req = req.model_copy(update={"context": found.context})
        consulted = f"; consulted {len(found.sources)} source(s)" if found.sources else ""
        return {
            "request": req,
            "repairs": 0,
            "sources": [src.model_dump() for src in found.sources],
            "log": _log(state, f"spec: {what} {req.params}{consulted}"),
        }

    def design(self, state: HwState) -> HwState:
        """Sample candidate RTL from the designer."""
        req = state["request"]
        samples = state.get("samples", 2)
        if req.area_budget is not None:
            samples = max(samples, 4)  # an area budget is worth trying every architecture for
        cands = self.roles.designer.propose(req, samples)
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
                rep, lint_check = tool_calls.lint(c.rtl, c.top)
                c = c.model_copy(
                    update={
                        "lint_ok": rep.ok,
                        "lint_summary": lint_check.summary,
                        "feedback": "" if rep.ok else "\n".join(d.render() for d in rep.errors[:10]),
                        "checks": [*c.checks, lint_check.model_dump(mode="json")],
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
                spec_checks = _conformance(state, c)
                failed = [x for x in spec_checks if x.status == "fail"]
                if failed:  # the spec's own words already reject it: no random run needed
                    c = c.model_copy(
                        update={
                            "verdict": "fail",
                            "mismatches": 0,
                            "feedback": "; ".join(f"{x.name}: {x.summary}" for x in failed),
                            "checks": [*c.checks, *(x.model_dump(mode="json") for x in spec_checks)],
                        }
                    )
                    out.append(c)
                    continue
                c = c.model_copy(
                    update={"checks": [*c.checks, *(x.model_dump(mode="json") for x in spec_checks)]}
                )
                rep, diff = tool_calls.diff_check(c.rtl, _python_ref(ref), c.top, seeds)
                c = c.model_copy(
                    update={
                        "verdict": rep.verdict,
                        "mismatches": rep.mismatch_count,
                        "feedback": rep.feedback(),
                        "checks": [*c.checks, diff.model_dump(mode="json")],
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
        decision = f"{self.roles.judge.__class__.__name__} blamed the {blame} ({worst.feedback[:200]})"
        judged = state.get("judgements", []) + ([] if self.roles.offline else [decision])
        return {
            "blame": blame,
            "judgements": judged,
            "log": _log(state, f"diagnose: blame {blame}"),
        }

    def repair(self, state: HwState) -> HwState:
        """Fix the side the judge blamed: new candidates, or a new reference (all rechecked)."""
        req, cands = state["request"], state["candidates"]
        repairs = state.get("repairs", 0) + 1
        if state.get("blame") == "reference":
            feedback = cands[0].feedback
            old = state["reference"]
            ref = self.roles.tester.reference(req, feedback)
            # checks against the replaced reference say nothing about the candidates any more
            fresh = [
                c.model_copy(
                    update={
                        "verdict": None,
                        "mismatches": None,
                        "checks": [x for x in c.checks if x.get("name") != "diffsim"],
                    }
                )
                for c in cands
            ]
            dropped = [x for c in cands for x in c.checks if x.get("name") == "diffsim"]
            replaced = attempt_of(
                f"reference {old.origin}", {}, f"replaced: the judge blamed it ({feedback})", dropped
            )
            return {
                "reference": ref,
                "candidates": fresh,
                "repairs": repairs,
                "attempts": [*state.get("attempts", []), replaced],
                "log": _log(state, "repair: new reference"),
            }
        new = self.roles.designer.repair(req, cands[0], cands)
        return {
            "candidates": cands + new,
            "repairs": repairs,
            "log": _log(state, f"repair: {len(new)} new candidate(s)"),
        }

    def formal(self, state: HwState) -> HwState:
        """Prove passing candidates equivalent to the first passing one (Yosys SAT).

        The tester's reference is Python, which a prover cannot read, so formal evidence needs two
        independently built passing candidates; with one, the check is recorded as skipped.
        """
        cands = state["candidates"]
        passing = [i for i, c in enumerate(cands) if c.verdict == "pass"]
        anchor = cands[passing[0]]
        out = list(cands)
        if len(passing) < 2:
            check = Check(
                name="formal",
                tool="yosys",
                status="skipped",
                summary="one passing candidate and a Python reference: nothing to prove against",
            )
            out[passing[0]] = anchor.model_copy(
                update={"checks": [*anchor.checks, check.model_dump(mode="json")]}
            )
            return {
                "candidates": out,
                "formal": {"status": "skipped"},
                "log": _log(state, "formal: skipped (one candidate)"),
            }
        statuses = []
        for i in passing[1:]:
            c = cands[i]
            check = tool_calls.formal_check(c.rtl, anchor.rtl, c.top)
            if check.status not in ("pass", "fail"):
                # a bounded or unsupported proof is reported, but it is not a verdict on the design
                check = check.model_copy(
                    update={"status": "skipped", "summary": f"{check.status}: {check.summary}"}
                )
            statuses.append(check.status)
            out[i] = c.model_copy(update={"checks": [*c.checks, check.model_dump(mode="json")]})
            anchor = anchor.model_copy(update={"checks": [*anchor.checks, check.model_dump(mode="json")]})
            if check.status == "fail":
                out[i] = out[i].model_copy(update={"verdict": "fail", "feedback": check.summary})
        out[passing[0]] = anchor
        return {
            "candidates": out,
            "formal": {"status": ",".join(statuses)},
            "log": _log(state, f"formal: {', '.join(statuses)} vs candidate {passing[0]}"),
        }

    def synth(self, state: HwState) -> HwState:
        """Synthesize passing candidates; pick the smallest (within the area budget when given)."""
        passing = [c for c in state["candidates"] if c.verdict == "pass"]
        done = [_synthesize(c) for c in passing]
        budget = state["request"].area_budget
        sized = sorted(done, key=lambda c: (_cells(c) is None, _cells(c) or 0.0))
        best = sized[0]
        note = ""
        if budget is not None:
            cells = _cells(best)
            ok = cells is not None and cells <= budget
            area = Check(
                name="area",
                tool="yosys",
                status="pass" if ok else "fail",
                summary=f"{cells:g} cells against a budget of {budget:g}"
                if cells is not None
                else "no cell count",
                details={"budget_cells": budget, "cells": cells, "candidates": [_cells(c) for c in sized]},
            )
            best = best.model_copy(update={"checks": [*best.checks, area.model_dump(mode="json")]})
            note = f" ({area.summary})"
        return {
            "best": best,
            "log": _log(state, f"synth: {len(done)} synthesized, best {_cells(best)} cells{note}"),
        }

    def finish(self, state: HwState) -> HwState:
        """Write artifacts and evidence to the run store and return the :class:`HwDesign`.

        The final artifact is the synthesized winner, or (nothing passed) the best-ranked failing
        candidate; its evidence holds only its own checks, every other candidate is an attempt.
        """
        cands = state.get("candidates", [])
        final = state.get("best") or (cands[0] if cands else None)
        root = state.get("run_root")
        run = new_run("hw design", root=Path(root) if root else None)
        req = state.get("request")
        run.write_json(
            "request.json", req.model_dump(mode="json") if req else {"text": state.get("text")}, "spec"
        )
        ref = state.get("reference")
        if ref is not None:
            run.write("reference_model.py", ref.source, "reference", origin=ref.origin)
        for i, c in enumerate(cands):
            run.write(
                f"candidates/{i}.v", c.rtl, "rtl", origin=c.origin, verdict=c.verdict, mismatches=c.mismatches
            )
        evidence = Evidence(checks=[Check.model_validate(x) for x in final.checks] if final else [])
        evidence.sources = [Source.model_validate(x) for x in state.get("sources", [])]
        if req is not None:
            evidence.interpretation = req.interpretation.model_copy(deep=True) if req.interpretation else None
            if evidence.interpretation is not None and ref is not None and ref.readings:
                evidence.interpretation.readings += ref.readings  # an LLM tester's own account
            if final is not None:
                ran = any(c.name == "directed" and c.status == "pass" for c in evidence.checks)
                clock = ref.clock if ref is not None else None
                tested = tested_words(req.text, req.interface, clock) if ran else []
                evidence.add(accounting_check(req.text, evidence.interpretation, req.interface, tested))
        if state.get("judgements"):
            evidence.add(_judge_record(state.get("judgements", [])))
        others = [c for c in cands if final is None or (c.rtl, c.variant) != (final.rtl, final.variant)]
        design = HwDesign(
            request=req.text if req else state.get("text", ""),
            generator=req.generator if req else None,
            params=req.params if req else {},
            top=final.top if final else "",
            rtl=final.rtl if final else "",
            origin=final.origin if final else "",
            variant=final.variant if final else {},
            synth=final.synth if final else None,
            evidence=evidence,
            attempts=[
                *state.get("attempts", []),
                *(attempt_of(c.origin, c.variant, _why_kept_out(c), c.checks) for c in others),
            ],
            why_not="" if evidence.verified else (final.feedback[:400] if final else "no candidate"),
            run_dir=str(run.path),
        )
        memory = "not verified"
        if final is not None and design.status == "verified" and req is not None:
            memory = remember("rtl", req.text, final.rtl, evidence, final.synth or {})
        if final is not None:
            run.write("design.v", final.rtl, "rtl", top=final.top, verified=design.status == "verified")
        if final is not None and design.status == "verified" and ref is not None and req is not None:
            # a cocotb bench of the same checks, rerunnable without qimeng (cocotb/run.py)
            shown = [] if ref.clock else examples(req.text, req.interface)
            write_bench(run, final.rtl, _python_ref(ref), top=final.top, examples=shown)
        run.write_json("evidence.json", evidence, "evidence")
        run.write_json("design.json", design.model_dump(mode="json", exclude={"rtl", "log"}), "report")
        summary: dict[str, Any] = {"verdict": design.status, "top": design.top or None, "synth": design.synth}
        run.finish("done" if design.status == "verified" else "failed", **summary)
        log = _log(state, f"finish: {design.status} -> {run.path} ({memory})")
        return {"design": design.model_copy(update={"log": log}), "run_dir": str(run.path), "log": log}


def _why_kept_out(c: Candidate) -> str:
    if c.verdict == "pass":
        return "passed, but another passing candidate was kept (smaller)"
    if c.lint_ok is False:
        return f"lint failed: {c.feedback or c.lint_summary}"
    return f"differential check {c.verdict or 'not run'}: {c.feedback}"


def _conformance(state: HwState, c: Candidate) -> list[Check]:
    """The spec's own checks on a candidate, run before the random ones: its interface, its examples."""
    req = state["request"]
    ref = state["reference"]
    return [
        interface_check(req.interface, c.rtl, c.top),
        power_on_check(req.text, c.rtl),
        directed_check(req.text, req.interface, c.rtl, c.top, clock=ref.clock),
    ]


def _llm_interpretation(req: HwRequest) -> Interpretation:
    """In LLM mode the tester reads the text itself; what is recorded is the interface the text fixes."""
    readings = []
    if req.interface is not None:
        readings.append(
            Reading(name="module", value=req.interface.module, source="header", words="module header")
        )
        readings += [
            Reading(name=p.name, value=f"{p.direction} {p.width}", source="header", words="module header")
            for p in req.interface.ports
        ]
    return Interpretation(by="llm:tester", readings=readings)


def _judge_record(judgements: list[str]) -> Check:
    """The judge's decisions, recorded (not a verdict on the design, so 'skipped')."""
    return Check(
        name="judge",
        tool="qimeng",
        status="skipped",
        summary="; ".join(judgements)[:400],
        details={"decisions": judgements},
    )


def _rank(c: Candidate) -> tuple[int, int]:
    order = {"pass": 0, "fail": 1, "inconclusive": 2}
    return (order.get(c.verdict or "", 3), c.mismatches if c.mismatches is not None else 1 << 30)


def _python_ref(ref: Reference) -> PythonRef:
    ports = [
        CheckerPort(name=p.name, direction=p.direction, width=p.width, signed=p.signed) for p in ref.ports
    ] or None
    return PythonRef(
        source=ref.source,
        ports=ports,
        clock=ref.clock,
        reset=ref.reset.port if ref.reset else None,
        reset_active_low=ref.reset.active_low if ref.reset else None,
        reset_async=ref.reset.asynchronous if ref.reset else None,
    )


def _synthesize(c: Candidate) -> Candidate:
    """Synthesize with Yosys; a failure is recorded as an error check (the design is then unverified)."""
    report, check = tool_calls.synth(c.rtl, c.top)
    if report is None:
        return c.model_copy(update={"checks": [*c.checks, check.model_dump(mode="json")]})
    figures = report.model_dump(mode="json", exclude={"cells"})
    return c.model_copy(update={"synth": figures, "checks": [*c.checks, check.model_dump(mode="json")]})


def _cells(c: Candidate) -> float | None:
    """Generic-gate cell count, the area figure budgets are stated in."""
    value = (c.synth or {}).get("cell_count")
    return float(value) if isinstance(value, int | float) else None


def route_after_check(state: HwState) -> str:
    """'formal' when a candidate passed; 'diagnose' while repairs remain; else 'finish'."""
    if any(c.verdict == "pass" for c in state["candidates"]):
        return "formal"
    if state.get("repairs", 0) < state.get("max_repairs", 2):
        return "diagnose"
    return "finish"
