"""The durable result store of a campaign: SQLite in the run directory, one row per finished sample.

WAL mode, one transaction per row, and a primary key on ``(task, sample)`` with ``INSERT OR IGNORE``:
a sample is either fully recorded or not at all, a driver killed at any point leaves a consistent
file, and recording a sample twice (a resumed run racing a late result) keeps the first row.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cluster.calls import CallResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    task TEXT NOT NULL,
    sample INTEGER NOT NULL,
    round INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    passed INTEGER,
    value TEXT,
    error TEXT,
    node_id TEXT NOT NULL DEFAULT '',
    wall_s REAL NOT NULL DEFAULT 0,
    finished REAL NOT NULL,
    PRIMARY KEY (task, sample)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class SampleRow:
    """One recorded sample."""

    task: str
    sample: int
    round: int
    status: str
    passed: bool | None
    value: dict[str, Any] | None
    error: str | None
    node_id: str
    wall_s: float
    finished: float


class ResultStore:
    """Opens (creating if needed) ``results.sqlite`` in a run directory."""

    FILENAME = "results.sqlite"

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / self.FILENAME
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def record(self, task: str, sample: int, result: CallResult, round_no: int = 0) -> bool:
        """Record a finished sample; returns False when ``(task, sample)`` was already recorded."""
        passed = None
        if result.ok and result.value is not None and isinstance(result.value.get("passed"), bool):
            passed = int(result.value["passed"])
        cur = self._db.execute(
            "INSERT OR IGNORE INTO samples (task, sample, round, status, passed, value, error, node_id, "
            "wall_s, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task,
                sample,
                round_no,
                "ok" if result.ok else "error",
                passed,
                json.dumps(result.value, sort_keys=True) if result.value is not None else None,
                result.error,
                result.node_id,
                result.wall_s,
                time.time(),
            ),
        )
        return cur.rowcount == 1

    def done(self) -> set[tuple[str, int]]:
        """Keys of every recorded sample."""
        return {(t, s) for t, s in self._db.execute("SELECT task, sample FROM samples")}

    def rows(self) -> list[SampleRow]:
        """Every recorded sample, ordered by task then sample."""
        out = []
        for r in self._db.execute(
            "SELECT task, sample, round, status, passed, value, error, node_id, wall_s, finished "
            "FROM samples ORDER BY task, sample"
        ):
            out.append(
                SampleRow(
                    task=r[0],
                    sample=r[1],
                    round=r[2],
                    status=r[3],
                    passed=None if r[4] is None else bool(r[4]),
                    value=json.loads(r[5]) if r[5] is not None else None,
                    error=r[6],
                    node_id=r[7],
                    wall_s=r[8],
                    finished=r[9],
                )
            )
        return out

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (replacing it)."""
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        """The JSON value under ``key``, or ``default``."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def close(self) -> None:
        """Close the database (committed rows are already durable)."""
        self._db.close()
