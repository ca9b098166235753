"""``qimeng bench reward``: the reward service under load on a local Ray (wiring and the table only;
the benchmark is :mod:`evals.reward_bench`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tools.errors import UsageError

console = Console()
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "reward"


def bench_reward_cmd(
    items: int = typer.Option(128, "--items", min=4, help="Items to score (each way)."),
    batch: int = typer.Option(64, "--batch", min=1, help="Items per POST."),
    workers: str = typer.Option("1,2", help="Comma-separated worker counts."),
    timeout: float = typer.Option(5.0, min=0.5, help="Wall seconds of one item's simulations."),
    data: Path | None = typer.Option(
        None, "--data", help="VerilogEval folder (default: the shared copy, else the test fixtures)."
    ),
    drill: bool = typer.Option(True, "--drill/--no-drill", help="Kill a Ray worker during a last batch."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Throughput (items/s) and latency (per batch, per item) of the reward service on local Ray at
    each worker count, against the checker run directly in a loop on the same cores.

    Example: qimeng bench reward --items 128 --batch 64 --workers 1,2
    """
    from evals.reward_bench import run_bench
    from ops.cmd_serve import SHARED_VERILOG_EVAL
    from tools.runstore import new_run

    try:
        counts = sorted({int(w) for w in workers.split(",") if w.strip()})
    except ValueError:
        raise UsageError(f"--workers must be comma-separated whole numbers, got '{workers}'") from None
    if not counts or counts[0] < 1:
        raise UsageError(f"--workers needs counts of at least 1, got '{workers}'")
    folder = data or (SHARED_VERILOG_EVAL if SHARED_VERILOG_EVAL.is_dir() else FIXTURES)
    ray_tmp = None if "RAY_TMPDIR" in os.environ else tempfile.mkdtemp(prefix="rb-", dir="/tmp")
    if ray_tmp:  # short: Ray's socket paths have a length limit
        os.environ["RAY_TMPDIR"] = ray_tmp
    try:
        result = run_bench(
            _service_for(folder, timeout),
            folder,
            count=items,
            batch=batch,
            workers=counts,
            timeout_s=timeout,
            kill=_kill_a_worker if drill else None,
        )
    finally:
        if ray_tmp:
            os.environ.pop("RAY_TMPDIR", None)
            shutil.rmtree(ray_tmp, ignore_errors=True)
    run = new_run(f"bench reward --items {items} --batch {batch} --workers {workers}")
    run.write_json("bench.json", result, kind="report")
    run.finish("done", agree=result.agree)
    if json_out:
        print(result.model_dump_json(indent=2))
        return
    table = Table(
        title=f"reward service, {result.items} VerilogEval items ({result.mix}), batches of {batch}, "
        f"on {result.machine}, load {result.load}"
    )
    for col in (
        "how",
        "items/s",
        "vs direct",
        "batch p50 s",
        "batch p99 s",
        "item p50 s",
        "item p99 s",
        "errors",
    ):
        table.add_column(col)
    direct = {p.workers: p.items_per_s for p in result.points if p.how.startswith("direct")}
    for p in result.points:
        ratio = p.items_per_s / direct[p.workers] if direct.get(p.workers) else None
        table.add_row(
            p.how,
            f"{p.items_per_s:.2f}",
            f"{ratio:.2f}x" if ratio else "-",
            f"{p.batch_p50_s:.1f}" if p.batch_p50_s is not None else "-",
            f"{p.batch_p99_s:.1f}" if p.batch_p99_s is not None else "-",
            f"{p.item_p50_s:.2f}",
            f"{p.item_p99_s:.2f}",
            str(p.errors),
        )
    console.print(table)
    console.print(
        f"same reward for every item every way: {result.agree}; verdicts: {result.points[0].verdicts}"
    )
    if result.drill:
        console.print(f"worker-kill drill: {json.dumps(result.drill)}")
    console.print(f"results: {run.path}")


def _service_for(data: Path, timeout_s: float) -> Callable[[int], tuple[str, Callable[[], None]]]:
    def start(workers: int) -> tuple[str, Callable[[], None]]:
        from cluster.reward_pool import ray_pool
        from cluster.reward_store import RewardStore
        from ops.reward_server import RewardServer

        folder = Path(tempfile.mkdtemp(prefix="qimeng-reward-bench-"))
        store = RewardStore(folder)
        pool = ray_pool(store, [data], workers=workers, timeout_s=timeout_s)
        server = RewardServer(pool).start()

        def stop() -> None:
            server.stop()
            pool.executor.close()
            store.close()
            shutil.rmtree(folder, ignore_errors=True)  # a fresh cache per worker count

        return server.url, stop

    return start


def _kill_a_worker() -> int | None:
    """SIGKILL one Ray worker of this process's local Ray that is running a task; its pid, or None."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    todo = [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                running = Path(f"/proc/{child}/cmdline").read_bytes().startswith(b"ray::_run_on_node")
            except OSError:
                continue
            if running:
                os.kill(child, signal.SIGKILL)
                return child
    return None
