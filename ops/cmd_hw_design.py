"""``qimeng hw design``: design one hardware block from a request, checked end to end.

The command only parses arguments, runs :func:`graphs.hw.build_hw_graph` and prints progress,
the verdict, PPA and where the files went; exit 0 verified, 1 not verified, 2 usage error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from agents.hw.library import catalog
from agents.hw.nodes import Roles
from agents.hw.roles import LlmDesigner, LlmJudge, LlmTester
from agents.llm import LLMClient, is_configured
from graphs.hw import build_hw_graph
from tools.errors import QimengError, UsageError

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

  qimeng hw design "detect the pattern 1011, non-overlapping" --json

  qimeng hw design @spec.txt --offline --out runs/
"""


def _read_spec(spec: str) -> str:
    if spec.startswith("@"):
        path = Path(spec[1:])
        if not path.is_file():
            raise UsageError(f"spec file {path} does not exist; give text or @FILE with an existing file")
        spec = path.read_text(encoding="utf-8")
    if not spec.strip():
        raise UsageError("empty spec; describe the circuit, e.g. 'an 8-bit adder with carry out'")
    return spec


def _roles(offline: bool) -> Roles:
    if offline or not is_configured():
        return Roles()
    client = LLMClient()
    return Roles(
        designer=LlmDesigner(client), tester=LlmTester(client), judge=LlmJudge(client), offline=False
    )


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
) -> None:
    try:
        text = _read_spec(spec)
        graph = build_hw_graph(_roles(offline))
        state: dict[str, Any] = {"text": text, "samples": samples, "max_repairs": max_repairs}
        if out is not None:
            state["run_root"] = str(out)
        final: dict[str, Any] = dict(state)
        with _err.status("designing ...") as status:
            for update in graph.stream(state, stream_mode="updates"):
                for node, delta in update.items():
                    final.update(delta or {})
                    lines = (delta or {}).get("log") or []
                    if lines and not as_json:
                        _err.print(f"[cyan]{node:>9}[/cyan] {lines[-1].split(': ', 1)[-1]}")
                    status.update(f"{node} done ...")
    except UsageError as exc:
        _err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    except QimengError as exc:
        _err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    best = final.get("best")
    result = {
        "status": final.get("status"),
        "generator": final["request"].generator if final.get("request") else None,
        "params": final["request"].params if final.get("request") else {},
        "top": best.top if best else None,
        "synth": best.synth if best else None,
        "checks": [{k: c[k] for k in ("name", "status", "summary", "seeds")} for c in best.checks]
        if best
        else [],
        "run_dir": final.get("run_dir"),
    }
    if as_json:
        typer.echo(json.dumps(result, indent=2, default=str))
    else:
        colour = "green" if result["status"] == "verified" else "red"
        _err.print(f"[{colour}]{result['status']}[/{colour}] {result['top'] or ''}")
        for c in result["checks"]:
            _err.print(f"  {c['name']:<7} {c['status']:<8} {c['summary']}")
        if result["synth"]:
            _err.print(f"  PPA: {result['synth']}")
        _err.print(f"files: {result['run_dir']}")
    if result["status"] != "verified":
        raise typer.Exit(1)
