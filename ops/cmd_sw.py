"""``qimeng sw``: check a C kernel against its reference on a target, and time it natively."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ops.exits import QimengGroup
from tools.errors import QimengError, UsageError
from tools.evidence import Evidence
from tools.kernels.check import check_kernel
from tools.kernels.machine import machine_peaks
from tools.kernels.refload import REF_FORMAT, load_spec
from tools.kernels.timing import time_kernel
from tools.runstore import new_run
from tools.targets import TARGETS, get_target
from tools.userfile import read_user_text

app = typer.Typer(
    cls=QimengGroup,
    help="Software kernels: differential checks on every target, native timing.",
    no_args_is_help=True,
)
_console = Console()


def _read_source(path: Path) -> str:
    return read_user_text(path, "kernel file")


def _trusted(ref: Path, trusted: bool) -> Path:
    """``ref`` once the user has said it is trusted code (it is imported, not sandboxed)."""
    if not trusted:
        raise UsageError(
            f"{ref} is Python that runs in this process with your privileges (it is not sandboxed, unlike "
            "the kernel); read it, then pass --trust-ref to confirm you trust it"
        )
    return ref


@app.command(
    help=f"""Check KERNEL.c against the reference in REF.py on a target; exit 0 only when correct.

Runs every test shape twice with fresh seeded random inputs, in the sandbox (under QEMU for
aarch64/riscv64), and rejects wrong answers, NaN, unwritten outputs, out-of-bounds writes,
modified inputs, crashes, hangs and compile errors. Exit 1 when the kernel is not correct.

Examples:

  qimeng sw check saxpy.c --ref saxpy_ref.py --trust-ref --target riscv64 --vlen 512

  qimeng sw check gemm.c --ref gemm_ref.py --trust-ref --json

The kernel runs in the sandbox; REF.py does not: it is imported into this process (NumPy needs it
there) with your privileges, so it must be code you trust. --trust-ref says you have read it.

{REF_FORMAT}"""
)
def check(
    kernel: Path = typer.Argument(..., help="The kernel's C source (CUDA: .cu)."),
    ref: Path = typer.Option(..., "--ref", help="Python file defining SPEC (see above)."),
    trust_ref: bool = typer.Option(
        False, "--trust-ref", help="Confirm REF.py is trusted code: it runs unsandboxed in this process."
    ),
    target: str = typer.Option("x86_64", "--target", "-t", help=f"One of: {', '.join(sorted(TARGETS))}."),
    vlen: int | None = typer.Option(None, "--vlen", help="riscv64 only: vector length in bits (128-1024)."),
    seed: int | None = typer.Option(None, "--seed", help="Base seed (random when unset; always reported)."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    source = _read_source(kernel)
    tgt = get_target(target, **({"vlen": vlen} if vlen is not None else {}))
    spec = load_spec(_trusted(ref, trust_ref))
    with _console.status(f"checking {spec.name} on {tgt.describe()}", spinner="dots"):
        verdict = check_kernel(source, spec, tgt, seed=seed)
    run = new_run(f"sw check {kernel} --ref {ref} --target {target}")
    run.write(kernel.name, source, kind="kernel", target=target)
    run.write_json("evidence.json", Evidence(checks=[verdict.check]), kind="evidence")
    run.finish("done" if verdict.ok else "failed", passed=verdict.ok)
    if as_json:
        typer.echo(verdict.model_dump_json(indent=2))
    else:
        mark = "[green]PASS[/green]" if verdict.ok else f"[red]{verdict.status.upper()}[/red]"
        _console.print(f"{mark} {spec.name} on {tgt.describe()}", highlight=False)
        if verdict.reason:
            _console.print(verdict.reason, highlight=False, markup=False)
        _console.print(f"{len(verdict.trials)} calls, seeds {verdict.seeds[:3]}...", highlight=False)
        _console.print(f"run: {run.path} (evidence.json, manifest.json)", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if verdict.ok else 1)


@app.command(
    help="""Check KERNEL.c natively, then time it at the spec's bench shapes and print a table.

Reports the median time per call and its IQR, GFLOP/s, GB/s and the fraction of the roofline
built from this machine's measured peaks (cached under <run_dir>/machine/). Results faster than
the roofline are rejected (exit 1). Only native targets are timed.

Examples:

  qimeng sw bench gemm.c --ref gemm_ref.py --trust-ref

  qimeng sw bench saxpy.c --ref saxpy_ref.py --trust-ref --samples 50 --json

REF.py runs unsandboxed in this process (see 'sw check --help'): pass --trust-ref.
"""
)
def bench(
    kernel: Path = typer.Argument(..., help="The kernel's C source."),
    ref: Path = typer.Option(..., "--ref", help="Python file defining SPEC (see 'sw check --help')."),
    trust_ref: bool = typer.Option(
        False, "--trust-ref", help="Confirm REF.py is trusted code: it runs unsandboxed in this process."
    ),
    samples: int = typer.Option(30, "--samples", help="Timing samples per shape (>= 5)."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    source = _read_source(kernel)
    spec = load_spec(_trusted(ref, trust_ref))
    with _console.status(f"checking {spec.name} on x86_64", spinner="dots"):
        verdict = check_kernel(source, spec, "x86_64")
    if not verdict.ok:
        raise QimengError(f"not timed: the kernel is not correct ({verdict.status}): {verdict.reason}")
    with _console.status("measuring machine peaks (cached after the first time)", spinner="dots"):
        peaks = machine_peaks()
    with _console.status(f"timing {spec.name}", spinner="dots"):
        result = time_kernel(source, spec, "x86_64", peaks=peaks, samples=samples)
    if as_json:
        typer.echo(json.dumps({"check": verdict.check.model_dump(), "bench": result.model_dump()}, indent=2))
        raise typer.Exit(0 if result.ok else 1)
    table = Table(title=f"{spec.name} on {peaks.machine.cpu_model} ({peaks.machine.cores} cores)")
    for col in ("shape", "median", "IQR", "GFLOP/s", "GB/s", "roofline", "of roofline", "note"):
        table.add_column(col)
    for t in result.timings:
        table.add_row(
            ", ".join(f"{k}={v:g}" for k, v in t.shape.items()),
            f"{t.median_s * 1e6:.1f} us",
            f"{t.iqr_s * 1e6:.1f} us",
            f"{t.gflops:.2f}" if t.gflops is not None else "-",
            f"{t.gbs:.2f}" if t.gbs is not None else "-",
            f"{t.roofline_gflops:.1f}" if t.roofline_gflops is not None else "-",
            f"{t.fraction_of_roofline:.0%}" if t.fraction_of_roofline is not None else "-",
            ("[red]SUSPICIOUS[/red] " if t.suspicious else "") + t.note,
        )
    _console.print(table)
    _console.print(
        f"peaks: {peaks.fma_gflops:.1f} GFLOP/s f32 FMA, {peaks.copy_gbs:.1f} GB/s copy", highlight=False
    )
    raise typer.Exit(0 if result.ok else 1)
