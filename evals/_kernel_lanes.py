"""One timed lane of the kernel suite: a kernel at one thread count against the libraries, with its
place on the roofline.

The roofline of ``threads`` threads is ``min(peak of one core x cores used, intensity x measured
bandwidth)`` when the rotating input copies exceed the last-level cache, else the compute peak
alone (the data is in cache, so memory cannot bind). ``bound`` names the limit that is lower.
"""

from __future__ import annotations

import os
import statistics

from pydantic import BaseModel, Field

from tools.kernels.machine import MachinePeaks
from tools.kernels.spec import KernelSpec


class Lane(BaseModel):
    """A kernel at one thread count, timed in rounds beside the library baselines."""

    threads: int = Field(
        description="Thread budget of the lane: the baselines' thread count and the most the kernel may use."
    )
    params: dict[str, int] = Field(
        default_factory=dict,
        description="Template parameters rendered; its 'threads' is what the kernel ran with (<= threads).",
    )
    threads_timed: dict[str, float] = Field(
        default_factory=dict,
        description="Thread counts within the budget timed before the rounds (the fastest of three "
        "interleaved medians, seconds); the most threads within 3% of the fastest are rendered. Empty "
        "when only one count was possible.",
    )
    source: str = Field("", description="The C source timed.")
    oracle: str = Field("pass", description="The evaluator's check of this rendering: pass or what failed.")
    error: str = Field("", description="Why this lane was not timed, when it was not.")
    rotating_sets: int = Field(0, description="Input copies cycled through while timing.")
    exceeds_llc: bool = Field(False, description="The copies together exceed the last-level cache.")
    round_s: list[float] = Field(default_factory=list, description="Kernel median seconds, per round.")
    library_round_s: dict[str, list[float]] = Field(
        default_factory=dict, description="Library -> its median seconds per round."
    )
    median_s: float | None = Field(None, description="Median over rounds of the kernel's seconds.")
    library_s: dict[str, float] = Field(default_factory=dict, description="Library -> median over rounds.")
    gflops: float | None = Field(None, description="GFLOP/s at the median, when the spec declares flops.")
    gbs: float | None = Field(None, description="GB/s at the median.")
    roofline_gflops: float | None = Field(None, description="Attainable GFLOP/s (see module docstring).")
    roofline_fraction: float | None = Field(None, description="Achieved / attainable (flops or bytes).")
    bound: str = Field("", description="Which limit binds: compute, memory, or compute (in cache).")

    @property
    def threads_used(self) -> int:
        """Threads the kernel itself ran with (the template's ``threads``; the budget when it has none)."""
        return self.params.get("threads", self.threads)

    @property
    def best_library(self) -> tuple[str, float] | None:
        """The fastest library and its seconds, if any was timed."""
        if not self.library_s:
            return None
        name = min(self.library_s, key=lambda k: self.library_s[k])
        return name, self.library_s[name]

    @property
    def speedup(self) -> float | None:
        """Best library's time / kernel time (>1: the kernel is faster)."""
        best = self.best_library
        return best[1] / self.median_s if best and self.median_s else None


def finish_lane(lane: Lane, spec: KernelSpec, peaks: MachinePeaks | None) -> None:
    """Fill the medians, speeds and roofline of ``lane`` from its rounds (in place)."""
    if lane.round_s:
        lane.median_s = statistics.median(lane.round_s)
    lane.library_s = {lib: statistics.median(v) for lib, v in lane.library_round_s.items() if v}
    if lane.median_s is None:
        return
    shape = spec.bench_shapes[0]
    flops, moved = spec.flops_at(shape), spec.bytes_at(shape)
    lane.gflops = flops / lane.median_s / 1e9 if flops else None
    lane.gbs = moved / lane.median_s / 1e9 if moved else None
    if peaks is None:
        return
    compute = peaks.fma_gflops * max(1, min(lane.threads, os.cpu_count() or 1))
    if flops and moved:
        memory = flops / moved * peaks.copy_gbs if lane.exceeds_llc else float("inf")
        lane.roofline_gflops = min(compute, memory)
        lane.bound = "memory" if memory < compute else "compute" if lane.exceeds_llc else "compute (in cache)"
        lane.roofline_fraction = (lane.gflops or 0.0) / lane.roofline_gflops
    elif lane.gbs is not None:
        lane.bound = "memory"
        lane.roofline_fraction = lane.gbs / peaks.copy_gbs
