"""``qimeng hw design``: design one hardware block from a request, checked end to end.

The command only parses arguments, calls :func:`graphs.hw.design_block` and prints progress, the
verdict, PPA and where the files went; exit 0 verified, 1 not verified, 2 usage error. ``--json``
prints the :class:`HwDesign` (RTL, figures, evidence, attempts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agents.hw.library import catalog
from ops.cluster_option import ClusterOption, session_executor
from ops.exits import QimengGroup
from tools.errors import UsageError
from tools.userfile import read_at_arg

if TYPE_CHECKING:
    from agents.hw.design import HwDesign
    from agents.roles import AgentRoles

app = typer.Typer(
    cls=QimengGroup,
    help="Hardware design: RTL with its reference model, lint, differential check and synthesis.",
)
_err = Console(stderr=True, soft_wrap=True)
_out = Console()


@app.callback()
def _group() -> None:
    """Hardware design: RTL with its reference model, lint, differential check and synthesis."""


_HELP = f"""Design a hardware block from SPEC (text, or @FILE to read it from a file).

A module header or a port list in the spec is honored exactly (names, widths).
Without an LLM endpoint (or with --offline) the offline designer builds from its library:

{catalog()}

Examples:

  qimeng hw design "an 8-bit up counter with enable and asynchronous reset"

  qimeng hw design "detect the pattern 1011, non-overlapping, synchronous reset" --json

  qimeng hw design @spec.txt --offline --out runs/
"""


def _read_spec(spec: str) -> str:
    spec = read_at_arg(spec, "spec file")
    if not spec.strip():
        raise UsageError("empty spec; describe the circuit, e.g. 'an 8-bit adder with carry out'")
    return spec


def _roles(offline: bool) -> AgentRoles:
    from agents.llm import LLMClient, is_configured
    from agents.roles import build_roles

    return build_roles(None if offline or not is_configured() else LLMClient())


@app.command("design", help=_HELP)
def design(
    spec: Annotated[str, typer.Argument(help="Request text, or @FILE.")],
    offline: Annotated[
        bool, typer.Option("--offline", help="Use the offline designer even if an LLM is configured.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Run store root (default: settings.run_dir).")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=1, max=8, help="Candidates to sample and rank.")
    ] = 2,
    max_repairs: Annotated[
        int, typer.Option("--max-repairs", min=0, max=10, help="Repair rounds at most.")
    ] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")] = False,
    cluster: ClusterOption = None,
) -> None:
    text = _read_spec(spec)  # a bad argument is refused before the design libraries load
    from graphs.hw import design_block
    from tools.executor import use_executor

    executor = None
    try:
        roles = _roles(offline)
        executor = session_executor(cluster)
        with _err.status("designing ...") as status, use_executor(executor):

            def progress(node: str, line: str) -> None:
                if not as_json:
                    _err.print(f"[cyan]{node:>9}[/cyan] {line}")
                status.update(f"{node} done ...")

            result = design_block(
                text,
                roles=roles.hw,
                run_root=out,
                samples=samples,
                max_repairs=max_repairs,
                progress=progress,
            )
    finally:
        if executor is not None:
            executor.close()
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json", exclude={"log"}), indent=2, default=str))
    else:
        _print(result)
    if result.status != "verified":
        raise typer.Exit(1)


def _print(result: HwDesign) -> None:
    """The human summary on stdout: verdict, interpretation, checks, PPA, where the files are."""
    colour = "green" if result.status == "verified" else "red"
    _out.print(f"[{colour}]{result.status}[/{colour}] {result.top}")
    interp = result.evidence.interpretation
    if interp is not None and interp.readings:
        _out.print(f"  {interp.summary()}", markup=False)
    if interp is not None and interp.unread:
        _out.print(f"  not used by that reading: {'; '.join(interp.unread)}", markup=False)
    for c in result.evidence.checks:
        _out.print(f"  {c.name:<7} {c.status:<8} {c.summary}", markup=False)
    if result.attempts:
        _out.print(f"  ({len(result.attempts)} other attempt(s) not kept; see --json)")
    if result.synth:
        _out.print(ppa_table(result.synth))
    _out.print(f"files: {result.run_dir}", markup=False, soft_wrap=True)
    tried = [(c.name, c.details) for c in result.evidence.checks]
    tried += [(f"attempt{i}-{c.name}", c.details) for i, a in enumerate(result.attempts, 1) for c in a.checks]
    from tools.hdl import waves

    saved = waves.save_windows(tried, Path(result.run_dir) / "waves") if result.run_dir else []
    for vcd, png in saved:
        _out.print(f"waveform around the first mismatch: {vcd}  picture: {png}", markup=False, soft_wrap=True)


def ppa_table(synth: dict[str, Any]) -> Table:
    """Yosys figures as a table (cells, transistor estimate, flip-flops, logic depth, synthesis time)."""
    table = Table(title="PPA (Yosys, generic gates)", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("cells", str(synth.get("cell_count", 0))),
        (
            "transistors (estimate)",
            f"{'>=' if synth.get('transistors_partial') else '~'}{synth.get('transistors', 0)}",
        ),
        ("flip-flops", str(synth.get("flip_flops", 0))),
        ("logic depth (gates)", str(synth.get("logic_depth", 0))),
        ("synthesis time", f"{float(synth.get('duration_s', 0.0)):.2f} s"),
    ]
    for figure, value in rows:
        table.add_row(figure, value)
    return table
