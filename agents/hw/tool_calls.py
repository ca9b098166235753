"""The hardware agent's tool calls: lint, differential check, formal check and synthesis, each
handed to the current executor (:func:`tools.executor.call_tool`) with its payloads as strings.

Each function returns the tool's report and its evidence record stamped with where it ran (node,
labels, tool versions); the agent itself does not know or care which node that was.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.evidence import Check
from tools.executor import call_tool
from tools.hdl import calls
from tools.hdl.diffcheck import PythonRef
from tools.hdl.lint import LintReport
from tools.hdl.report import DiffReport
from tools.hdl.synth import SynthReport


def lint(rtl: str, top: str | None) -> tuple[LintReport, Check]:
    """Lint ``rtl``: the report and its check."""
    done = call_tool(calls.LINT, {"rtl": rtl, "top": top}, key="lint", toolset=calls.TOOLSET)
    report = LintReport.model_validate(done.value)
    return report, done.stamp(report.to_check())


def diff_check(
    rtl: str, reference: PythonRef, top: str | None, seeds: Sequence[int]
) -> tuple[DiffReport, Check]:
    """Differential check of ``rtl`` against the Python ``reference``: the report and its check."""
    args = {
        "rtl": rtl,
        "reference": reference.model_dump(mode="json"),
        "reference_kind": "python",
        "top": top,
        "seeds": list(seeds),
    }
    done = call_tool(calls.DIFF_CHECK, args, key="diffsim", toolset=calls.TOOLSET)
    report = DiffReport.model_validate(done.value)
    return report, done.stamp(report.to_check())


def formal_check(rtl: str, reference_rtl: str, top: str | None) -> Check:
    """Prove ``rtl`` equivalent to ``reference_rtl`` (Yosys SAT): the formal check."""
    done = call_tool(
        calls.FORMAL,
        {"rtl": rtl, "reference": reference_rtl, "top": top},
        key="formal",
        toolset=calls.TOOLSET,
    )
    return done.stamp(Check.model_validate(done.value))


def synth(rtl: str, top: str | None) -> tuple[SynthReport | None, Check]:
    """Synthesize ``rtl``: the report and its check, or None and an 'error' check when Yosys refused it."""
    done = call_tool(calls.SYNTH, {"rtl": rtl, "top": top}, key="synth", toolset=calls.TOOLSET)
    value = done.value or {}
    if "error" in value:
        return None, done.stamp(
            Check(name="synth", tool="yosys", status="error", summary=str(value["error"]))
        )
    report = SynthReport.model_validate(value["report"])
    return report, done.stamp(report.to_check())
