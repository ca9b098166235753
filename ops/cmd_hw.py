"""``qimeng hw check`` and ``qimeng hw synth``: the hardware checkers from the command line
(differential simulation, formal equivalence, a user's cocotb tests, synthesis)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.status import Status

from tools.errors import UsageError
from tools.evidence import Check, Evidence
from tools.hdl import DiffReport, PythonRef, VerilogRef, diff_check, formal_check, synth, waves
from tools.hdl.cocotb_run import COCOTB_SIMULATORS, CocotbReport, run_cocotb
from tools.hdl.lint import name_sources
from tools.hdl.synth import SynthError
from tools.runstore import new_run
from tools.settings import get_settings
from tools.userfile import read_user_text

app = typer.Typer(help="Check and measure hardware designs (Verilog).", no_args_is_help=True)
_err = Console(stderr=True)


def _read(path: Path, what: str) -> str:
    return read_user_text(path, what)


@app.command()
def check(
    candidate: Annotated[Path, typer.Argument(help="Candidate Verilog file.")],
    ref: Annotated[
        Path | None, typer.Option("--ref", help="Reference: Verilog (.v/.sv) or a Python model (.py).")
    ] = None,
    tests: Annotated[
        Path | None,
        typer.Option(
            "--tests",
            help="A cocotb (2.x) test module to run on the candidate; the .py and .json files "
            "beside it are there too (e.g. a model it imports).",
        ),
    ] = None,
    sim: Annotated[str, typer.Option("--sim", help="Simulator for --tests: icarus or verilator.")] = "icarus",
    top: Annotated[str | None, typer.Option(help="Candidate top module (default: auto).")] = None,
    formal: Annotated[
        bool, typer.Option("--formal", help="Also prove equivalence with Yosys (Verilog refs).")
    ] = False,
    seeds: Annotated[
        str, typer.Option(help="Comma-separated random seeds (at most the setting check_max_seeds).")
    ] = "1,2,3",
    cycles: Annotated[
        int,
        typer.Option(help="Cycles per sequence (cycles x sequences at most the setting check_max_cycles)."),
    ] = 64,
    sequences: Annotated[int, typer.Option(help="Sequences per seed.")] = 6,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check CANDIDATE against --ref (differential simulation) and/or with a cocotb test module
    (--tests); exit 0 only when every check passed, 1 otherwise.

    Examples:

      qimeng hw check adder.v --ref golden_adder.v

      qimeng hw check counter.v --ref counter_model.py --seeds 1,2,3,4 --json

      qimeng hw check fsm.v --ref fsm_ref.sv --top fsm --formal

      qimeng hw check counter.v --tests test_counter.py --sim verilator
    """
    if ref is None and tests is None:
        raise UsageError("give --ref (a reference to compare with), --tests (a cocotb test module), or both")
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise UsageError(f"--seeds takes comma-separated integers, got '{seeds}'") from None
    simulator = next((s for s in COCOTB_SIMULATORS if s == sim), None)
    if simulator is None:
        raise UsageError(f"--sim must be one of {', '.join(COCOTB_SIMULATORS)}, got '{sim}'")
    cand_src = _read(candidate, "candidate")
    # the tools read copies (candidate.sv, design.sv, gate.sv, ...): messages name the user's files
    names = {"candidate.sv": str(candidate), "design.sv": str(candidate), "gate.sv": str(candidate)}
    names |= {"reference.sv": str(ref), "gold.sv": str(ref)} if ref is not None else {}
    report: DiffReport | None = None
    checks: list[Check] = []
    if ref is not None:
        ref_src = _read(ref, "reference")
        if ref.suffix not in (".v", ".sv", ".py"):
            raise UsageError(f"reference {ref} must end in .v, .sv (Verilog) or .py (Python model)")
        reference = PythonRef(source=ref_src) if ref.suffix == ".py" else VerilogRef(source=ref_src)
        with _err.status("simulating candidate and reference ...") as status:
            report = diff_check(
                cand_src,
                reference,
                top=top,
                seeds=seed_list,
                cycles=cycles,
                sequences=sequences,
                # a long check gets time in proportion (a generous 5k samples a second; ~30k measured)
                timeout_s=max(
                    min(20.0, get_settings().sandbox.wall_s), len(seed_list) * cycles * sequences / 5000
                ),
                progress=_progress(status, len(seed_list) * cycles * sequences),
                candidate_name=str(candidate),
                reference_name=str(ref),
            )
        checks.append(report.to_check())
        if formal:
            if isinstance(reference, PythonRef):
                _err.print("--formal needs a Verilog reference; skipped")
            else:
                with _err.status("proving equivalence with yosys ..."):
                    proof = formal_check(cand_src, ref_src, top=top)
                    checks.append(proof.model_copy(update={"summary": name_sources(proof.summary, names)}))
    cocotb: CocotbReport | None = None
    if tests is not None:
        module, test_src, support = _test_module(tests)
        with _err.status(f"running cocotb tests on {sim} ..."):
            cocotb = run_cocotb(
                cand_src, test_src, module=module, top=top, support=support, simulator=simulator
            )
        log_tail = [name_sources(line, names) for line in cocotb.log_tail]
        cocotb = cocotb.model_copy(
            update={"reason": name_sources(cocotb.reason, names), "log_tail": log_tail}
        )
        checks.append(cocotb.to_check())
    ok = all(c.status == "pass" for c in checks)
    run = new_run(
        f"hw check {candidate}" + (f" --ref {ref}" if ref else "") + (f" --tests {tests}" if tests else "")
    )
    run.write(candidate.name, cand_src, kind="rtl", role="candidate")
    run.write_json("evidence.json", Evidence(checks=checks), kind="evidence")
    run.finish("done" if ok else "failed", passed=ok)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "run": str(run.path),
                    "passed": ok,
                    "equivalent": report.verdict == "pass" if report else None,
                    "report": report.model_dump() if report else None,
                    "cocotb": cocotb.model_dump() if cocotb else None,
                    "checks": [c.model_dump() for c in checks],
                },
                indent=2,
            )
        )
        raise typer.Exit(0 if ok else 1)
    if report is not None:
        typer.echo(report.feedback())
        if report.window is not None:
            vcd, png = waves.write(report.window, run.path)
            typer.echo(f"waveform around the first mismatch: {vcd}  picture: {png}")
    for c in checks:
        if c.name == "formal":
            typer.echo(f"Formal: {c.status.upper()} - {c.summary}")
    if cocotb is not None:
        typer.echo(f"cocotb ({cocotb.simulator}): {checks[-1].status.upper()} - {checks[-1].summary}")
        for t in cocotb.tests:
            typer.echo(
                f"  {t.status.upper():<4} {t.name}" + (f": {t.message.splitlines()[0]}" if t.message else "")
            )
        if checks[-1].status != "pass" and not cocotb.tests:
            typer.echo("\n".join(f"  {line}" for line in cocotb.log_tail[-10:]))
    typer.echo(f"run: {run.path} (evidence.json, manifest.json)")
    raise typer.Exit(0 if ok else 1)


