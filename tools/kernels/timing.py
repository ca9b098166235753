"""Timing native kernels: median and IQR over many samples, GFLOP/s, GB/s, fraction of roofline.

Only native targets are timed: an emulated target's times are not speed, so asking for them is a
usage error. The kernel runs in the sandbox through the same harness as the checker, in time
mode: warm-up calls, then samples of enough calls to last >= 1 ms each, cycling through copies of
the inputs so that the whole set is larger than the last-level cache when memory allows (the
record says whether it was). A result faster than the measured roofline is rejected as
suspicious: something (dead code, a cached answer, a broken timer) is wrong.

Every timed configuration is also checked, on the timed buffers: the harness resets the outputs
before each sample, and after timing returns what every input copy's outputs hold (compared with
the reference, every element; inout arrays, which the repeated calls keep updating, are checked
in the second block only), then copies fresh inputs into the same buffers, calls each copy once
more and returns those outputs too. A kernel that is right at the check shapes but not at the
bench shape, skips work when called many times, notices it is being timed, or answers from a
cache keyed by address is rejected here with the reason (``Timing.timed_check``), and so is a
kernel that defines a C library function the harness calls (its clock, its comparisons).
"""

from __future__ import annotations

import math
import os
import statistics
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from tools.errors import QimengError, UsageError
from tools.evidence import Check
from tools.kernels.build import KERNEL_BINARY, build_kernel
from tools.kernels.check import foreign_definitions, verify_outputs
from tools.kernels.harness import VERIFY_MAGIC, Trial, TrialRecord, decode_timing, encode_trials
from tools.kernels.inputs import make_trial
from tools.kernels.machine import MachinePeaks
from tools.kernels.spec import KernelSpec
from tools.settings import SandboxLimits
from tools.targets import Target, get_target
from tools.tracing import tool_span

ROTATION_BUDGET_BYTES = 512 * 1024 * 1024
"""Most memory spent on rotating input copies."""
SUSPICIOUS_MARGIN = 1.10
"""A result above roofline x this is rejected."""


class Timing(BaseModel):
    """The speed of one kernel at one shape on one native target."""

    shape: dict[str, int | float] = Field(description="Scalar values timed.")
    median_s: float = Field(description="Median seconds per call.")
    iqr_s: float = Field(description="Interquartile range of seconds per call.")
    samples: int = Field(description="Samples taken.")
    calls_per_sample: int = Field(description="Calls averaged in each sample.")
    rotating_sets: int = Field(description="Copies of the inputs cycled through.")
    working_set_bytes: int = Field(description="Bytes of all copies together.")
    exceeds_llc: bool = Field(description="The copies together are larger than the last-level cache.")
    gflops: float | None = Field(None, description="GFLOP/s at the median, when the spec declares flops.")
    gbs: float | None = Field(None, description="GB/s at the median (bytes_moved / time).")
    roofline_gflops: float | None = Field(
        None, description="Attainable GFLOP/s at this arithmetic intensity."
    )
    fraction_of_roofline: float | None = Field(None, description="gflops / roofline_gflops.")
    suspicious: bool = Field(False, description="Faster than the roofline allows: rejected.")
    note: str = Field("", description="Why it is suspicious, or other remarks.")
    timed_check: str = Field(
        "",
        description="Empty when the outputs of the timed calls (every input copy, then fresh inputs "
        "in the same buffers) matched the reference; else why not: the timing is rejected.",
    )


class BenchResult(BaseModel):
    """Timings of one kernel at its bench shapes, with the evidence record."""

    kernel: str
    target: str
    peaks: MachinePeaks | None = None
    timings: list[Timing] = Field(default_factory=list)
    check: Check

    @property
    def ok(self) -> bool:
        """True when every shape was timed, checked on its timed buffers, and none was suspicious."""
        return self.check.status == "pass"


