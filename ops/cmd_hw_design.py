"""``qimeng hw design``: design one hardware block from a request, checked end to end.

The command only parses arguments, calls :func:`graphs.hw.design_block` and prints progress, the
verdict, PPA and where the files went; exit 0 verified, 1 not verified, 2 usage error. ``--json``
prints the :class:`HwDesign` (RTL, figures, evidence, attempts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agents.hw.library import catalog
from agents.llm import LLMClient, is_configured
from agents.roles import AgentRoles, build_roles
from graphs.hw import design_block
from ops.cluster_option import ClusterOption, session_executor
from tools.errors import QimengError, UsageError
from tools.executor import use_executor
from tools.hdl import waves
from tools.userfile import read_at_arg

app = typer.Typer(
    help="Hardware design: RTL with its reference model, lint, differential check and synthesis."
)
_err = Console(stderr=True, soft_wrap=True)


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
    executor = None
    try:
        text = _read_spec(spec)
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
    except UsageError as exc:
        _err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except QimengError as exc:
        _err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        if executor is not None:
            executor.close()
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json", exclude={"log"}), indent=2, default=str))
    else:
        colour = "green" if result.status == "verified" else "red"
        _err.print(f"[{colour}]{result.status}[/{colour}] {result.top}")
        interp = result.evidence.interpretation
        if interp is not None and interp.readings:
            _err.print(f"  {interp.summary()}", markup=False)
        if interp is not None and interp.unread:
            _err.print(f"  not used by that reading: {'; '.join(interp.unread)}", markup=False)
        for c in result.evidence.checks:
            _err.print(f"  {c.name:<7} {c.status:<8} {c.summary}")
        if result.attempts:
            _err.print(f"  ({len(result.attempts)} other attempt(s) not kept; see --json)")
        if result.synth:
            _err.print(f"  PPA: {result.synth}")
        _err.print(f"files: {result.run_dir}")
        tried = [(c.name, c.details) for c in result.evidence.checks]
        tried += [
            (f"attempt{i}-{c.name}", c.details) for i, a in enumerate(result.attempts, 1) for c in a.checks
        ]
        saved = waves.save_windows(tried, Path(result.run_dir) / "waves") if result.run_dir else []
        for vcd, png in saved:
            _err.print(f"waveform around the first mismatch: {vcd}  picture: {png}")
    if result.status != "verified":
        raise typer.Exit(1)