LONG_CHECK_SAMPLES = 50_000
"""From this many samples on, each stage of a check is printed (not only shown by the spinner)."""


def _progress(status: Status, samples: int) -> Callable[[str], None]:
    def tell(stage: str) -> None:
        status.update(f"{stage} ...")
        if samples >= LONG_CHECK_SAMPLES and not _err.is_terminal:
            _err.print(f"{stage} ...")

    return tell


MAX_SUPPORT_FILES = 32


def _test_module(path: Path) -> tuple[str, str, dict[str, str]]:
    """The test module's name and source, and the .py/.json files beside it."""
    if path.suffix != ".py":
        raise UsageError(f"--tests {path} must be a Python file (a cocotb test module)")
    source = _read(path, "test module")
    siblings = sorted(
        p for p in path.resolve().parent.iterdir() if p.suffix in (".py", ".json") and p.name != path.name
    )
    if len(siblings) > MAX_SUPPORT_FILES:
        raise UsageError(
            f"the folder of {path} holds {len(siblings)} .py/.json files; at most {MAX_SUPPORT_FILES} "
            "are copied beside a test module: put it in a folder of its own"
        )
    return (
        path.stem,
        source,
        {p.name: _read(p, "file beside the test module") for p in siblings if p.is_file()},
    )


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
        try:
            report = synth(source, top=top)
        except SynthError as exc:
            raise SynthError(name_sources(str(exc), {"design.sv": str(file)})) from None
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
