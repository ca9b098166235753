"""CPU targets: native x86_64, and aarch64 / riscv64 cross-compiled and run under QEMU user mode.

Cross binaries are linked statically so QEMU needs no sysroot at run time. The riscv64 target
uses clang-19 with the V extension (RVV 1.0 intrinsics from ``<riscv_vector.h>``), and QEMU is
told the vector length, so kernels can be checked at several VLENs.
"""

from __future__ import annotations

import platform
from typing import ClassVar

from tools.errors import UsageError
from tools.targets.base import Availability, Target, tool_version

_COMMON = ["-O3", "-fno-wrapv", "-std=gnu11", "-Wall", "-Wno-unused-function"]


def _availability(compiler: str, runner: str | None) -> Availability:
    tools: dict[str, str] = {}
    compiler_version = tool_version(compiler)
    if compiler_version:
        tools[compiler] = compiler_version
    runner_version = tool_version(runner) if runner else None
    if runner and runner_version:
        tools[runner] = runner_version
    missing = [p for p, v in ((compiler, compiler_version), (runner, runner_version)) if p and not v]
    reason = f"not installed: {', '.join(missing)}" if missing else ""
    return Availability(
        can_compile=compiler_version is not None,
        can_run=compiler_version is not None and (runner is None or runner_version is not None),
        reason=reason,
        tools=tools,
    )


class X86_64(Target):
    """Native x86_64 with gcc, tuned for this machine (``-march=native``); timings are real."""

    name: ClassVar[str] = "x86_64"
    emulated: ClassVar[bool] = False
    compiler: ClassVar[str] = "gcc"
    flags: ClassVar[list[str]] = [*_COMMON, "-march=native", "-fopenmp"]

    def compile_argv(self, sources: list[str], output: str, extra_flags: list[str]) -> list[str]:
        return [self.compiler, *self.flags, *extra_flags, *sources, "-o", output, "-lm"]

    def run_argv(self, binary: str, args: list[str]) -> list[str]:
        return [binary, *args]

    def availability(self) -> Availability:
        avail = _availability(self.compiler, None)
        if platform.machine() != "x86_64":
            return avail.model_copy(update={"can_run": False, "reason": f"this host is {platform.machine()}"})
        return avail

    def describe(self) -> str:
        return "x86_64 (gcc -O3 -march=native -fopenmp, native)"


class AArch64(Target):
    """aarch64 with NEON (gcc cross compiler, static), run under qemu-aarch64; emulated."""

    name: ClassVar[str] = "aarch64"
    emulated: ClassVar[bool] = True
    compiler: ClassVar[str] = "aarch64-linux-gnu-gcc"
    runner: ClassVar[str] = "qemu-aarch64"
    flags: ClassVar[list[str]] = [*_COMMON, "-march=armv8-a+simd", "-static", "-fopenmp"]

    def compile_argv(self, sources: list[str], output: str, extra_flags: list[str]) -> list[str]:
        return [self.compiler, *self.flags, *extra_flags, *sources, "-o", output, "-lm"]

    def run_argv(self, binary: str, args: list[str]) -> list[str]:
        return [self.runner, "-cpu", "max", binary, *args]

    def availability(self) -> Availability:
        return _availability(self.compiler, self.runner)

    def describe(self) -> str:
        return "aarch64 (aarch64-linux-gnu-gcc -O3 NEON -fopenmp, qemu-aarch64, emulated)"


class RiscV64(Target):
    """riscv64 with RVV 1.0 (clang-19, static), run under qemu-riscv64 at a chosen VLEN; emulated."""

    name: ClassVar[str] = "riscv64"
    emulated: ClassVar[bool] = True
    compiler: ClassVar[str] = "clang-19"
    runner: ClassVar[str] = "qemu-riscv64"
    flags: ClassVar[list[str]] = [*_COMMON, "--target=riscv64-linux-gnu", "-march=rv64gcv", "-static"]
    VLENS: ClassVar[tuple[int, ...]] = (128, 256, 512, 1024)

    def __init__(self, vlen: int = 256) -> None:
        """Args: vlen: vector register length in bits that QEMU emulates (128, 256, 512 or 1024).

        Raises:
            UsageError: for any other VLEN.
        """
        if vlen not in self.VLENS:
            allowed = ", ".join(str(v) for v in self.VLENS)
            raise UsageError(f"VLEN {vlen} is not supported; use one of {allowed}")
        self.vlen = vlen

    def compile_argv(self, sources: list[str], output: str, extra_flags: list[str]) -> list[str]:
        return [self.compiler, *self.flags, *extra_flags, *sources, "-o", output, "-lm"]

    def run_argv(self, binary: str, args: list[str]) -> list[str]:
        cpu = f"rv64,v=true,vlen={self.vlen},vext_spec=v1.0"
        return [self.runner, "-cpu", cpu, binary, *args]

    def availability(self) -> Availability:
        return _availability(self.compiler, self.runner)

    def describe(self) -> str:
        return f"riscv64 (clang-19 rv64gcv, RVV 1.0, VLEN={self.vlen}, qemu-riscv64, emulated)"
