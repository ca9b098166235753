"""``qimeng eval kernels``: the kernel-suite benchmark from the command line.

Only parses arguments, calls :func:`evals.kernels.run_suite`, draws progress and the table;
exits 2 on usage errors, 1 on other qimeng errors or when any kernel fails its checks.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ops.exits import QimengGroup
from tools.targets import CPU_TARGETS

if TYPE_CHECKING:
    from evals._kernel_lanes import Lane
    from evals.kernels import SuiteReport

app = typer.Typer(cls=QimengGroup, help="Software benchmarks: the kernel suite.")
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
    time_budget: Annotated[
        float | None,
        typer.Option(
            "--time-budget", min=0.1, help="Seconds the tuner may search per kernel (default: no limit)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Base seed of the checks and the tuner.")] = 1,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, max=20, help="Timing rounds (kernels, then libraries).")
    ] = 3,
    threads: Annotated[
        list[int] | None,
        typer.Option("--threads", min=1, help="Thread count(s) to time; repeat. Default: 1 and all cores."),
    ] = None,
    tries: Annotated[
        bool, typer.Option("--tries", help="Also print what the tuner tried per kernel.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")] = False,
) -> None:
    """Design every suite kernel offline, check it with the evaluator's references, race x86_64 against
    the best of NumPy/OpenBLAS and PyTorch CPU at one thread and all threads.

    Examples:

      qimeng eval kernels --target x86_64             # side-by-side table, 1 and all threads

      qimeng eval kernels -t x86_64 --rounds 5 --tries

      qimeng eval kernels -t x86_64 --budget 20 --time-budget 30   # tuner: 20 candidates or 30 s

      qimeng eval kernels --quick                     # every CPU target, smaller suite

      qimeng eval kernels -t riscv64 -t aarch64 --json

    Suite: GEMM (256^3, 513x257x129, 1024^3), softmax, layernorm, conv2d, attention, Focal Split
    480x360, wavefront PSF 128. Emulated targets are checked for correctness only.
    """
    from evals.kernels import pick_problems, run_suite, save_suite

    targets = target or list(CPU_TARGETS)
    total = len(pick_problems(quick)) * len(targets)
    bar = Progress(
        TextColumn("kernels"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=_console
    )
    with bar:
        task = bar.add_task("kernels", total=total)
        report = run_suite(
            targets,
            quick=quick,
            budget=budget,
            time_budget_s=time_budget,
            seed=seed,
            rounds=rounds,
            threads=threads,
            on_row=lambda _r: bar.advance(task),
        )
    command = f"eval kernels --target {','.join(targets)} --rounds {rounds} --seed {seed} --budget {budget}"
    command += (" --quick" if quick else "") + (f" --time-budget {time_budget:g}" if time_budget else "")
    run = save_suite(report, command)
    _console.print(f"run: {run.path} (report.json, evidence.json, manifest.json)", soft_wrap=True)
    if as_json:
        typer.echo(json.dumps(_as_dict(report), indent=2))
    else:
        _print(report, tries)
    if any(r.oracle != "pass" or any(lane.oracle != "pass" for lane in r.lanes) for r in report.rows):
        raise typer.Exit(1)


def _as_dict(report: SuiteReport) -> dict[str, object]:
    data = report.model_dump(mode="json")
    for row, out in zip(report.rows, data["rows"], strict=True):
        for lane, lane_out in zip(row.lanes, out["lanes"], strict=True):
            lane_out.pop("source", None)
            lane_out["speedup"], lane_out["best_library"] = lane.speedup, lane.best_library
    return data


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def _speed(lane: Lane) -> str:
    if lane.gflops:
        return f"{lane.gflops:.1f} GFLOP/s"
    return _fmt(lane.gbs, "{:.1f} GB/s")


def _print(report: SuiteReport, tries: bool) -> None:
    out = Console()
    peaks = report.peaks
    out.print(
        f"machine: {report.machine}"
        + (
            f"; one core: FMA peak {peaks.fma_gflops:.0f} GFLOP/s, copy {peaks.copy_gbs:.0f} GB/s"
            if peaks
            else ""
        )
    )
    load = " / ".join(f"{a:.1f}" for a in report.load_before)
    out.print(
        f"load average (1/5/15 min) before: {load}; after: {' / '.join(f'{a:.1f}' for a in report.load_after)}; "
        f"{report.rounds} rounds, medians; libraries: {json.dumps(report.libraries)}"
    )
    table = Table()
    for col in (
        "target",
        "problem",
        "oracle",
        "threads",
        "ours",
        "speed",
        "roofline",
        "bound",
        "NumPy",
        "PyTorch",
        "x best",
    ):
        table.add_column(col)
    for r in report.rows:
        if not r.lanes:
            table.add_row(r.target, r.problem, r.oracle, *["-"] * 8)
            continue
        for lane in r.lanes:
            table.add_row(
                r.target,
                r.problem,
                lane.oracle,
                str(lane.threads)
                + (f" (ran {lane.threads_used})" if lane.threads_used != lane.threads else ""),
                _fmt(lane.median_s and lane.median_s * 1e3, "{:.3f} ms"),
                _speed(lane),
                _fmt(lane.roofline_fraction, "{:.0%}"),
                lane.bound or "-",
                _fmt(lane.library_s.get("numpy") and lane.library_s["numpy"] * 1e3, "{:.3f} ms"),
                _fmt(lane.library_s.get("torch") and lane.library_s["torch"] * 1e3, "{:.3f} ms"),
                _fmt(lane.speedup, "{:.2f}x"),
            )
    out.print(table)
    if tries:
        for r in report.rows:
            if not r.tried:
                continue
            why = f"; stopped on {r.tuner_stopped}" if r.tuner_stopped else ""
            tried = Table(title=f"tuner: {r.problem} on {r.target} (chosen {r.params}{why})")
            for col in ("#", "params", "verdict", "median"):
                tried.add_column(col)
            for i, c in enumerate(r.tried):
                median = c.get("median_s")
                tried.add_row(
                    str(i),
                    json.dumps(c.get("params")),
                    str(c.get("status")),
                    _fmt(median * 1e3 if isinstance(median, float) else None, "{:.3f} ms"),
                )
            out.print(tried)
