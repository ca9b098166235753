"""The HDL tools as tool calls: JSON in, JSON out, runnable on any node with the ``hdl`` tool set.

Each function takes the payloads (RTL, reference model) as strings in a JSON object, runs the tool
there and returns its pydantic report as JSON, with the versions of the programs it used under
:data:`tools.calls.VERSIONS_KEY`. Agents reach them through :func:`tools.executor.call_tool` with
the names below, so the same code runs in-process or as a Ray task.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.calls import VERSIONS_KEY
from tools.cosim import CosimError, build_library, run_driver
from tools.errors import ToolMissing
from tools.hdl import _toolchain
from tools.hdl.diffcheck import PythonRef, VerilogRef, diff_check
from tools.hdl.directed import Example, run_examples
from tools.hdl.formal import formal_check
from tools.hdl.lint import lint
from tools.hdl.ports import DesignReadError, read_design
from tools.hdl.synth import SynthError, synth

LINT = "tools.hdl.calls:lint_call"
DIFF_CHECK = "tools.hdl.calls:diff_check_call"
FORMAL = "tools.hdl.calls:formal_call"
SYNTH = "tools.hdl.calls:synth_call"
DIRECTED = "tools.hdl.calls:directed_call"
READ_DESIGN = "tools.hdl.calls:read_design_call"
COSIM = "tools.hdl.calls:cosim_call"
TOOLSET = "hdl"
"""The tool set a node must have for these calls (see :func:`tools.executor.local_toolsets`)."""


def _versions(*tools: Callable[[], _toolchain.Tool]) -> dict[str, str]:
    found = {}
    for probe in tools:
        try:
            tool = probe()
        except ToolMissing:
            continue  # the call itself reports the missing tool
        found[tool.name] = tool.version
    return found


def lint_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{rtl, top?}`` -> :class:`tools.hdl.LintReport` as JSON."""
    report = lint(str(args["rtl"]), args.get("top"))
    return report.model_dump(mode="json") | {
        VERSIONS_KEY: _versions(_toolchain.verilator, _toolchain.iverilog)
    }


def diff_check_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{rtl, reference (PythonRef or VerilogRef JSON), reference_kind, top?, seeds?}`` ->
    :class:`tools.hdl.DiffReport` as JSON."""
    ref: PythonRef | VerilogRef
    if args.get("reference_kind", "python") == "python":
        ref = PythonRef.model_validate(args["reference"])
    else:
        ref = VerilogRef.model_validate(args["reference"])
    report = diff_check(str(args["rtl"]), ref, top=args.get("top"), seeds=args.get("seeds") or (1, 2, 3))
    versions = _versions(_toolchain.iverilog, _toolchain.python_tool)
    return report.model_dump(mode="json") | {VERSIONS_KEY: versions}


def formal_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{rtl, reference (Verilog text), top?}`` -> the formal :class:`tools.evidence.Check` as JSON."""
    check = formal_check(str(args["rtl"]), str(args["reference"]), top=args.get("top"))
    return check.model_dump(mode="json") | {VERSIONS_KEY: _versions(_toolchain.yosys)}


def synth_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{rtl, top?}`` -> ``{"report": SynthReport JSON}``, or ``{"error": why}`` when Yosys refused it."""
    versions = _versions(_toolchain.yosys)
    try:
        report = synth(str(args["rtl"]), top=args.get("top"))
    except SynthError as exc:
        return {"error": str(exc), VERSIONS_KEY: versions}
    return {"report": report.model_dump(mode="json"), VERSIONS_KEY: versions}


def directed_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{rtl, top, examples: [Example JSON]}`` -> the ``directed`` :class:`tools.evidence.Check` as JSON."""
    examples = [Example.model_validate(e) for e in args.get("examples", [])]
    check = run_examples(str(args["rtl"]), str(args["top"]), examples)
    versions = _versions(_toolchain.iverilog) if examples else {}
    return check.model_dump(mode="json") | {VERSIONS_KEY: versions}


def read_design_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{rtl, top?}`` -> ``{"info": DesignInfo JSON}``, or ``{"reason", "message"}`` when Yosys
    cannot read it (a :class:`tools.hdl.ports.DesignReadError` on the caller's side)."""
    versions = _versions(_toolchain.yosys)
    try:
        info = read_design(str(args["rtl"]), args.get("top"))
    except DesignReadError as exc:
        return {"reason": exc.reason, "message": exc.message, VERSIONS_KEY: versions}
    return {"info": info.model_dump(mode="json"), VERSIONS_KEY: versions}


def cosim_call(args: dict[str, Any]) -> dict[str, Any]:
    """``{rtl, top, sources: {file: C text}, driver: Python text, inputs}`` -> ``{"out": the driver's
    result, "tool": Verilator label}``, or ``{"error": why}`` when the build or the run failed.

    The model is built in a temporary directory of the node that runs the call (see :mod:`tools.cosim`).
    """
    versions = _versions(_toolchain.verilator)
    rtl = str(args["rtl"])
    with tempfile.TemporaryDirectory(prefix="qimeng-cosim-") as tmp:
        try:
            info = read_design(rtl, args.get("top"))
            lib = build_library(rtl, info, Path(tmp), dict(args.get("sources", {})))
            out = run_driver(lib, str(args["driver"]), dict(args.get("inputs", {})))
        except CosimError as exc:
            return {"error": str(exc), VERSIONS_KEY: versions}
    return {"out": out, "tool": lib.tool, VERSIONS_KEY: versions}
