"""The ``qimeng`` command: parses arguments and calls into a room; no logic of its own.

Errors the user can act on (:class:`tools.errors.QimengError`) are printed as one line without a
traceback: usage errors exit 2, other failures exit 1; Ctrl-C exits 130.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable

import typer
from rich.console import Console
from rich.table import Table

from ops.exits import QimengGroup, report
from tools.errors import QimengError, UsageError
from tools.sandbox import cancel_all
from tools.settings import get_settings

app = typer.Typer(
    cls=QimengGroup,
    name="qimeng",
    help=(
        "Automated chip design: agents that design verified RTL and tuned kernels.\n\n"
        "Start with 'qimeng doctor' to see what this machine can do, then e.g.\n"
        "'qimeng hw design \"8-bit up counter with sync reset\" --offline'."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"qimeng {version('qimeng')}")
        except PackageNotFoundError:
            print("qimeng (not installed as a package; run 'make demo' or 'pip install -e .')")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Automated chip design: agents that design verified RTL and tuned kernels."""


def _hw() -> typer.Typer:
    from ops import cmd_hw, cmd_hw_design

    hw = typer.Typer(help="Hardware: design, check and synthesize Verilog.", no_args_is_help=True)
    hw.add_typer(cmd_hw_design.app)
    hw.add_typer(cmd_hw.app)
    return hw


def _sw() -> typer.Typer:
    from ops import cmd_sw, cmd_sw_design

    sw = typer.Typer(help="Software: design, check and time kernels per target.", no_args_is_help=True)
    sw.add_typer(cmd_sw_design.app)
    sw.add_typer(cmd_sw.app)
    return sw


def _eval() -> typer.Typer:
    from ops import cmd_eval_hw, cmd_eval_kb, cmd_eval_sw

    evals = typer.Typer(help="Benchmarks with their evaluator-only oracles.", no_args_is_help=True)
    evals.add_typer(cmd_eval_hw.app)
    evals.add_typer(cmd_eval_sw.app)
    evals.add_typer(cmd_eval_kb.app)
    return evals


def _kb() -> typer.Typer:
    from ops import cmd_kb

    return cmd_kb.app


def _campaign() -> typer.Typer:
    from ops import cmd_campaign, cmd_reward_batch

    return cmd_reward_batch.register(cmd_campaign.app)


def _serve() -> typer.Typer:
    from ops import cmd_serve

    return cmd_serve.app


def _design() -> typer.Typer:
    from ops import cmd_design

    return cmd_design.app


# Each room's command group, imported only when its command is used (the rooms import heavy
# libraries: LangGraph, ChromaDB, Ray). None: mounted without a name (its commands sit at top level).
GROUPS: dict[str, tuple[str | None, Callable[[], typer.Typer]]] = {
    "hw": ("hw", _hw),
    "sw": ("sw", _sw),
    "eval": ("eval", _eval),
    "kb": ("kb", _kb),
    "campaign": ("campaign", _campaign),
    "serve": ("serve", _serve),
    "design": (None, _design),
    "chat": (None, _design),
}


def _mount(argv: list[str]) -> None:
    """Mount the group the command line asks for, or every group (for --help and unknown words)."""
    if "--version" in argv:
        return
    _bench_reward(argv)
    word = next((a for a in argv if not a.startswith("-")), None)
    wanted = [GROUPS[word]] if word in GROUPS else list(dict.fromkeys(GROUPS.values()))
    if word in ("doctor", "demo", "bench", "ops"):
        wanted = []
    for name, load in wanted:
        if name is None:
            app.add_typer(load())
        else:
            app.add_typer(load(), name=name)


