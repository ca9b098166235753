"""``qimeng eval kernels``: the kernel-suite benchmark from the command line.

Only parses arguments, calls :func:`evals.kernels.run_suite`, draws progress and the table;
exits 2 on usage errors, 1 on other qimeng errors or when any kernel fails its checks.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals.kernels import KernelRow, SuiteReport, pick_problems, run_suite
from tools.errors import QimengError, UsageError
from tools.targets import CPU_TARGETS

app = typer.Typer(help="Software benchmarks: the kernel suite.")
_console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Software benchmarks: the kernel suite."""


@app.command("kernels")
def kernels_cmd(
    target: Annotated[
        list[str] | None,
        typer.Option("--target", "-t", help="CPU target(s); repeat for several. Default: all."),
    ] = None,
    quick: Annotated[bool, typer.Option("--quick", help="A smaller subset of the suite.")] = False,
    budget: Annotated[int, typer.Option("--budget", min=1, max=64, help="Tuner candidates per kernel.")] = 6,
    seed: Annotated[int, typer.Option("--seed", help="Base seed of the checks.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Design every suite kernel offline, check it with the evaluator's references, race x86_64 against NumPy.

    Examples:

      qimeng eval kernels --target x86_64             # speed table against NumPy / OpenBLAS

      qimeng eval kernels --quick                     # every CPU target, smaller suite

      qimeng eval kernels -t riscv64 -t aarch64 --json

    Suite: GEMM (256^3, 513x257x129, 1024^3), softmax, layernorm, conv2d, attention, Focal Split
    480x360, wavefront PSF 128. Emulated targets are checked for correctness only.
    """
    targets = target or list(CPU_TARGETS)
    total = len(pick_problems(quick)) * len(targets)
    try:
        bar = Progress(
            TextColumn("kernels"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=_console
        )
        with bar:
            task = bar.add_task("kernels", total=total)
            report = run_suite(
                targets, quick=quick, budget=budget, seed=seed, on_row=lambda _r: bar.advance(task)
            )
    except UsageError as exc:
        _console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except QimengError as exc:
        _console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(_as_dict(report), indent=2))
    else:
        _print(report)
    if any(r.oracle != "pass" for r in report.rows):
        raise typer.Exit(1)


def _as_dict(report: SuiteReport) -> dict[str, object]:
    data = report.model_dump(mode="json")
    for row, out in zip(report.rows, data["rows"], strict=True):
        out["speedup_env"], out["speedup_clean"] = row.speedup_env, row.speedup_clean
    return data


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def _speed(row: KernelRow) -> str:
    if row.gflops:
        return f"{row.gflops:.1f} GFLOP/s"
    return _fmt(row.gbs, "{:.1f} GB/s")


def _blas(rows: list[dict[str, object]]) -> str:
    return ", ".join(f"{b.get('internal_api')} {b.get('architecture')}" for b in rows) or "-"


def _print(report: SuiteReport) -> None:
    out = Console()
    peaks = report.peaks
    out.print(
        f"machine: {report.machine}"
        + (f"; peak {peaks.fma_gflops:.0f} GFLOP/s, copy {peaks.copy_gbs:.0f} GB/s" if peaks else "")
    )
    out.print(
        f"NumPy baseline (1 thread): as given {report.overrides_in_env or '{}'} -> {_blas(report.blas_env)}; "
        f"overrides removed -> {_blas(report.blas_clean)}"
    )
    table = Table()
    for col in (
        "target",
        "problem",
        "design",
        "oracle",
        "median",
        "speed",
        "roofline",
        "x NumPy(env)",
        "x NumPy(best)",
    ):
        table.add_column(col)
    for r in report.rows:
        table.add_row(
            r.target,
            r.problem,
            r.status,
            r.oracle,
            _fmt(r.median_s and r.median_s * 1e3, "{:.3f} ms"),
            _speed(r),
            _fmt(r.roofline_fraction, "{:.0%}"),
            _fmt(r.speedup_env, "{:.2f}x"),
            _fmt(r.speedup_clean, "{:.2f}x"),
        )
    out.print(table)
