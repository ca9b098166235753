"""``qimeng campaign next-batch``: the next RL training batch by CDAS over the reward service's
records (parsing only; the sampling is :mod:`cluster.reward_cdas`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tools.errors import UsageError


def next_batch_cmd(
    size: int = typer.Option(64, "--size", min=1, help="Problems in the batch."),
    store: Path | None = typer.Option(
        None, "--store", help="The reward service's records folder (default: <run_dir>/reward)."
    ),
    kind: str | None = typer.Option(None, "--kind", help="Only verilog or kernel problems."),
    json_out: bool = typer.Option(False, "--json", help="Print the batch as JSON."),
) -> None:
    """The next training batch, weighted by the difficulty the reward service measured (CDAS):
    the problems nearest to the model's competence, half easier and half harder.

    Example: qimeng campaign next-batch --size 32 --json > next.json
    """
    from cluster.reward_cdas import next_batch
    from cluster.reward_store import RewardStore
    from tools.settings import get_settings

    if kind not in (None, "verilog", "kernel"):
        raise UsageError(f"--kind must be verilog or kernel, got '{kind}'")
    folder = store or get_settings().run_dir / "reward"
    if not (folder / RewardStore.FILENAME).is_file():
        raise UsageError(f"no reward records in {folder} (run 'qimeng serve reward' and post batches first)")
    records = RewardStore(folder)
    try:
        picks = next_batch(records, size, kind)
    finally:
        records.close()
    if json_out:
        print(json.dumps([asdict(p) for p in picks], indent=2))
        return
    table = Table(title=f"next batch: {len(picks)} problem(s) by CDAS from {folder}")
    for col in ("problem", "difficulty", "expected pass rate", "scored items"):
        table.add_column(col)
    for p in picks:
        table.add_row(p.problem, f"{p.difficulty:+.3f}", f"{p.expected:.2f}", str(p.observed))
    Console().print(table)


def register(app: typer.Typer) -> typer.Typer:
    """Add ``next-batch`` to the campaign command group (once); returns it."""
    if not any(c.name == "next-batch" for c in app.registered_commands):
        app.command("next-batch")(next_batch_cmd)
    return app
