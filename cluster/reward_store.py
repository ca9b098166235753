"""The reward service's records: SQLite in its directory, the result cache and every answered item.

``results`` holds one row per cache key (a hash of golden, completion, options and checker
version, see :mod:`evals.reward_problems`): the first result recorded wins, so a retry or a
second worker never changes a reward once given. ``observations`` holds one row per answered
item (cache hits too) with its problem, training step and batch: the history CDAS reads
(:mod:`cluster.reward_cdas`). WAL mode, one transaction per batch; safe from several threads.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from evals.reward_models import RewardResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    cache_key TEXT PRIMARY KEY,
    problem TEXT NOT NULL,
    kind TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reward REAL NOT NULL,
    result TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch INTEGER NOT NULL,
    step INTEGER,
    problem TEXT NOT NULL,
    kind TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    correct REAL NOT NULL,
    cached INTEGER NOT NULL,
    wall_s REAL NOT NULL,
    finished REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_problem ON observations (problem);
"""


@dataclass(frozen=True)
class Observation:
    """One answered item, as CDAS reads it."""

    batch: int
    step: int | None
    problem: str
    kind: str
    verdict: str
    correct: float


class RewardStore:
    """Opens (creating if needed) ``rewards.sqlite`` in ``directory``."""

    FILENAME = "rewards.sqlite"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / self.FILENAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def cached(self, keys: Iterable[str]) -> dict[str, RewardResult]:
        """Cached results by cache key, for the keys that have one."""
        wanted = sorted(set(keys))
        found: dict[str, RewardResult] = {}
        with self._lock:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, text in self._db.execute(
                    f"SELECT cache_key, result FROM results WHERE cache_key IN ({marks})", chunk
                ):
                    found[key] = RewardResult.model_validate_json(text)
        return found

    def remember(self, results: Iterable[RewardResult]) -> None:
        """Cache the cacheable results (first one per key wins)."""
        rows = [
            (r.cache_key, r.problem, r.kind or "", r.verdict, r.reward, r.model_dump_json(), time.time())
            for r in results
            if r.cacheable() and r.cache_key
        ]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def observe(self, results: Iterable[RewardResult], steps: dict[int, int | None]) -> int:
        """Record every scored item of one batch (``steps``: item index -> training step); returns
        the batch number. Invalid items and errors are recorded too (CDAS leaves them out)."""
        now = time.time()
        with self._lock:
            row = self._db.execute("SELECT COALESCE(MAX(batch), -1) + 1 FROM observations").fetchone()
            batch = int(row[0])
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO observations (batch, step, problem, kind, verdict, reason, correct, cached, "
                "wall_s, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        batch,
                        steps.get(r.index),
                        r.problem,
                        r.kind or "",
                        r.verdict,
                        r.reason,
                        r.correct,
                        int(r.cached),
                        r.wall_s,
                        now,
                    )
                    for r in results
                    if r.problem
                ],
            )
            self._db.execute("COMMIT")
        return batch

    def observations(self) -> list[Observation]:
        """Every recorded item, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT batch, step, problem, kind, verdict, correct FROM observations ORDER BY id"
            ).fetchall()
        return [Observation(b, s, p, k, v, c) for b, s, p, k, v, c in rows]

    def counts(self) -> tuple[int, int]:
        """(cached results, observations)."""
        with self._lock:
            cached = self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            seen = self._db.execute("SELECT COUNT(*) FROM observations").fetchone()[0]
        return int(cached), int(seen)

    def close(self) -> None:
        """Close the database (committed rows are durable)."""
        with self._lock:
            self._db.close()
