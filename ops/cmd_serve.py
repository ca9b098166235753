"""``qimeng serve``: long-running services (parsing only)."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from ops.cluster_option import ClusterOption
from ops.exits import QimengGroup
from ops.metrics_option import MetricsOption, MetricsPortOption, start_metrics
from tools.errors import UsageError

app = typer.Typer(
    cls=QimengGroup,
    help="Services: the web page for design sessions, the verifiable-reward service for RL.",
    no_args_is_help=True,
)
err = Console(stderr=True)

SHARED_VERILOG_EVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "verilog-eval-v2"
"""VerilogEval v2 beside the repository, served by default when it is there."""


def data_dirs(given: list[Path]) -> list[Path]:
    """The VerilogEval-format directories to serve: those given, else the shared copy if present.

    Raises:
        UsageError: for a given path that is not a directory.
    """
    for path in given:
        if not path.is_dir():
            raise UsageError(f"--data {path} is not a directory; give a VerilogEval-format folder")
    if given:
        return [p.resolve() for p in given]
    return [SHARED_VERILOG_EVAL] if SHARED_VERILOG_EVAL.is_dir() else []


@app.command("reward")
def reward_cmd(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8377, min=0, max=65535, help="Port (0: any free port)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="CPUs of the local Ray (default: all); ignored with --ray-address."
    ),
    ray_address: str | None = typer.Option(None, "--ray-address", help="Ray cluster HOST:6379 or 'auto'."),
    data: list[Path] = typer.Option(
        [], "--data", help="VerilogEval-format folder for problem ids (repeatable)."
    ),
    store: Path | None = typer.Option(
        None, "--store", help="Cache and history folder (default: <run_dir>/reward)."
    ),
    retries: int = typer.Option(2, min=0, max=10, help="Retries of an item whose worker died."),
    timeout: float = typer.Option(
        10.0, min=0.5, help="Wall seconds of one item's simulations or kernel runs."
    ),
) -> None:
    """Serve verifiable rewards: POST /reward scores a batch of completions on Ray workers.

    Each item is {"kind": "verilog" | "kernel", "completion": ..., "problem": id} or, for Verilog,
    {"golden": RTL} instead of a problem id. Every item comes back with its reward, verdict,
    reason and the checker's evidence; GET /health and GET /metrics too. Runs until Ctrl-C.

    Example: qimeng serve reward --port 8377 --workers 2
    """
    from cluster.reward_pool import ray_pool
    from cluster.reward_store import RewardStore
    from ops.reward_server import RewardServer
    from tools.settings import get_settings

    dirs = data_dirs(data)
    folder = store or get_settings().run_dir / "reward"
    pool = ray_pool(
        RewardStore(folder), dirs, address=ray_address, workers=workers, retries=retries, timeout_s=timeout
    )
    try:
        server = RewardServer(pool, host, port)
    except OSError as exc:
        pool.executor.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop ends it as Ctrl-C does
    err.print(f"reward service on {server.url} (POST /reward, GET /health, GET /metrics); Ctrl-C stops it")
    err.print(
        f"problems from: {', '.join(map(str, dirs)) or 'none (inline golden RTL only)'}; records: {folder}"
    )
    try:
        server.serve_forever()
    finally:
        server.stop()
        pool.executor.close()
        pool.store.close()


@app.command("web")
def web_cmd(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8765, min=0, max=65535, help="Port (0: any free port)."),
    offline: bool = typer.Option(False, "--offline", help="Deterministic planner and designers, no LLM."),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Where sessions.sqlite and runs go."),
    open_page: bool = typer.Option(False, "--open", help="Also open the page in this machine's browser."),
    cluster: ClusterOption = None,
    metrics_port: MetricsPortOption = None,
    metrics: MetricsOption = True,
) -> None:
    """A local web page for design sessions: type a request, watch the agents, answer approvals and
    questions, see each result (RTL or kernel, checks, PPA or timing, plots, waveforms) and resume
    earlier threads. Same session database as qimeng chat. Runs until Ctrl-C; serves Prometheus
    metrics on 127.0.0.1 as qimeng chat does.

    Example: qimeng serve web --offline --port 8765
    """
    from ops.cluster_option import session_executor
    from ops.cmd_design import _client
    from ops.web.server import Designer, DesignServer
    from tools.settings import get_settings

    offline, llm = _client(offline)
    executor = session_executor(cluster)
    designer = Designer(run_dir or get_settings().run_dir, offline=offline, llm=llm, executor=executor)
    try:
        server = DesignServer(designer, host, port)
    except OSError as exc:
        if executor is not None:
            executor.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    signal.signal(signal.SIGTERM, _interrupt)
    start_metrics(metrics, metrics_port, err)
    err.print(
        f"design sessions on {server.url} ({'offline' if offline else 'LLM'} planner; "
        f"sessions in {designer.root}); Ctrl-C stops it"
    )
    if open_page:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        designer.index.close()
        if executor is not None:
            executor.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
