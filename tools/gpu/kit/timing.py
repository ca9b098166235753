"""Timing GPU calls: CUDA events on the current stream, warm-up, median of many reps, L2 flush.

Each timed rep is preceded by a write of a 256 MB buffer (larger than H100/H200 L2), so no rep
finds its operands in cache. A second, back-to-back loop is timed both with events on the current
stream and by wall clock between two ``torch.cuda.synchronize()`` calls; when they disagree by
more than :data:`MAX_EVENT_WALL_GAP` the candidate hid work from the events (side streams) and is
rejected. :func:`judge` also rejects a rate above the measured peak times :data:`ROOFLINE_MARGIN`.
On CPU (dry runs) times come from ``time.perf_counter`` and the event check is not applicable.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

FLUSH_BYTES = 256 * 1024 * 1024
CPU_FLUSH_BYTES = 8 * 1024 * 1024
"""Dry runs on CPU flush less: they test the harness, not the speed."""
MAX_EVENT_WALL_GAP = 0.20
"""Wall clock may exceed the events by at most this fraction."""
ROOFLINE_MARGIN = 1.05
"""A rate above measured peak x this is rejected."""


@dataclass
class TimingRecord:
    """Timing of one call: per-rep median and spread, plus the events-vs-wall loop."""

    median_ms: float
    min_ms: float
    p20_ms: float
    p80_ms: float
    reps: int
    loop_event_ms: float | None
    loop_wall_ms: float
    loop_reps: int
    flushed_bytes: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def time_call(
    fn: Callable[[], object], device: str, *, reps: int, warmup: int, flush_bytes: int = FLUSH_BYTES
) -> TimingRecord:
    """Time ``fn()`` ``reps`` times after ``warmup`` calls (see module docstring)."""
    import torch

    if reps < 3:
        raise ValueError(f"reps must be >= 3 for a median and spread, got {reps}")
    cuda = device.startswith("cuda")
    if not cuda:
        flush_bytes = min(flush_bytes, CPU_FLUSH_BYTES)
    flush = torch.empty(max(flush_bytes // 4, 1), dtype=torch.int32, device=device)
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    if cuda:
        torch.cuda.synchronize()
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        for start, end in zip(starts, ends, strict=True):
            flush.zero_()
            start.record()
            fn()
            end.record()
        torch.cuda.synchronize()
        samples = [s.elapsed_time(e) for s, e in zip(starts, ends, strict=True)]
    else:
        for _ in range(reps):
            flush.zero_()
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1e3)
    loop_event_ms: float | None = None
    # the loop lasts >= ~20 ms so fixed costs (synchronize latency) stay far below the 20% gap
    loop_reps = max(reps, min(5000, int(20.0 / max(statistics.median(samples), 1e-3)) + 1))
    if cuda:
        torch.cuda.synchronize()
        ev0 = torch.cuda.Event(enable_timing=True)
        ev1 = torch.cuda.Event(enable_timing=True)
        t0 = time.perf_counter()
        ev0.record()
        for _ in range(loop_reps):
            fn()
        ev1.record()
        torch.cuda.synchronize()
        loop_wall_ms = (time.perf_counter() - t0) * 1e3
        loop_event_ms = ev0.elapsed_time(ev1)
    else:
        t0 = time.perf_counter()
        for _ in range(loop_reps):
            fn()
        loop_wall_ms = (time.perf_counter() - t0) * 1e3
    ordered = sorted(samples)
    return TimingRecord(
        median_ms=statistics.median(samples),
        min_ms=ordered[0],
        p20_ms=ordered[int(0.2 * (len(ordered) - 1))],
        p80_ms=ordered[int(0.8 * (len(ordered) - 1))],
        reps=reps,
        loop_event_ms=loop_event_ms,
        loop_wall_ms=loop_wall_ms,
        loop_reps=loop_reps,
        flushed_bytes=flush_bytes if flush_bytes > 0 else 0,
    )


def tflops(flops: float, ms: float) -> float:
    """TFLOP/s for ``flops`` in ``ms`` milliseconds."""
    return flops / (ms * 1e-3) / 1e12 if ms > 0 else float("inf")


def judge(timing: TimingRecord, flops: float, peak_tflops: float | None) -> tuple[bool, str]:
    """(accepted, reason): reject hidden work (events vs wall) and rates above measured peak."""
    if timing.median_ms <= 0:
        return False, f"median time {timing.median_ms} ms is not positive: the timer is broken"
    if timing.loop_event_ms is not None:
        gap = timing.loop_wall_ms / max(timing.loop_event_ms, 1e-9) - 1.0
        if gap > MAX_EVENT_WALL_GAP:
            return False, (
                f"wall clock {timing.loop_wall_ms:.3f} ms exceeds CUDA events "
                f"{timing.loop_event_ms:.3f} ms by {gap:.0%} (> {MAX_EVENT_WALL_GAP:.0%}): "
                "work ran outside the timed stream"
            )
    rate = tflops(flops, timing.median_ms)
    if peak_tflops is not None and rate > peak_tflops * ROOFLINE_MARGIN:
        return False, (
            f"{rate:.1f} TFLOP/s is above the measured peak {peak_tflops:.1f} x {ROOFLINE_MARGIN}: "
            "work was skipped or the timer is wrong"
        )
    return True, ""
