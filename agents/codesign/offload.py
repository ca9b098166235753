"""The software side of the offload scenario: a popcount kernel that hands its bits to a hardware
popcount unit (the unit's Verilator model, through cffi), checked and counted against the same
kernel in software only.

Cycle model (stated in every result): the kernel runs on a scalar core that retires one ALU
operation per cycle; each kernel counts the operations it performs, and a call of the unit costs
the unit's cycles (one per call, counted by the model) plus the operations that feed and read it.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from pydantic import Field

from agents.hw import tool_calls
from agents.hw.design import HwDesign
from tools.evidence import Check, DesignResult, Evidence

KERNELS = Path(__file__).parent / "kernels"
CYCLE_MODEL = (
    "one cycle per ALU operation of a scalar core (each kernel counts its own operations) "
    "plus one cycle per call of the unit (counted by its Verilator model)"
)


class OffloadRun(DesignResult):
    """The popcount kernel on one unit width, and the software-only kernel on the same data."""

    unit_width: int = Field(ge=1, description="Input bits of the popcount unit it offloaded to.")
    words: int = Field(description="32-bit words counted.")
    unit_calls: int = Field(0, description="Calls of the unit (one model cycle each).")
    offload_cycles: int = Field(0, description="Cycles of the offloading kernel under the cycle model.")
    software_cycles: int = Field(0, description="Cycles of the software-only kernel under the cycle model.")
    cycle_model: str = Field(CYCLE_MODEL, description="How cycles are counted.")

    @property
    def speedup(self) -> float:
        """Software-only cycles over offloading cycles (0 when it did not run)."""
        return self.software_cycles / self.offload_cycles if self.offload_cycles else 0.0


def run_popcount(unit: HwDesign, width: int, words: int, workdir: Path, seed: int = 1) -> OffloadRun:
    """Build the unit's model with both kernels, count the bits of fresh random words both ways, and
    check each count against numpy."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 1 << 32, size=words, dtype=np.uint64)
    want = int(sum(bin(int(x)).count("1") for x in data))
    start = time.monotonic()
    out, tool, done = tool_calls.cosim(
        unit.rtl,
        unit.top,
        {"popcount_offload.c": (KERNELS / "popcount_offload.c").read_text()},
        (KERNELS / "popcount_driver.py").read_text(),
        {"data": [int(x) for x in data], "width": width},
    )
    if out is None:
        check = Check(name="cosim-popcount", tool="verilator", status="error", summary=tool, seeds=[seed])
        return OffloadRun(unit_width=width, words=words, evidence=Evidence(checks=[done.stamp(check)]))
    got_unit, got_sw = int(out["offload_count"]), int(out["software_count"])  # type: ignore[call-overload]
    calls = int(out["unit_calls"])  # type: ignore[call-overload]
    expected_calls = words * -(-32 // width) if width <= 32 else -(-words * 32 // width)
    ok = got_unit == want and got_sw == want and calls == expected_calls
    summary = (
        f"popcount of {words} random words: unit kernel {got_unit}, software kernel {got_sw}, numpy {want}; "
        f"{calls} unit calls" + ("" if calls == expected_calls else f" (expected {expected_calls})")
    )
    check = Check(
        name="cosim-popcount",
        tool=tool,
        status="pass" if ok else "fail",
        summary=summary,
        seeds=[seed],
        details={"want": want, "unit": got_unit, "software": got_sw, "calls": calls},
        duration_s=time.monotonic() - start,
    )
    return OffloadRun(
        unit_width=width,
        words=words,
        unit_calls=calls,
        offload_cycles=int(out["offload_ops"]) + calls,  # type: ignore[call-overload]
        software_cycles=int(out["software_ops"]),  # type: ignore[call-overload]
        evidence=Evidence(checks=[done.stamp(check)]),
    )
