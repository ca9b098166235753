"""``qimeng eval verilog-eval`` and ``qimeng eval mutants``: hardware benchmarks from the command line.

Both commands only parse arguments, call into :mod:`evals`, draw progress and tables, and exit
2 on usage errors (1 on other qimeng errors) with the message and no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals.mutants import MutantReport, analyse, pick_problems
from evals.verilog_eval import (
    AGENTS,
    EvalReport,
    evaluate,
    get_agent,
    load_problems,
    save_report,
    verilog_eval_dir,
)
from ops.exits import QimengGroup
from tools.runstore import new_run

app = typer.Typer(
    cls=QimengGroup,
    help="Hardware benchmarks: VerilogEval v2 and checker mutant analysis.",
    no_args_is_help=True,
)
_console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Hardware benchmarks: VerilogEval v2 and checker mutant analysis."""


DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="VerilogEval v2 folder with <id>_prompt.txt, <id>_ref.sv, <id>_test.sv (default: the "
        "verilog_eval_dir setting). Get it with 'git clone https://github.com/NVlabs/verilog-eval' "
        "and pass verilog-eval/dataset_spec-to-rtl.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout (for scripts).")]
ProblemsOpt = Annotated[
    str, typer.Option("--problems", help="Comma-separated globs over problem ids, e.g. 'Prob00*,*fsm*'.")
]
RunDirOpt = Annotated[
    Path | None, typer.Option("--run-dir", help="Run store root (default: settings.run_dir).")
]


@contextmanager
def _progress(label: str, total: int, quiet: bool) -> Iterator[Callable[[object], None]]:
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console,
        disable=quiet,
    )
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda _item: bar.advance(task)


@app.command("verilog-eval")
def verilog_eval_cmd(
    agent: Annotated[
        str,
        typer.Option(
            "--agent",
            help=f"Who answers, one of {', '.join(sorted(AGENTS))}: 'reference' (the benchmark's own "
            "golden RTL, a harness sanity check), 'offline' (the offline designer), 'llm' (the LLM "
            "designer, needs QIMENG_LLM_BASE_URL).",
        ),
    ],
    data: DataOpt = None,
    samples: Annotated[int, typer.Option("--samples", "-n", help="Samples per problem (n of pass@k).")] = 1,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Problems asked and judged in parallel.")] = 1,
    problems: ProblemsOpt = "*",
    as_json: JsonOpt = False,
    run_dir: RunDirOpt = None,
) -> None:
    """Run VerilogEval v2: ask an agent for each problem, judge every sample with the benchmark testbench.

    Prints pass@1 (and pass@k for k <= samples, unbiased estimator), failure classes and failed
    problems; writes report.json to a new run in the run store.

    Examples:

      qimeng eval verilog-eval --data verilog-eval/dataset_spec-to-rtl --agent reference --jobs 2

      QIMENG_VERILOG_EVAL_DIR=verilog-eval/dataset_spec-to-rtl qimeng eval verilog-eval --agent offline --problems 'Prob00*' --json
    """
    data = verilog_eval_dir(data)
    chosen = load_problems(data, problems)
    solver = get_agent(agent, chosen)
    with _progress("judging", len(chosen) * max(samples, 1), as_json) as tick:
        report = evaluate(chosen, solver, agent_name=agent, samples=samples, jobs=jobs, on_verdict=tick)
    run = save_report(report, data, root=run_dir)
    if as_json:
        print(json.dumps({"run": run.id, **report.model_dump(mode="json")}))
        return
    _print_eval(report, run.id)