@tool_span("time_kernel", lambda bench: bench.check.status)
def time_kernel(
    source: str,
    spec: KernelSpec,
    target: Target | str = "x86_64",
    *,
    shapes: list[dict[str, int | float]] | None = None,
    peaks: MachinePeaks | None = None,
    samples: int = 30,
    warmup: int = 3,
    seed: int = 0,
    workdir: Path | None = None,
    threads: int = 1,
) -> BenchResult:
    """Time ``source`` at ``shapes`` (default: ``spec.bench_shapes``, else the last test shape).

    ``threads`` is how many cores the kernel may use: the compute roof is the one-core peak times
    that (capped at the machine's cores), so a parallel kernel is not called suspicious for beating
    one core.

    Check the kernel with :func:`check_kernel` first. This function also verifies what the timed
    calls wrote (module docstring); a wrong timed result fails the returned check.

    Raises:
        UsageError: for an emulated target (its times are not speed) or samples < 5.
        QimengError: when the kernel does not build or a timing run fails.
    """
    tgt = get_target(target) if isinstance(target, str) else target
    if tgt.emulated:
        raise UsageError(
            f"target '{tgt.name}' is emulated: its times are not speed; time on a native target (x86_64)"
        )
    if samples < 5:
        raise UsageError(f"samples must be at least 5 to give a median and IQR, got {samples}")
    cases = shapes or spec.bench_shapes or spec.shapes[-1:]
    if workdir is not None:
        return _time_in(source, spec, tgt, cases, peaks, samples, warmup, seed, workdir, threads)
    with tempfile.TemporaryDirectory(prefix="qimeng-ktime-") as tmp:
        return _time_in(source, spec, tgt, cases, peaks, samples, warmup, seed, Path(tmp), threads)


