"""Differential testing of a C kernel against its NumPy reference, on any target.

:func:`check_kernel` compiles the kernel with a generated harness in the sandbox, runs it (under
QEMU for cross targets) on fresh seeded random inputs for every test shape, twice with different
inputs in the same process (a kernel that remembers its first answer fails the second round),
and compares every output with the reference. It never raises for a bad kernel: compile errors,
crashes, hangs, out-of-bounds writes, unwritten outputs, NaN and wrong answers all come back as
a :class:`KernelVerdict` with the reason, and only ``pass`` means correct.
"""

from __future__ import annotations

import hashlib
import secrets
import signal
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from tools.errors import QimengError, UsageError
from tools.evidence import Check
from tools.kernels.build import KERNEL_BINARY, build_kernel, compile_kernel_only
from tools.kernels.compare import compare_output
from tools.kernels.harness import Trial, TrialRecord, decode_records, encode_trials
from tools.kernels.inputs import make_trial
from tools.kernels.spec import KernelSpec
from tools.sandbox import SandboxResult, run_sandboxed
from tools.settings import SandboxLimits, get_settings
from tools.targets import Target, get_target
from tools.tracing import tool_span

Status = Literal[
    "pass",
    "wrong",
    "nan",
    "unwritten",
    "out_of_bounds",
    "input_modified",
    "crash",
    "timeout",
    "compile_error",
    "unavailable",
    "tampered",
    "error",
]
IN_FILE, OUT_FILE = "qm_in.bin", "qm_out.bin"


class TrialResult(BaseModel):
    """The outcome of one kernel call: shape, round, seed, per-output errors."""

    shape: dict[str, int | float] = Field(description="Scalar values of this call.")
    round: int = Field(description="0 for the first pass over the shapes, 1 for the fresh-input repeat.")
    seed: int = Field(description="Seed of this call's inputs.")
    status: Status = Field(description="pass or what went wrong.")
    reason: str = Field("", description="Why it failed, for a human.")
    rel_errors: dict[str, float] = Field(default_factory=dict, description="Relative norm error per output.")


class KernelVerdict(BaseModel):
    """The checker's answer for one kernel on one target."""

    kernel: str = Field(description="C function name.")
    target: str = Field(description="Target name.")
    status: Status = Field(description="pass only when every call on every shape matched the reference.")
    reason: str = Field("", description="The first failure, for a human; empty on pass.")
    emulated: bool = Field(description="Ran under an emulator: correctness only, no speed.")
    seeds: list[int] = Field(default_factory=list, description="Seeds of every call, in order.")
    trials: list[TrialResult] = Field(default_factory=list, description="Every call that was evaluated.")
    compile_log: str = Field("", description="Compiler diagnostics.")
    source_sha256: str = Field("", description="SHA-256 of the source that was checked.")
    check: Check = Field(description="The evidence record of this check.")

    @property
    def ok(self) -> bool:
        """True only when the kernel passed."""
        return self.status == "pass"


@tool_span("check_kernel", lambda verdict: verdict.check.status)
def check_kernel(
    source: str,
    spec: KernelSpec,
    target: Target | str = "x86_64",
    *,
    seed: int | None = None,
    rounds: int = 2,
    shapes: list[dict[str, int | float]] | None = None,
    workdir: Path | None = None,
    limits: SandboxLimits | None = None,
) -> KernelVerdict:
    """Check ``source`` against ``spec`` on ``target``.

    Args:
        source: the kernel's C (or CUDA) source, defining ``spec.prototype()``.
        spec: what it must compute.
        target: a Target or a registry name.
        seed: base seed; random when None (it is recorded either way).
        rounds: passes over the shapes with fresh inputs in one process (>= 2 catches cached answers).
        shapes: override ``spec.shapes``.
        workdir: where to build and run (kept); a temporary directory when None.
        limits: sandbox limits for the run; default: the settings' limits.

    Raises:
        UsageError: for an unknown target, rounds < 1, or a shape that does not fit the spec.
    """
    tgt = get_target(target) if isinstance(target, str) else target
    if rounds < 1:
        raise UsageError(f"rounds must be at least 1, got {rounds}")
    base_seed = seed if seed is not None else secrets.randbelow(2**31)
    cases = shapes or spec.shapes
    plan = [(r, i, base_seed + 1000 * r + i) for r in range(rounds) for i in range(len(cases))]
    trials = [make_trial(spec, cases[i], np.random.default_rng(s)) for r, i, s in plan]
    if workdir is not None:
        return _check_in(source, spec, tgt, base_seed, plan, cases, trials, workdir, limits)
    with tempfile.TemporaryDirectory(prefix="qimeng-kcheck-") as tmp:
        return _check_in(source, spec, tgt, base_seed, plan, cases, trials, Path(tmp), limits)


