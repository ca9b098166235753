"""``qimeng sw design``: design, verify and tune one software kernel from a one-line request.

Only parses arguments, calls :func:`graphs.sw.design_kernel`, and prints the result; exits 2 on a
usage error (bad request, unknown target), 1 on another qimeng error or an unverified kernel.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ops.cluster_option import ClusterOption, session_executor
from ops.exits import QimengGroup
from tools.targets import get_target
from tools.userfile import read_at_arg

if TYPE_CHECKING:
    from agents.sw.design import SwDesign

app = typer.Typer(
    cls=QimengGroup, help="Software kernels: design, verify and tune from the template library or an LLM."
)
_console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Software kernels: design, verify and tune from the template library or an LLM."""


@app.command("design")
def design_cmd(
    request: Annotated[
        str, typer.Argument(help="The kernel, e.g. 'gemm 512x512x512 fp32', or @FILE holding it.")
    ],
    target: Annotated[
        str, typer.Option("--target", "-t", help="x86_64, aarch64, riscv64 or cuda.")
    ] = "x86_64",
    offline: Annotated[bool, typer.Option("--offline", help="Use the template library, no LLM.")] = False,
    budget: Annotated[int, typer.Option("--budget", min=1, max=64, help="Tuner candidates to try.")] = 6,
    time_budget: Annotated[
        float | None,
        typer.Option(
            "--time-budget",
            min=0.1,
            help="Seconds the tuner may search (it stops starting candidates after this). "
            "Default: --budget candidates, no time limit (cuda: budget x 10 s).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Base seed of the differential test.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    cluster: ClusterOption = None,
) -> None:
    """Design a kernel, check it against NumPy on fresh random inputs, time and tune it (native targets).

    Examples:

      qimeng sw design "gemm 512x512x512 fp32" --target x86_64 --offline

      qimeng sw design "softmax rows=64 cols=1000" --target riscv64 --offline --json

      qimeng sw design "focal split 360x480" --target aarch64 --offline

      qimeng sw design "gemm 1024x1024x1024 fp32" --offline --budget 20 --time-budget 60

      qimeng sw design "gemm 1024x1024x1024 bf16" --target cuda --json   # on a GPU machine

      qimeng sw design @request.txt --target x86_64          # LLM designer when QIMENG_LLM_BASE_URL is set

    Kernels: gemm gemv conv2d softmax layernorm reduce_sum transpose stencil2d attention
    focal_split psf; on cuda (bf16, the GPU kit: Triton against cuBLAS/cuDNN) gemm and attention,
    searched for budget x 10 seconds. Emulated targets (aarch64, riscv64 under QEMU) are checked,
    never timed.
    With --cluster (or QIMENG_RAY_ADDRESS) every compile, test and timing runs on a node serving
    the target.
    """
    text = _read_request(request)
    get_target(target)  # an unknown target is refused before the design libraries load
    from agents.llm import LLMClient, is_configured
    from agents.roles import build_roles
    from graphs.sw import design_kernel
    from tools.executor import use_executor

    use_offline = offline or not is_configured()
    if not offline and use_offline:
        _console.print(
            "[yellow]no LLM configured (QIMENG_LLM_BASE_URL): using the offline template library[/]"
        )
    executor = None
    try:
        executor = session_executor(cluster)
        with _console.status(f"designing on {target} ...") as status, use_executor(executor):

            def progress(node: str, line: str) -> None:
                if not as_json:
                    _console.print(f"[cyan]{node:>9}[/cyan] {line}", markup=True, highlight=False)
                status.update(f"{node} done ...")

            roles = build_roles(None if use_offline else LLMClient())
            result = design_kernel(
                text,
                target=target,
                roles=roles.sw,
                budget=budget,
                time_budget_s=time_budget,
                seed=seed,
                progress=progress,
            )
    finally:
        if executor is not None:
            executor.close()
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        _print(result)
    if result.status != "verified":
        raise typer.Exit(1)


def _read_request(request: str) -> str:
    return read_at_arg(request, "request file")


def _print(result: SwDesign) -> None:
    table = Table(title=f"{result.kernel} on {result.target}: {result.status}")
    table.add_column("check")
    table.add_column("status")
    table.add_column("summary", overflow="fold")
    for check in result.evidence.checks:
        table.add_row(check.name, check.status, check.summary)
    Console().print(table)
    if result.evidence.interpretation is not None:
        Console().print(result.evidence.interpretation.summary(), markup=False)
    timing = result.timing
    if timing:
        speed = f"{timing.gflops:.2f} GFLOP/s" if timing.gflops else f"{timing.gbs or 0:.2f} GB/s"
        Console().print(f"median {timing.median_s * 1e3:.3f} ms ({speed}) at {timing.shape}")
    if result.attempts:
        Console().print(f"{len(result.attempts)} earlier candidate(s) not kept (see --json)")
    Console().print(f"params {result.params}; files {result.run_dir}")
    if result.why_not:
        _console.print(f"[red]{result.why_not}[/red]")