def _time_in(
    source: str,
    spec: KernelSpec,
    tgt: Target,
    cases: list[dict[str, int | float]],
    peaks: MachinePeaks | None,
    samples: int,
    warmup: int,
    seed: int,
    workdir: Path,
    threads: int = 1,
) -> BenchResult:
    started = time.monotonic()
    built = build_kernel(source, spec, tgt, workdir)
    if not built.ok:
        raise QimengError(f"kernel '{spec.name}' does not compile for {tgt.name}: {built.log[:500]}")
    foreign = foreign_definitions(tgt, workdir) if not tgt.emulated else []
    if foreign:
        raise QimengError(
            f"kernel '{spec.name}' defines {', '.join(foreign)}, which the harness calls from the C "
            "library: the timer or the checks would run the kernel's code; not timed"
        )
    llc = peaks.machine.llc_bytes if peaks else 0
    timings = []
    for case in cases:
        trial = make_trial(spec, case, np.random.default_rng(seed))
        # the second trial: fresh inputs of the same shape for the same buffers after timing
        fresh = make_trial(spec, case, np.random.default_rng(seed + 7919))
        fresh = Trial(scalars=dict(trial.scalars), arrays=fresh.arrays)
        set_bytes = max(1, sum(int(a.nbytes) for a in trial.arrays.values()))
        sets = max(
            1, min(math.ceil(2 * llc / set_bytes) if llc else 1, ROTATION_BUDGET_BYTES // set_bytes, 4096)
        )
        (workdir / "qm_time_in.bin").write_bytes(encode_trials(spec, [trial, fresh]))
        args = ["time", "qm_time_in.bin", "qm_time_out.bin", str(samples), str(sets), str(warmup), "0.001"]
        run = tgt.run(
            workdir, KERNEL_BINARY, args, limits=SandboxLimits(wall_s=300.0, cpu_s=300, memory_mb=4096)
        )
        if not run.ok:
            raise QimengError(
                f"timing run of '{spec.name}' at {case} failed: {run.describe()}: {run.stderr[:300]}"
            )
        data = (workdir / "qm_time_out.bin").read_bytes()
        inner, per_call = decode_timing(data)
        timing = _summarize(spec, trial.scalars, per_call, inner, sets, set_bytes, llc, peaks, threads)
        timing.timed_check = _check_timed_buffers(spec, [trial, fresh], data, 24 + 8 * len(per_call))
        timings.append(timing)
    wrong = [t for t in timings if t.timed_check]
    bad = [t for t in timings if t.suspicious]
    if wrong:
        summary = f"the timed calls at {wrong[0].shape} are not right: {wrong[0].timed_check}"
    elif bad:
        summary = f"{len(bad)} result(s) faster than the roofline: {bad[0].note}"
    else:
        summary = f"timed {len(timings)} shape(s); the timed buffers matched the reference"
    check = Check(
        name="timing",
        tool=f"{tgt.describe()}; harness clock_gettime(CLOCK_MONOTONIC)",
        status="fail" if bad or wrong else "pass",
        summary=summary,
        seeds=[seed],
        details={
            "timings": [t.model_dump() for t in timings],
            "peaks": peaks.model_dump() if peaks else None,
        },
        duration_s=time.monotonic() - started,
    )
    return BenchResult(kernel=spec.name, target=tgt.name, peaks=peaks, timings=timings, check=check)


def _check_timed_buffers(spec: KernelSpec, trials: list[Trial], data: bytes, pos: int) -> str:
    """'' when both verification blocks after the samples match the reference, else why not."""
    for block, trial in enumerate(trials):
        sets, pos, why = _decode_sets(spec, trial, data, pos, VERIFY_MAGIC + block)
        if why:
            return why
        label = "after timing" if block == 0 else "with fresh inputs in the timed buffers"
        # repeated calls keep updating inout arrays: only the fresh block can check them
        skip = {a.name for a in spec.outputs if a.role == "inout"} if block == 0 else set()
        reason = verify_outputs(spec, trial, sets, skip=skip)
        if reason:
            return f"{label}: {reason}"
    return ""


def _decode_sets(
    spec: KernelSpec, trial: Trial, data: bytes, pos: int, magic: int
) -> tuple[list[TrialRecord], int, str]:
    if pos + 16 > len(data) or struct.unpack_from("<Q", data, pos)[0] != magic:
        return [], pos, "the harness did not return the timed buffers (output truncated or altered)"
    (count,) = struct.unpack_from("<Q", data, pos + 8)
    pos += 16
    records: list[TrialRecord] = []
    for index in range(count):
        rec = TrialRecord(trial=index)
        if pos + 2 * len(spec.arrays) > len(data):
            return records, pos, "the timed buffers are truncated"
        for a in spec.arrays:
            rec.guards_ok[a.name] = data[pos] == 1
            rec.inputs_unchanged[a.name] = data[pos + 1] == 1
            pos += 2
        for a in spec.outputs:
            template = trial.arrays[a.name]
            size = template.size * a.np_dtype.itemsize
            if pos + size > len(data):
                return records, pos, "the timed buffers are truncated"
            rec.outputs[a.name] = np.frombuffer(
                data, dtype=a.np_dtype, count=template.size, offset=pos
            ).reshape(template.shape)
            pos += size
        records.append(rec)
    return records, pos, ""


def _summarize(
    spec: KernelSpec,
    scalars: dict[str, int | float],
    per_call: list[float],
    inner: int,
    sets: int,
    set_bytes: int,
    llc: int,
    peaks: MachinePeaks | None,
    threads: int = 1,
) -> Timing:
    q1, median, q3 = statistics.quantiles(per_call, n=4)
    median = statistics.median(per_call)
    flops = spec.flops_at(scalars)
    moved = spec.bytes_at(scalars)
    gflops = flops / median / 1e9 if flops and median > 0 else None
    gbs = moved / median / 1e9 if moved and median > 0 else None
    working = sets * set_bytes
    exceeds = bool(llc) and working > llc
    roof = frac = None
    suspicious, note = False, ""
    if peaks and flops and moved:
        cores = max(1, min(threads, os.cpu_count() or 1))
        compute = peaks.fma_gflops * cores
        roof = min(compute, flops / moved * peaks.copy_gbs) if exceeds else compute
        frac = gflops / roof if gflops is not None and roof > 0 else None
        if frac is not None and frac > SUSPICIOUS_MARGIN:
            suspicious = True
            note = f"{gflops:.1f} GFLOP/s exceeds the roofline {roof:.1f} GFLOP/s at {scalars}"
    elif peaks and gbs is not None and exceeds and gbs > SUSPICIOUS_MARGIN * peaks.copy_gbs:
        suspicious = True
        note = f"{gbs:.1f} GB/s exceeds the measured bandwidth {peaks.copy_gbs:.1f} GB/s at {scalars}"
    if not exceeds and not note:
        note = "working set fits in the last-level cache: roofline uses the compute peak only"
    return Timing(
        shape=scalars,
        median_s=median,
        iqr_s=q3 - q1,
        samples=len(per_call),
        calls_per_sample=inner,
        rotating_sets=sets,
        working_set_bytes=working,
        exceeds_llc=exceeds,
        gflops=gflops,
        gbs=gbs,
        roofline_gflops=roof,
        fraction_of_roofline=frac,
        suspicious=suspicious,
        note=note,
    )
