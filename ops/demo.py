"""``qimeng demo``: the main job on embedded defaults, end to end and offline.

1. The hardware agent designs a few blocks from plain-language specs (verified, synthesized).
2. The software agent designs kernels: tuned on x86_64, verified on riscv64 (RVV, under QEMU).
3. The co-design loop: a dot-product accelerator for several lane counts under an area budget,
   the GEMM kernel run on each accelerator's Verilator model, and the critic's choice.

Everything lands in the run directory; the command prints a summary table.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HW_SPECS = (
    "an 8-bit up counter with synchronous active-high reset and enable",
    "a 4-bit priority encoder with a valid output",
    "detect the bit pattern 1011 on a serial input, overlapping, with synchronous reset",
)
SW_SPECS = (
    ("gemm 128x128x128 fp32", "x86_64"),
    ("softmax rows=64 cols=1000", "riscv64"),
    ("focal split 120x160", "x86_64"),
)
CODESIGN_REQUEST = (
    "a dot-product accelerator with lanes in 4, 8, 16 of 8-bit elements under an area budget of "
    "6000 cells, and the GEMM kernel (8x20x8) that uses it"
)


@dataclass
class DemoStep:
    """One line of the demo's summary."""

    what: str
    verdict: str
    detail: str
    seconds: float
    where: str = ""


@dataclass
class DemoReport:
    """Everything the demo did."""

    steps: list[DemoStep] = field(default_factory=list)
    codesign: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(s.verdict == "verified" for s in self.steps)


def run_demo(progress: Callable[[str], None] = print) -> DemoReport:
    """Run the three parts; each step's verdict comes from the real checks."""
    from agents.roles import build_roles
    from graphs.hw import design_block
    from graphs.session import run_codesign_demo
    from graphs.sw import design_kernel
    from tools.settings import get_settings

    report = DemoReport()
    roles = build_roles(None)
    for spec in HW_SPECS:
        progress(f"hardware: {spec}")
        start = time.monotonic()
        block = design_block(spec, roles=roles.hw)
        detail = f"{block.cells} cells, depth {block.logic_depth}" if block.synth else block.why_not[:80]
        step = DemoStep(f"hw: {spec}", block.status, detail, time.monotonic() - start, block.run_dir)
        report.steps.append(step)
    for spec, target in SW_SPECS:
        progress(f"software: {spec} on {target}")
        start = time.monotonic()
        kernel = design_kernel(spec, target=target, roles=roles.sw, budget=4)
        if kernel.timing:
            detail = f"{kernel.timing.gflops or 0:.1f} GFLOP/s, params {kernel.params}"
        else:
            detail = "correct under QEMU (emulated: not timed)"
        step = DemoStep(
            f"sw: {spec} [{target}]", kernel.status, detail, time.monotonic() - start, kernel.run_dir
        )
        report.steps.append(step)
    progress("co-design: " + CODESIGN_REQUEST)
    start = time.monotonic()
    codesign = run_codesign_demo(get_settings().run_dir, CODESIGN_REQUEST)
    report.codesign = codesign
    chosen = codesign.get("chosen")
    report.steps.append(
        DemoStep(
            "co-design: dot-product accelerator + GEMM",
            "verified" if chosen is not None else "failed",
            f"chose {chosen} lanes in {codesign.get('rounds', '?')} rounds",
            time.monotonic() - start,
            str(codesign.get("report", "")),
        )
    )
    return report
