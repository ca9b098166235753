"""The hardware agent's tool calls: lint, differential check, formal check and synthesis, each
handed to the current executor (:func:`tools.executor.call_tool`) with its payloads as strings.

Each function returns the tool's report and its evidence record stamped with where it ran (node,
labels, tool versions); the agent itself does not know or care which node that was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tools.calls import CallResult
from tools.evidence import Check
from tools.executor import call_tool
from tools.hdl import calls
from tools.hdl.diffcheck import PythonRef
from tools.hdl.directed import Example
from tools.hdl.lint import LintReport
from tools.hdl.ports import DesignInfo
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


def run_examples(rtl: str, top: str, examples: list[Example]) -> Check:
    """The request's examples run on ``rtl``: the ``directed`` check (skipped without examples)."""
    args = {"rtl": rtl, "top": top, "examples": [e.model_dump(mode="json") for e in examples]}
    done = call_tool(calls.DIRECTED, args, key="directed", toolset=calls.TOOLSET)
    check = Check.model_validate(done.value)
    return done.stamp(check) if examples else check


def read_design(rtl: str, top: str | None) -> tuple[DesignInfo | None, str, CallResult]:
    """The top module's name and ports as Yosys reads them (None and why, when it cannot), and the
    call (to stamp the check made from it)."""
    done = call_tool(calls.READ_DESIGN, {"rtl": rtl, "top": top}, key="read-design", toolset=calls.TOOLSET)
    value = done.value or {}
    if "info" not in value:
        return None, str(value.get("message", "")), done
    return DesignInfo.model_validate(value["info"]), "", done


def cosim(
    rtl: str, top: str | None, sources: dict[str, str], driver: str, inputs: dict[str, Any]
) -> tuple[dict[str, Any] | None, str, CallResult]:
    """Build ``rtl`` with the C ``sources`` into a Verilator model and run the Python ``driver`` on
    ``inputs`` (:mod:`tools.cosim`): the driver's result (None when the build or run failed), the
    Verilator label (or why it failed), and the call (to stamp the check made from it)."""
    args = {"rtl": rtl, "top": top, "sources": sources, "driver": driver, "inputs": inputs}
    done = call_tool(calls.COSIM, args, key="cosim", toolset=calls.TOOLSET)
    value = done.value or {}
    if "error" in value:
        return None, str(value["error"]), done
    return dict(value["out"]), str(value["tool"]), done
