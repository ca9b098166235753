"""The software side of co-design: GEMM on the accelerator's Verilator model, checked and counted."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from pydantic import Field

from agents.codesign.accelerator import AcceleratorResult
from agents.codesign.request import CodesignRequest
from agents.hw import tool_calls
from tools.evidence import Check, DesignResult, Evidence

KERNELS = Path(__file__).parent / "kernels"


class KernelResult(DesignResult):
    """What the software agent publishes about the kernel on one accelerator (bottom-up); its
    evidence is the co-simulation check."""

    lanes: int = Field(description="Lanes of the accelerator it ran on.")
    cycles: int = Field(0, description="Accelerator clock cycles the GEMM took (from the model).")
    utilization: float = Field(0.0, description="Fraction of lane slots doing useful work.")
    bottleneck: str = Field("", description="What limits it, in one line (empty when nothing does).")
    requests: list[str] = Field(default_factory=list, description="Hardware features the kernel asks for.")

    @property
    def correct(self) -> bool:
        """Whether its evidence is verified (C = A@B with the expected operation count)."""
        return self.status == "verified"

    @property
    def check(self) -> Check:
        """The co-simulation check."""
        return self.evidence.checks[0]


def utilization(k: int, lanes: int) -> float:
    """Useful lane slots over issued lane slots for dot products of length ``k``."""
    return k / (lanes * math.ceil(k / lanes))


def run_gemm(acc: AcceleratorResult, req: CodesignRequest, workdir: Path, seed: int = 1) -> KernelResult:
    """Build the accelerator's model with the GEMM kernel, run it on fresh random inputs, check C.

    The model is built and run by a tool call (on whichever node has the HDL tools, in a directory
    of its own); ``workdir`` is no longer written."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << req.width, size=(req.m, req.k), dtype=np.int64)
    b = rng.integers(0, 1 << req.width, size=(req.k, req.n), dtype=np.int64)
    start = time.monotonic()
    sources = {"gemm_accel.c": (KERNELS / "gemm_accel.c").read_text()}
    driver = (KERNELS / "gemm_driver.py").read_text()
    args = {"a": a.tolist(), "b": b.tolist(), "lanes": acc.lanes, "width": acc.width}
    out, tool, done = tool_calls.cosim(acc.rtl, acc.top, sources, driver, args)
    if out is None:
        check = Check(name="cosim-gemm", tool="verilator", status="error", summary=tool, seeds=[seed])
        return KernelResult(lanes=acc.lanes, evidence=Evidence(checks=[done.stamp(check)]))
    got = np.array(out["c"], dtype=np.int64)
    want = a @ b
    wrong = int(np.count_nonzero(got != want)) if got.shape == want.shape else want.size
    cycles = int(out["cycles"])  # type: ignore[call-overload]
    expected_ops = req.m * req.n * math.ceil(req.k / acc.lanes)
    correct = wrong == 0 and cycles == expected_ops
    summary = (
        f"C = A@B ({req.m}x{req.k}x{req.n}) on the {acc.lanes}-lane model: {wrong} wrong elements, {cycles} cycles"
        + ("" if cycles == expected_ops else f" (expected {expected_ops} accelerator operations)")
    )
    check = Check(
        name="cosim-gemm",
        tool=tool,
        status="pass" if correct else "fail",
        summary=summary,
        seeds=[seed],
        details={"wrong": wrong, "cycles": cycles, "shape": [req.m, req.k, req.n]},
        duration_s=time.monotonic() - start,
    )
    util = utilization(req.k, acc.lanes)
    bottleneck, requests = "", []
    if util < 0.999:
        idle = acc.lanes * math.ceil(req.k / acc.lanes) - req.k
        bottleneck = f"{idle} of {acc.lanes} lanes idle on the last chunk of every dot product (K={req.k}): {util:.0%} utilization"
        requests.append(f"lane counts that divide K={req.k}")
    return KernelResult(
        lanes=acc.lanes,
        evidence=Evidence(checks=[done.stamp(check)]),
        cycles=cycles,
        utilization=util,
        bottleneck=bottleneck,
        requests=requests,
    )
