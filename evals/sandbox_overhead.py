"""Benchmark: the sandbox's overhead per call, median over many runs of ``/bin/true``."""

from __future__ import annotations

import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel


class OverheadResult(BaseModel):
    """Per-call wall time of ``/bin/true``, bare and sandboxed."""

    machine: str
    runs: int
    bare_median_ms: float
    sandboxed_median_ms: float
    sandboxed_p95_ms: float

    @property
    def overhead_ms(self) -> float:
        return self.sandboxed_median_ms - self.bare_median_ms


def measure(runs: int = 200) -> OverheadResult:
    """Time ``runs`` calls of ``/bin/true`` directly and through :func:`tools.sandbox.run_sandboxed`."""
    from tools.sandbox import run_sandboxed

    bare, boxed = [], []
    with tempfile.TemporaryDirectory(prefix="qimeng-bench-") as tmp:
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(["/bin/true"], check=True)
            bare.append(time.perf_counter() - start)
            start = time.perf_counter()
            run_sandboxed(["/bin/true"], Path(tmp))
            boxed.append(time.perf_counter() - start)
    boxed.sort()
    return OverheadResult(
        machine=f"{platform.machine()}, {_cpu_model()}",
        runs=runs,
        bare_median_ms=statistics.median(bare) * 1e3,
        sandboxed_median_ms=statistics.median(boxed) * 1e3,
        sandboxed_p95_ms=boxed[int(0.95 * (len(boxed) - 1))] * 1e3,
    )


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