def _print_eval(report: EvalReport, run_id: str) -> None:
    out = Console()
    table = Table(title=f"VerilogEval v2 -- agent {report.agent}, {report.samples} sample(s) per problem")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("problems scored", str(report.scored))
    for k, value in report.pass_at.items():
        table.add_row(f"pass@{k}", f"{value:.3f}")
    precision = f" (precision {report.precision:.3f})" if report.precision is not None else ""
    table.add_row("answers claimed verified", str(report.verified))
    table.add_row("  of which the benchmark passes", f"{report.verified_passed}{precision}")
    table.add_row("refused", str(report.refused))
    for cls, count in sorted(report.failures.items()):
        table.add_row(f"failing samples: {cls}", str(count))
    table.add_row("quarantined", str(sum(p.quarantined is not None for p in report.problems)))
    table.add_row("median check time (s)", f"{report.median_check_s:.3f}")
    table.add_row("wall time (s)", f"{report.wall_s:.1f}")
    out.print(table)
    wrong = report.wrong_verified()
    if wrong:
        out.print(f"claimed verified but failing the benchmark: {', '.join(wrong)}")
    failed = report.failed_problems()
    if failed:
        out.print(
            f"failed problems ({len(failed)}): {', '.join(failed[:30])}{' ...' if len(failed) > 30 else ''}"
        )
    out.print(f"run: {run_id}")


@app.command("mutants")
def mutants_cmd(
    data: DataOpt = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Problems to use, spread evenly (default all).")
    ] = None,
    per_problem: Annotated[int, typer.Option("--per-problem", "-m", help="Kept mutants per problem.")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Seed for choosing mutation sites.")] = 0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Problems analysed in parallel.")] = 1,
    problems: ProblemsOpt = "*",
    as_json: JsonOpt = False,
    run_dir: RunDirOpt = None,
) -> None:
    """Measure checker strength: plant bugs in reference designs and count who catches them.

    Mutants (operator swaps, constant changes, bit flips, dropped terms, inverted conditions, wrong
    reset values) that do not compile or that Yosys proves equivalent are dropped. The table gives,
    per checker (benchmark testbench, our diff check, our formal check, and the two combined), the
    kill rate, the false-failure rate on unmutated references, and the median check time.

    Examples:

      qimeng eval mutants --data verilog-eval/dataset_spec-to-rtl --limit 20 --per-problem 3

      qimeng eval mutants --data verilog-eval/dataset_spec-to-rtl --problems '*fsm*' --json
    """
    data = verilog_eval_dir(data)
    chosen = pick_problems(load_problems(data, problems), limit)
    with _progress("mutating", len(chosen), as_json) as tick:
        report = analyse(chosen, per_problem=per_problem, seed=seed, jobs=jobs, on_problem=tick)
    run = new_run(f"eval mutants --limit {limit} --per-problem {per_problem} --seed {seed}", root=run_dir)
    run.write_json("mutants.json", report, kind="report", data=str(data))
    run.finish("done", kept=report.kept, scores=[s.model_dump() for s in report.scores])
    if as_json:
        print(json.dumps({"run": run.id, **report.model_dump(mode="json")}))
        return
    _print_mutants(report, run.id)


def _print_mutants(report: MutantReport, run_id: str) -> None:
    out = Console()
    generated = sum(p.generated for p in report.problems)
    dropped_c = sum(p.dropped_compile for p in report.problems)
    dropped_e = sum(p.dropped_equivalent for p in report.problems)
    out.print(
        f"{len(report.problems)} problems: {generated} mutants tried, {dropped_c} did not compile, "
        f"{dropped_e} proven equivalent, {report.kept} kept"
    )
    table = Table(title="Checker strength on mutants of VerilogEval references")
    for col in (
        "checker",
        "killed",
        "kill rate",
        "undecided",
        "false failures",
        "false-failure rate",
        "median s",
    ):
        table.add_column(col, justify="left" if col == "checker" else "right")
    for s in report.scores:
        table.add_row(
            s.checker,
            f"{s.killed}/{s.mutants}",
            f"{s.kill_rate:.1%}",
            str(s.inconclusive),
            f"{s.false_failures}/{s.references}",
            f"{s.false_failure_rate:.1%}",
            f"{s.median_s:.3f}",
        )
    out.print(table)
    out.print(f"run: {run_id}")