def _check_in(
    source: str,
    spec: KernelSpec,
    tgt: Target,
    base_seed: int,
    plan: list[tuple[int, int, int]],
    cases: list[dict[str, int | float]],
    trials: list[Trial],
    workdir: Path,
    limits: SandboxLimits | None,
) -> KernelVerdict:
    started = time.monotonic()
    seeds = [s for _, _, s in plan]
    avail = tgt.availability()

    def verdict(status: Status, reason: str, results: list[TrialResult], log: str = "") -> KernelVerdict:
        check_status = {"pass": "pass", "unavailable": "unsupported", "error": "error"}.get(status, "fail")
        tool = "; ".join(avail.tools.values()) or tgt.name
        check = Check(
            name="difftest",
            tool=tool,
            status=check_status,  # type: ignore[arg-type]
            summary=f"{spec.name} on {tgt.describe()}: {status}" + (f": {reason}" if reason else ""),
            seeds=seeds,
            details={
                "target": tgt.name,
                "emulated": tgt.emulated,
                "base_seed": base_seed,
                "shapes": cases,
                "trials": [t.model_dump() for t in results],
            },
            duration_s=time.monotonic() - started,
        )
        return KernelVerdict(
            kernel=spec.name,
            target=tgt.name,
            status=status,
            reason=reason,
            emulated=tgt.emulated,
            seeds=seeds,
            trials=results,
            compile_log=log,
            source_sha256=hashlib.sha256(source.encode()).hexdigest(),
            check=check,
        )

    if not avail.can_compile:
        return verdict("unavailable", avail.reason, [])
    built = (
        build_kernel(source, spec, tgt, workdir)
        if avail.can_run
        else compile_kernel_only(source, spec, tgt, workdir)
    )
    if not built.ok:
        return verdict(
            "compile_error", _first_lines(built.log) or "the compiler produced no binary", [], built.log
        )
    if not avail.can_run:
        return verdict("unavailable", f"compiled, but cannot run: {avail.reason}", [], built.log)
    foreign = foreign_definitions(tgt, workdir) if not tgt.emulated else []
    if foreign:
        why = (
            f"the kernel defines {', '.join(foreign)}, which the harness calls from the C library: "
            "its clock or its checks would run the kernel's code"
        )
        return verdict("tampered", why, [], built.log)
    (workdir / IN_FILE).write_bytes(encode_trials(spec, trials))
    (workdir / OUT_FILE).unlink(missing_ok=True)
    run = tgt.run(workdir, KERNEL_BINARY, ["check", IN_FILE, OUT_FILE], limits=limits or _run_limits(tgt))
    out_path = workdir / OUT_FILE
    data = out_path.read_bytes() if out_path.is_file() else b""
    records, finished = decode_records(spec, trials, data)
    results = [_evaluate(spec, trials[rec.trial], rec, plan[rec.trial]) for rec in records]
    failed = next((r for r in results if r.status != "pass"), None)
    if failed is not None:
        return verdict(failed.status, _where(failed) + failed.reason, results, built.log)
    if not run.ok or not finished or len(records) < len(trials):
        index = len(records)
        r, i, s = plan[min(index, len(plan) - 1)]
        status, why = _run_failure(run)
        where = f"shape {cases[i]} (round {r}, seed {s}): "
        results.append(TrialResult(shape=cases[i], round=r, seed=s, status=status, reason=why))
        return verdict(status, where + why, results, built.log)
    return verdict("pass", "", results, built.log)


def _evaluate(spec: KernelSpec, trial: Trial, rec: TrialRecord, planned: tuple[int, int, int]) -> TrialResult:
    rnd, _, seed = planned
    base = {"shape": trial.scalars, "round": rnd, "seed": seed}
    for name, ok in rec.guards_ok.items():
        if not ok:
            why = f"wrote outside '{name}' (the guard zone around the buffer changed)"
            return TrialResult(**base, status="out_of_bounds", reason=why)
    for name, same in rec.inputs_unchanged.items():
        if not same:
            return TrialResult(**base, status="input_modified", reason=f"modified the input array '{name}'")
    args: dict[str, Any] = dict(trial.scalars)
    for a in spec.arrays:
        if a.role != "out":
            args[a.name] = trial.arrays[a.name].copy()
    try:
        ref = dict(spec.reference(**args))
    except Exception as exc:  # the reference is user code; its failure is a verdict, not a crash
        return TrialResult(**base, status="error", reason=f"the reference raised {type(exc).__name__}: {exc}")
    errors: dict[str, float] = {}
    for a in spec.outputs:
        if a.name not in ref:
            return TrialResult(**base, status="error", reason=f"the reference returned no '{a.name}'")
        cmp = compare_output(a, rec.outputs[a.name], ref[a.name], spec.tolerance_for(a))
        errors[a.name] = cmp.rel_error
        if cmp.status != "pass":
            return TrialResult(**base, status=cmp.status, reason=cmp.reason, rel_errors=errors)  # type: ignore[arg-type]
    return TrialResult(**base, status="pass", rel_errors=errors)


