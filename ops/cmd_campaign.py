"""``qimeng campaign``: run, resume, inspect, report and submit batch campaigns (parsing only)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ops.exits import report as report_error
from ops.metrics_option import MetricsOption, MetricsPortOption, start_metrics
from tools.errors import QimengError, UsageError

if TYPE_CHECKING:
    from cluster.store import ResultStore
    from tools.runstore import Run

app = typer.Typer(
    help=(
        "Batch campaigns on Ray: many tasks x samples, results in a durable store.\n\n"
        "Examples:\n\n"
        "  qimeng campaign run ve.yaml                      # local Ray, this machine's targets\n\n"
        "  qimeng campaign run ve.yaml --ray-address 10.0.0.5:6379\n\n"
        "  qimeng campaign run ve.yaml --resume 20250101-120000-ab12cd   # after a crash or Ctrl-C\n\n"
        "  qimeng campaign status RUN --json\n\n"
        "  qimeng campaign report RUN                       # pass@k, timings, PNG plots\n\n"
        "  qimeng campaign submit ve.yaml --address http://HEAD:8265"
    ),
    no_args_is_help=True,
)
console = Console()


@app.command("run")
def run_cmd(
    file: Path = typer.Argument(..., help="Campaign YAML (see ops/cluster/README.md)."),
    ray_address: str | None = typer.Option(None, "--ray-address", help="Ray cluster HOST:6379 or 'auto'."),
    resume: str | None = typer.Option(
        None, "--resume", help="Run id to continue; finished samples are kept."
    ),
    run_id: str | None = typer.Option(None, "--run-id", help="Run id to create, or continue if it exists."),
    executor: str = typer.Option("ray", "--executor", help="ray (default) or local (threads, no Ray)."),
    num_cpus: int | None = typer.Option(None, "--num-cpus", min=1, help="CPUs of a local Ray."),
    workers: int = typer.Option(1, "--workers", min=1, help="Threads of the local executor."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
    metrics_port: MetricsPortOption = None,
    metrics: MetricsOption = True,
) -> None:
    """Run a campaign (or resume one) with a progress bar; every finished sample is stored at once.

    While it runs, the driver serves Prometheus metrics on 127.0.0.1 (see 'qimeng ops up').

    Example: qimeng campaign run ops/cluster/examples/synthetic.yaml --executor local --workers 2
    """
    from cluster.launch import execute, make_executor, open_campaign

    start_metrics(metrics, metrics_port)

    if executor not in ("ray", "local"):
        raise UsageError(f"--executor must be ray or local, got '{executor}'")
    opened = open_campaign(file, resume=resume, run_id=run_id)
    ex = make_executor(
        "ray" if executor == "ray" else "local",
        address=ray_address,
        num_cpus=num_cpus,
        retries=opened.campaign.retries,
        workers=workers,
    )
    planned = int(opened.store.get_meta("planned", 0))
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[errors]} errors"),
            TimeElapsedColumn(),
            console=console,
            disable=json_out or not sys.stderr.isatty(),
        ) as bar:
            job = bar.add_task(
                opened.campaign.name, total=planned, completed=len(opened.store.done()), errors=0
            )
            errors = 0

            def tick(task: str, sample: int, result: object) -> None:
                nonlocal errors
                errors += not getattr(result, "ok", True)
                bar.update(job, advance=1, errors=errors)

            outcome = execute(opened, ex, tick)
    except KeyboardInterrupt:
        Console(stderr=True).print(
            f"interrupted; finished samples are kept. Resume with: qimeng campaign run {file} --resume {opened.run.id}"
        )
        raise typer.Exit(130) from None  # said so: exits.QimengGroup adds no second line
    finally:
        ex.close()
        opened.store.close()
    data = {"run": opened.run.id, "path": str(opened.run.path), "resumed": opened.resumed} | vars(outcome)
    if json_out:
        print(json.dumps(data, indent=2))
    else:
        console.print(
            f"run {opened.run.id}: {outcome.recorded} new sample(s), {outcome.already_done} already done, "
            f"{outcome.errors} error(s)"
            + (f"; stopped by {outcome.stopped_by}" if outcome.stopped_by else "")
        )


def _open(run: str) -> tuple[Run, ResultStore]:
    from cluster.store import ResultStore
    from tools.runstore import open_run

    try:
        opened = open_run(run)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    if not (opened.path / ResultStore.FILENAME).is_file():
        raise UsageError(f"run {run} is not a campaign (no {ResultStore.FILENAME} in {opened.path})")
    return opened, ResultStore(opened.path)


@app.command("status")
def status_cmd(
    run: str = typer.Argument(..., help="Run id (see the runs/ directory)."),
    json_out: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """How far a campaign got: samples done, errors, passes, samples per node.

    Example: qimeng campaign status 20250101-120000-ab12cd --json
    """
    from cluster.report import campaign_status

    opened, store = _open(run)
    status = campaign_status(opened, store)
    if json_out:
        print(status.model_dump_json(indent=2))
        return
    console.print(
        f"{status.name} ({status.state}, {status.sampling} sampling): {status.done}/{status.planned} samples, "
        f"{status.passed} passed, {status.errors} error(s), on {len(status.nodes)} node(s)"
    )


@app.command("report")
def report_cmd(
    run: str = typer.Argument(..., help="Run id."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """pass@k table, timings and PNG plots (written to the run directory).

    Example: qimeng campaign report 20250101-120000-ab12cd
    """
    from cluster.report import build_report

    opened, store = _open(run)
    report = build_report(opened, store)
    if json_out:
        print(report.model_dump_json(indent=2))
        return
    table = Table(title=f"campaign {report.status.name} (run {report.status.run})")
    for col in ("metric", "value"):
        table.add_column(col)
    for k, v in report.pass_at.items():
        table.add_row(f"pass@{k}", f"{v:.3f}")
    table.add_row("samples", f"{report.status.done}/{report.status.planned}")
    table.add_row("errors", str(report.status.errors))
    table.add_row("median s/sample", f"{report.median_sample_s:.3f}")
    table.add_row("p95 s/sample", f"{report.p95_sample_s:.3f}")
    table.add_row("samples/s", f"{report.samples_per_s:.2f}")
    console.print(table)
    console.print(report.sampling_note)
    for reason, count in report.error_reasons.items():
        console.print(f"  error x{count}: {reason}")
    console.print(f"plots: {', '.join(str(opened.path / p) for p in report.plots) or 'none'}")


@app.command("submit")
def submit_cmd(
    file: Path = typer.Argument(..., help="Campaign YAML (data paths absolute, as seen on the cluster)."),
    address: str = typer.Option(
        ..., "--address", envvar="RAY_API_SERVER_ADDRESS", help="Ray Jobs server, e.g. http://HEAD:8265."
    ),
    run_dir: Path | None = typer.Option(
        None,
        "--run-dir",
        help="Where the job writes its run, a path on the head (default: for a head on this machine, "
        "this machine's run directory; else the head's QIMENG_RUN_DIR).",
    ),
    python: str | None = typer.Option(
        None,
        "--python",
        help="Python on the head with qimeng's dependencies (default: for a head on this machine, "
        "this Python; else 'python').",
    ),
    wait: bool = typer.Option(False, "--wait", help="Follow the job's logs until it finishes."),
    json_out: bool = typer.Option(False, "--json", help="Print the job as JSON (logs go to stderr)."),
) -> None:
    """Submit a campaign as a Ray job; qimeng's code travels with the job.

    The run id is the campaign id: resubmitting a campaign whose job failed or was stopped resumes
    its run. The Ray token is found as Ray's CLI finds it (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH,
    ~/.ray/auth_token). With --wait, exits 1 unless the job succeeded.

    Example: qimeng campaign submit ops/cluster/examples/synthetic.yaml --address http://127.0.0.1:8265 --wait
    """
    from cluster.jobs import follow_job, submit_campaign
    from cluster.ray_auth import auth_token

    job = submit_campaign(file, address, run_dir=run_dir, python=python)
    where = f"{job.run_dir}/{job.run_id}" if job.run_dir else f"$QIMENG_RUN_DIR/{job.run_id} on the head"
    err = Console(stderr=True)
    if not json_out:
        console.print(f"submitted job {job.job_id} (campaign {job.campaign}) to {address}")
        console.print(f"results: {where}")
    if wait:
        try:
            job = follow_job(job, sys.stderr if json_out else sys.stdout)
        except KeyboardInterrupt:
            err.print(
                f"stopped following; job {job.job_id} keeps running (ray job stop {job.job_id} ends it)"
            )
            raise typer.Exit(130) from None
    if json_out:
        print(job.model_dump_json(indent=2))
    elif wait:
        console.print(f"job {job.job_id} {job.status}")
    else:
        auth = "RAY_AUTH_MODE=token " if auth_token()[0] else ""
        console.print(
            f"follow it: {auth}ray job logs --address {address} --follow {job.job_id}   "
            "(or submit with --wait)"
        )
    if wait and job.status != "SUCCEEDED":
        last = job.message.strip().splitlines()[-1] if job.message.strip() else "no message"
        err.print(f"error: job {job.job_id} {job.status}: {last}")
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``python -m ops.cmd_campaign``: errors as one line, usage errors exit 2."""
    import click

    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="qimeng campaign", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        exc.show()
        return 2
    except QimengError as exc:
        return report_error(exc)
    except (KeyboardInterrupt, click.exceptions.Abort):
        return 130
    return result if isinstance(result, int) else 0  # typer turns Ctrl-C into exit code 130


if __name__ == "__main__":
    sys.exit(main())
