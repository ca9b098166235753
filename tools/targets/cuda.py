"""The CUDA target: compile with nvcc; running needs an NVIDIA GPU, which is checked, never assumed.

Kernel sources are ``.cu`` files with an ``extern "C"`` host entry point. Without nvcc the target
says compilation is unavailable; without a GPU it says there is no device, and checks return an
``unavailable`` verdict rather than a pass.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

from tools.targets.base import Availability, Target, tool_version


def gpu_present() -> bool:
    """True when an NVIDIA device node and its driver (``/proc/driver/nvidia`` or the control
    node ``/dev/nvidiactl``) are visible on this host."""
    driver = Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidiactl").exists()
    return Path("/dev/nvidia0").exists() and driver


class Cuda(Target):
    """NVIDIA GPUs through nvcc (``-O3 -arch=native`` when a GPU is present, else sm_80)."""

    name: ClassVar[str] = "cuda"
    emulated: ClassVar[bool] = False
    source_suffix: ClassVar[str] = ".cu"
    compiler: ClassVar[str] = "nvcc"

    def compile_argv(self, sources: list[str], output: str, extra_flags: list[str]) -> list[str]:
        arch = "-arch=native" if gpu_present() else "-arch=sm_80"
        return [self.compiler, "-O3", arch, *extra_flags, *sources, "-o", output]

    def run_argv(self, binary: str, args: list[str]) -> list[str]:
        return [binary, *args]

    def availability(self) -> Availability:
        nvcc = shutil.which(self.compiler)
        version = tool_version(self.compiler) if nvcc else None
        tools = {"nvcc": version} if version else {}
        if version is None:
            return Availability(
                can_compile=False,
                can_run=False,
                reason="compile unavailable: nvcc is not installed (install the CUDA toolkit)",
                tools=tools,
            )
        if not gpu_present():
            return Availability(
                can_compile=True,
                can_run=False,
                reason="no device: no NVIDIA GPU or driver on this host (compile-only)",
                tools=tools,
            )
        return Availability(can_compile=True, can_run=True, tools=tools)

    def describe(self) -> str:
        return "cuda (nvcc -O3)"
