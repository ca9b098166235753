"""``qimeng hw check`` and ``qimeng hw synth``: the hardware checkers from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tools.errors import UsageError
from tools.hdl import PythonRef, VerilogRef, diff_check, formal_check, synth
from tools.userfile import read_user_text

app = typer.Typer(help="Check and measure hardware designs (Verilog).", no_args_is_help=True)
_err = Console(stderr=True)


def _read(path: Path, what: str) -> str:
    return read_user_text(path, what)


@app.command()
def check(
    candidate: Annotated[Path, typer.Argument(help="Candidate Verilog file.")],
    ref: Annotated[Path, typer.Option("--ref", help="Reference: Verilog (.v/.sv) or a Python model (.py).")],
    top: Annotated[str | None, typer.Option(help="Candidate top module (default: auto).")] = None,
    formal: Annotated[
        bool, typer.Option("--formal", help="Also prove equivalence with Yosys (Verilog refs).")
    ] = False,
    seeds: Annotated[str, typer.Option(help="Comma-separated random seeds.")] = "1,2,3",
    cycles: Annotated[int, typer.Option(help="Cycles per sequence.")] = 64,
    sequences: Annotated[int, typer.Option(help="Sequences per seed.")] = 6,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Differential check of CANDIDATE against --ref; exit 0 only when equivalent, 1 otherwise.

    Examples:

      qimeng hw check adder.v --ref golden_adder.v

      qimeng hw check counter.v --ref counter_model.py --seeds 1,2,3,4 --json

      qimeng hw check fsm.v --ref fsm_ref.sv --top fsm --formal
    """
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"--seeds takes comma-separated integers, got '{seeds}'") from None
    cand_src = _read(candidate, "candidate")
    ref_src = _read(ref, "reference")
    if ref.suffix not in (".v", ".sv", ".py"):
        raise UsageError(f"reference {ref} must end in .v, .sv (Verilog) or .py (Python model)")
    reference = PythonRef(source=ref_src) if ref.suffix == ".py" else VerilogRef(source=ref_src)
    with _err.status("simulating candidate and reference ..."):
        report = diff_check(cand_src, reference, top=top, seeds=seed_list, cycles=cycles, sequences=sequences)
    checks = [report.to_check()]
    if formal:
        if isinstance(reference, PythonRef):
            _err.print("--formal needs a Verilog reference; skipped")
        else:
            with _err.status("proving equivalence with yosys ..."):
                checks.append(formal_check(cand_src, ref_src, top=top))
    ok = report.verdict == "pass" and all(c.status == "pass" for c in checks[1:])
    if as_json:
        typer.echo(
            json.dumps(
                {"equivalent": ok, "report": report.model_dump(), "checks": [c.model_dump() for c in checks]},
                indent=2,
            )
        )
    else:
        typer.echo(report.feedback())
        for c in checks[1:]:
            typer.echo(f"Formal: {c.status.upper()} - {c.summary}")
    raise typer.Exit(0 if ok else 1)


@app.command(name="synth")
def synth_cmd(
    file: Annotated[Path, typer.Argument(help="Verilog file.")],
    top: Annotated[str | None, typer.Option(help="Top module (default: auto).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Synthesise FILE to generic gates with Yosys and report cells, area, flip-flops and depth.

    Examples:

      qimeng hw synth alu.v

      qimeng hw synth cpu.v --top core --json
    """
    source = _read(file, "design")
    with _err.status("synthesising with yosys ..."):
        report = synth(source, top=top)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(f"top {report.top} ({report.tool})")
    typer.echo(f"  cells        {report.cell_count}")
    typer.echo(
        f"  transistors  {report.transistors}{'+' if report.transistors_partial else ''} (CMOS estimate)"
    )
    typer.echo(f"  flip-flops   {report.flip_flops}")
    typer.echo(f"  logic depth  {report.logic_depth}")
    for kind, count in sorted(report.cells.items()):
        typer.echo(f"    {kind:<16} {count}")