@app.command()
def doctor(json_out: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """Check every external tool (with version), the sandbox, the LLM endpoint and the targets.

    Exits 0 when every required tool is present and the sandbox works, 1 otherwise (with a list).
    """
    from agents.llm import ping
    from ops.doctor import run_doctor

    report = run_doctor(get_settings(), ping=ping)
    if json_out:
        data = report.model_dump(mode="json")
        data["healthy"] = report.healthy
        data["missing"] = [t.name for t in report.missing]
        print(json.dumps(data, indent=2))
    else:
        table = Table(title="qimeng doctor", show_lines=False)
        for col in ("tool", "version", "path", "for"):
            table.add_column(col)
        for tool in report.tools:
            mark = "" if tool.present else (" [red](missing)[/red]" if tool.required else " (optional)")
            table.add_row(tool.name + mark, tool.version or "-", tool.path or "-", tool.purpose)
        console.print(table)
        console.print(f"sandbox: {'ok' if report.sandbox_ok else 'BROKEN'} ({report.sandbox_detail})")
        console.print(f"LLM: {report.llm_detail}")
        console.print(f"targets served here: {', '.join(report.targets) or 'none'}")
        console.print(f"machine: {report.machine}")
        if report.missing:
            err_console.print("[red]missing required tools:[/red]")
            for tool in report.missing:
                err_console.print(f"  {tool.name}: {tool.purpose}; {tool.fix}")
        if report.llm_ok is False:
            err_console.print(f"[red]the configured LLM endpoint does not answer:[/red] {report.llm_detail}")
    if not report.healthy:
        raise typer.Exit(1)


@app.command()
def demo(json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """The main job on embedded defaults, offline: hardware designs, tuned kernels, and the
    co-design loop (an accelerator under an area budget and the GEMM kernel that uses it).

    Every artifact and report goes to the run directory. Exit 0 when every step verified.
    """
    from dataclasses import asdict

    from ops.demo import run_demo

    report = run_demo(progress=lambda line: err_console.print(f"[bold]>[/bold] {line}"))
    if json_out:
        print(
            json.dumps(
                {"ok": report.ok, "steps": [asdict(s) for s in report.steps], "codesign": report.codesign},
                indent=2,
                default=str,
            )
        )
    else:
        table = Table(title="qimeng demo")
        for col in ("step", "verdict", "detail", "s"):
            table.add_column(col)
        for step in report.steps:
            colour = "green" if step.verdict == "verified" else "red"
            table.add_row(
                step.what, f"[{colour}]{step.verdict}[/{colour}]", step.detail, f"{step.seconds:.1f}"
            )
        console.print(table)
        for line in report.codesign.get("reasons", []):
            console.print(f"  critic: {line}")
        console.print("where each step's files are (run directories, full paths):")
        for step in report.steps:  # whole paths on lines of their own: a table cell would cut them
            if step.where:
                console.print(f"  {step.what}: {step.where}", markup=False, highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


bench_app = typer.Typer(help="Benchmarks: each prints a table with the machine and the baseline ratio.")
app.add_typer(bench_app, name="bench")


@bench_app.command("sandbox")
def bench_sandbox(
    runs: int = typer.Option(200, min=10, help="How many calls to time."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Overhead of one sandboxed call: median wall time of /bin/true, bare and confined."""
    from evals.sandbox_overhead import measure

    result = measure(runs)
    if json_out:
        print(json.dumps(result.model_dump() | {"overhead_ms": result.overhead_ms}, indent=2))
        return
    table = Table(title=f"sandbox overhead ({result.runs} runs of /bin/true) on {result.machine}")
    for col in ("how", "median ms", "p95 ms", "ratio vs bare"):
        table.add_column(col)
    table.add_row("bare subprocess", f"{result.bare_median_ms:.2f}", "-", "1.0x")
    ratio = result.sandboxed_median_ms / result.bare_median_ms
    table.add_row(
        "run_sandboxed",
        f"{result.sandboxed_median_ms:.2f}",
        f"{result.sandboxed_p95_ms:.2f}",
        f"{ratio:.1f}x",
    )
    console.print(table)


@bench_app.command("cluster")
def bench_cluster(
    case: str = typer.Option("all", help="scaling (campaign samples), session (tool calls) or all."),
    workers: str = typer.Option("1,2", help="Comma-separated worker counts to measure (scaling)."),
    samples: int = typer.Option(16, min=1, help="Samples per measurement (scaling)."),
    rounds: int = typer.Option(3, min=1, help="Rounds of the session's tool calls (session)."),
    address: str = typer.Option(
        "", "--cluster", help="Ray cluster for the session case (default: a local Ray on this host)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Campaign throughput (samples/s) against Ray worker count, and the parallel efficiency; and a
    design session's tool calls: calls/s and the Ray dispatch overhead over in-process (median, p95)."""
    if case not in ("scaling", "session", "all"):
        raise UsageError(f"unknown case '{case}'; known cases: all, scaling, session")
    from cluster.ray_executor import RayExecutor

    if case in ("scaling", "all"):
        from evals.cluster_scaling import main as scaling

        def executor_for(cpus: int, in_flight: int) -> RayExecutor:
            return RayExecutor(num_cpus=cpus, targets=set(), retries=0, max_in_flight=in_flight)

        scaling(executor_for, workers=workers, samples=samples, json_out=json_out)
    if case in ("session", "all"):
        from evals.tool_dispatch import main as dispatch

        def session_ray() -> tuple[RayExecutor, int]:
            executor = RayExecutor(address or None, retries=0, retry_exceptions=False)
            return executor, executor.alive_nodes()

        dispatch(session_ray, rounds=rounds, json_out=json_out)


def _bench_reward(argv: list[str]) -> None:
    """Register ``bench reward`` only when it is asked for or help is listed (it imports the service)."""
    if "bench" in argv and not {"sandbox", "cluster"} & set(argv):
        from ops.cmd_bench_reward import bench_reward_cmd

        bench_app.command("reward")(bench_reward_cmd)


ops_app = typer.Typer(help="Operations: a local Prometheus to watch long runs.")
app.add_typer(ops_app, name="ops")


@ops_app.command("up")
def ops_up(
    port: int = typer.Option(9090, help="Port for Prometheus on 127.0.0.1."),
    data: str = typer.Option("", help="Data directory (default: <run_dir>/prometheus)."),
) -> None:
    """Start Prometheus on loopback with qimeng's scrape config, recording and alert rules.

    It scrapes the campaign driver's /metrics (settings.metrics_port) and every Ray node listed in
    Ray's service-discovery file. Runs until Ctrl-C. Example: 'qimeng ops up --port 9091'.
    """
    from pathlib import Path

    from ops.prom import start

    settings = get_settings()
    data_dir = Path(data) if data else settings.run_dir / "prometheus"
    server = start(data_dir, port, settings.metrics_port)
    console.print(f"Prometheus on {server.url} (config {server.config}); Ctrl-C stops it")
    try:
        server.process.wait()
    finally:
        server.stop()


# Sub-apps carry a callback so they also work standalone; merged here it is unused by design.
warnings.filterwarnings("ignore", message="The 'callback' parameter is not supported by Typer")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    Typer reports its own usage errors (exit 2); our errors are printed here as one line.
    """
    args = sys.argv[1:] if argv is None else argv
    if not sys.stdout.isatty():
        # rich assumes 80 columns when piped, which cuts table cells; a log file can be wider
        os.environ.setdefault("COLUMNS", "200")
    _mount(args)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
    command = typer.main.get_command(app)
    try:
        if not {"--help", "-h", "--version"} & set(args):
            get_settings()  # a bad setting is reported before any work starts, not after it
        command.main(args=args, prog_name="qimeng", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err_console.print("interrupted; finished work is in the run directory")
        return 130
    except QimengError as exc:  # raised outside a command group (settings, mounting)
        return report(exc)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    """Ctrl-C: kill every sandboxed program at once (worker threads would otherwise finish theirs,
    and the process wait for them), then interrupt the main thread as Python would."""
    cancel_all()
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