HARNESS_LIBC = frozenset(
    {
        "aligned_alloc", "calloc", "clock_gettime", "exit", "fclose", "fflush", "fopen", "fprintf",
        "fread", "free", "fwrite", "malloc", "memcmp", "memcpy", "memset", "strcmp", "strtod",
        "strtoull",
    }
)  # fmt: skip
"""C library functions the harness calls: a kernel that defines one replaces the harness's clock
(timer patching) or its comparisons (checker patching) in the linked program."""


def foreign_definitions(tgt: Target, workdir: Path) -> list[str]:
    """Names from :data:`HARNESS_LIBC` that the built program defines itself (only the kernel can).

    Reads the symbol table of ``workdir/qm_kernel.bin`` with ``nm`` in the sandbox. Meaningful for
    native (dynamically linked) programs only: a static cross build defines the whole C library,
    so emulated targets are not read (they are never timed; their checks are not guarded here).

    Raises:
        QimengError: when ``nm`` cannot read the program.
    """
    run = run_sandboxed(
        ["nm", "--defined-only", "--extern-only", KERNEL_BINARY],
        workdir,
        limits=get_settings().sandbox.model_copy(update={"wall_s": 30.0}),
    )
    if not run.ok:
        raise QimengError(f"nm could not read the {tgt.name} program: {run.describe()}: {run.stderr[:300]}")
    names = {line.split()[-1].split("@")[0] for line in run.stdout.splitlines() if line.strip()}
    return sorted(names & HARNESS_LIBC)


def verify_outputs(
    spec: KernelSpec,
    trial: Trial,
    records: list[TrialRecord],
    *,
    skip: set[str] | frozenset[str] = frozenset(),
) -> str:
    """'' when every record (calls on ``trial``'s inputs) kept its guards and inputs and matches
    the reference in every output not in ``skip``; else the first failure, naming the copy."""
    args: dict[str, Any] = dict(trial.scalars)
    for a in spec.arrays:
        if a.role != "out":
            args[a.name] = trial.arrays[a.name].copy()
    ref = dict(spec.reference(**args))
    for index, rec in enumerate(records):
        where = f"input copy {index} of {len(records)}: "
        for name, ok in rec.guards_ok.items():
            if not ok:
                return where + f"out_of_bounds: wrote outside '{name}'"
        for name, same in rec.inputs_unchanged.items():
            if not same:
                return where + f"input_modified: modified the input array '{name}'"
        for a in spec.outputs:
            if a.name in skip:
                continue
            cmp = compare_output(a, rec.outputs[a.name], ref[a.name], spec.tolerance_for(a))
            if cmp.status != "pass":
                return where + f"{cmp.status}: {cmp.reason}"
    return ""


def _run_failure(run: SandboxResult) -> tuple[Status, str]:
    if "wall" in run.limits_hit or "cpu" in run.limits_hit:
        return "timeout", f"did not finish: {run.describe()} (hang or far too slow)"
    if run.limits_hit:  # memory, nproc, fsize: name the limit and its setting, not just the signal
        signame = f" ({signal.Signals(run.signal).name})" if run.signal is not None else ""
        return "crash", f"{run.describe()}{signame}" + (
            f": {_first_lines(run.stderr)}" if run.stderr.strip() else ""
        )
    if run.signal is not None:
        name = signal.Signals(run.signal).name
        return "crash", f"crashed with {name}" + (
            f": {_first_lines(run.stderr)}" if run.stderr.strip() else ""
        )
    if run.exit_code not in (0, None):
        detail = _first_lines(run.stderr)
        # qemu reports a guest's fatal signal on stderr and exits with 128+N or -N semantics.
        return "crash", f"exited with status {run.exit_code}" + (f": {detail}" if detail else "")
    return "crash", "the harness stopped before finishing every call (output truncated)"


def _run_limits(tgt: Target) -> SandboxLimits:
    base = get_settings().sandbox
    return base.model_copy(update={"wall_s": min(base.wall_s, 120.0 if tgt.emulated else 60.0)})


def _where(result: TrialResult) -> str:
    return f"shape {result.shape} (round {result.round}, seed {result.seed}): "


def _first_lines(text: str, count: int = 6) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[:count])
