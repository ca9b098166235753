"""The :class:`Target` interface: how to compile C for an ISA and how to run the result.

A target knows its compiler and flags, the command that runs a binary it built (directly on
this host, or under QEMU), and whether times measured that way mean anything. Compilation and
runs both go through the sandbox, because the compiler processes untrusted source and the
binary is untrusted code.
"""

from __future__ import annotations

import shutil
import subprocess
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field

from tools.sandbox import SandboxResult, run_sandboxed
from tools.settings import SandboxLimits, get_settings


class Availability(BaseModel):
    """Whether a target can compile and run here, and why not when it cannot."""

    can_compile: bool = Field(description="The compiler is installed.")
    can_run: bool = Field(description="Binaries can be executed here (natively or emulated).")
    reason: str = Field("", description="Why compiling or running is unavailable; empty when both work.")
    tools: dict[str, str] = Field(default_factory=dict, description="Tool name -> version line.")


class CompileResult(BaseModel):
    """One sandboxed compilation."""

    ok: bool = Field(description="The compiler exited 0 and produced the output file.")
    binary: Path | None = Field(None, description="The output file when ok.")
    argv: list[str] = Field(description="The compiler command as run.")
    log: str = Field("", description="Compiler diagnostics (stderr, then stdout).")
    wall_s: float = Field(0.0, description="Wall time of the compilation.")
    limit_hit: str | None = Field(None, description="Sandbox limit the compiler ran into, if any.")


class Target(ABC):
    """One instruction-set target. A new target is one subclass plus one line in ``TARGETS``."""

    name: ClassVar[str]
    """Registry key, e.g. ``riscv64``."""
    emulated: ClassVar[bool]
    """True when binaries run under an emulator: timings are not speed and must not be reported."""
    source_suffix: ClassVar[str] = ".c"
    """File suffix of kernel sources for this target."""

    @abstractmethod
    def compile_argv(self, sources: list[str], output: str, extra_flags: list[str]) -> list[str]:
        """The compiler command that builds ``sources`` into the executable ``output``."""

    @abstractmethod
    def run_argv(self, binary: str, args: list[str]) -> list[str]:
        """The command that runs ``binary`` with ``args`` (under QEMU for cross targets)."""

    @abstractmethod
    def availability(self) -> Availability:
        """Which of compile and run work here, with tool versions."""

    def describe(self) -> str:
        """One line for a human, e.g. ``riscv64 (clang-19, RVV 1.0, VLEN=256, emulated)``."""
        return f"{self.name} ({'emulated' if self.emulated else 'native'})"

    def compile(
        self,
        workdir: Path,
        sources: list[str],
        output: str,
        *,
        extra_flags: list[str] | None = None,
        limits: SandboxLimits | None = None,
    ) -> CompileResult:
        """Compile files in ``workdir`` (relative names) inside the sandbox.

        Returns a CompileResult; never raises for a compiler error (it is in ``log``).
        """
        argv = self.compile_argv(sources, output, extra_flags or [])
        # The sandbox's fresh /tmp is not writable by its uid; clang and nvcc need a temp dir.
        tmp = str(workdir.resolve())
        env = {"TMPDIR": tmp, "TMP": tmp, "TEMP": tmp}
        res = run_sandboxed(argv, workdir, limits=limits or compile_limits(), env=env)
        out = workdir / output
        ok = res.ok and out.is_file()
        log = (res.stderr + res.stdout).strip()
        if res.limits_hit:
            log = f"compiler {res.describe()}\n{log}"
        return CompileResult(
            ok=ok,
            binary=out if ok else None,
            argv=argv,
            log=log,
            wall_s=res.wall_s,
            limit_hit=res.limit_hit,
        )

    def run(self, workdir: Path, binary: str, args: list[str], *, limits: SandboxLimits) -> SandboxResult:
        """Run ``binary`` (relative to ``workdir``) with ``args`` in the sandbox.

        OpenMP threads of a kernel wait passively (``OMP_WAIT_POLICY=PASSIVE``): on a shared,
        oversubscribed machine spinning threads starve each other (milliseconds per barrier).
        """
        return run_sandboxed(
            self.run_argv(f"./{binary}", args), workdir, limits=limits, env={"OMP_WAIT_POLICY": "PASSIVE"}
        )


def compile_limits() -> SandboxLimits:
    """Limits for compiler runs: the configured ones with a 120 s wall cap."""
    base = get_settings().sandbox
    return base.model_copy(update={"wall_s": min(base.wall_s, 120.0), "memory_mb": max(base.memory_mb, 4096)})


@lru_cache(maxsize=32)
def tool_version(program: str) -> str | None:
    """First line of ``program --version`` (a trusted probe), or None when it is not installed."""
    path = shutil.which(program)
    if path is None:
        return None
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{program} (version probe failed: {exc})"
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    if not lines:
        return program
    # nvcc prints its release on a later line, compilers on the first.
    release = [ln for ln in lines if "release" in ln]
    return (release[0] if "nvcc" in program and release else lines[0]).strip()
