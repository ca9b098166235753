"""Instruction-set targets: how to compile kernels for x86_64, aarch64, riscv64 (RVV) and CUDA,
how to run the result (natively or under QEMU), and whether timings there are real.

Add a target by writing one :class:`Target` subclass and one line in ``TARGETS``.
"""

from __future__ import annotations

from typing import Any

from tools.errors import UsageError
from tools.targets.base import Availability, CompileResult, Target, compile_limits, tool_version
from tools.targets.cpu import X86_64, AArch64, RiscV64
from tools.targets.cuda import Cuda, gpu_present

TARGETS: dict[str, type[Target]] = {"x86_64": X86_64, "aarch64": AArch64, "riscv64": RiscV64, "cuda": Cuda}
CPU_TARGETS: tuple[str, ...] = ("x86_64", "aarch64", "riscv64")


def get_target(name: str, **options: Any) -> Target:
    """The target called ``name``, built with ``options`` (e.g. ``vlen=512`` for riscv64).

    Raises:
        UsageError: for an unknown name (listing the known targets) or options it does not take.
    """
    cls = TARGETS.get(name)
    if cls is None:
        raise UsageError(f"unknown target '{name}'; known targets: {', '.join(sorted(TARGETS))}")
    try:
        return cls(**options)
    except TypeError:
        given = ", ".join(sorted(options))
        raise UsageError(f"target '{name}' does not take the option(s) {given}") from None


__all__ = [
    "CPU_TARGETS",
    "TARGETS",
    "X86_64",
    "AArch64",
    "Availability",
    "CompileResult",
    "Cuda",
    "RiscV64",
    "Target",
    "compile_limits",
    "get_target",
    "gpu_present",
    "tool_version",
]
