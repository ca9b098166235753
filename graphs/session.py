"""Sessions of the top-level graph: a SQLite checkpointer, thread ids, resume, interrupts, streaming.

Every thread's checkpoints live in ``<root>/sessions.sqlite`` and its artifacts in
``<root>/<thread-id>/``. A killed process resumes from its last checkpoint (finished tool work is
also cached by content hash, see :mod:`graphs.cache`). The database is stamped with
:data:`SCHEMA_VERSION`; one written by another version is refused with a message saying what to do.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from agents.llm import LLMClient
from agents.top import Budget, QimengContext
from agents.top.state import CHECKPOINTED
from graphs.cache import CachedExecutor, ToolCache
from graphs.qimeng import build_qimeng_graph
from tools.errors import UsageError
from tools.executor import Executor, InProcessExecutor
from tools.runstore import safe_id
from tools.tracing import span

SCHEMA_VERSION = "qimeng-sessions-2"  # 2: the state holds the request's parts and their critiques
DEFAULT_DEMO = (
    "dot-product accelerator with lanes 4, 8, 16 of 8-bit elements under an area budget of 6000 cells, "
    "and the GEMM kernel 8x20x8 that uses it"
)


class SessionError(UsageError):
    """The session database cannot be used, or the thread cannot be resumed as asked (an unknown
    thread, one waiting for an answer): the user picks another thread or run directory (exit 2)."""


def open_checkpointer(path: Path) -> SqliteSaver:
    """A SqliteSaver on ``path`` (created when missing), after checking the schema stamp.

    Raises:
        SessionError: the file is not a SQLite database, or was written by another version.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "qimeng_meta" in tables:
            row = conn.execute("SELECT value FROM qimeng_meta WHERE key='schema'").fetchone()
            found = row[0] if row else "none"
            if found != SCHEMA_VERSION:
                raise SessionError(
                    f"{path} holds sessions of schema '{found}', this qimeng reads '{SCHEMA_VERSION}'; "
                    "move the file aside (its threads cannot be resumed by this version) or use --run-dir"
                )
        elif tables:
            raise SessionError(
                f"{path} is a SQLite database not written by qimeng (tables: {', '.join(sorted(tables))}); "
                "move it aside or use --run-dir"
            )
        else:
            conn.execute("CREATE TABLE qimeng_meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute("INSERT INTO qimeng_meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            conn.commit()
        # why a thread's last run failed (cleared when a later run finishes); additive, any schema
        conn.execute("CREATE TABLE IF NOT EXISTS qimeng_failures (thread_id TEXT PRIMARY KEY, why TEXT)")
        conn.commit()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise SessionError(
            f"{path} is not a usable session database ({exc}); move it aside or use --run-dir"
        ) from None
    except SessionError:
        conn.close()
        raise
    # the typed results in the state are revived by class: only ours (and LangGraph's safe types) are allowed
    allowed = [(m.__module__, m.__name__) for m in CHECKPOINTED]
    saver = SqliteSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=allowed))
    saver.setup()
    return saver


def new_thread_id() -> str:
    """A fresh thread id that sorts by creation time."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class ThreadInfo:
    """One thread in the session database."""

    thread_id: str
    request: str
    status: str
    rounds: int


class Session:
    """One conversation thread of the top-level graph.

    Args:
        root: where ``sessions.sqlite`` and the per-thread run directories live.
        thread_id: the thread to use (default: a fresh one).
        llm: the LLM client for the planner (None: offline planner).
        executor: where the agents' tool calls run (None: in this process); e.g. a Ray executor
            from :func:`cluster.session_executor.tool_executor`. Finished work cached by content
            hash is reused whichever executor did it: finished tasks by every thread of ``root``,
            finished tool calls by this thread (a resumed thread redoes none).
    """

    def __init__(
        self,
        root: Path,
        thread_id: str | None = None,
        *,
        llm: LLMClient | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.root = Path(root)
        self.saver = open_checkpointer(self.root / "sessions.sqlite")
        self.graph = build_qimeng_graph(self.saver)
        self.thread_id = safe_id(thread_id, "thread id") if thread_id else new_thread_id()
        calls = CachedExecutor(executor or InProcessExecutor(), ToolCache(self.run_root))
        self.context = QimengContext(llm=llm, executor=calls)

    @property
    def config(self) -> dict[str, Any]:
        """The LangGraph config naming this thread."""
        return {"configurable": {"thread_id": self.thread_id}, "recursion_limit": 100}

    @property
    def run_root(self) -> Path:
        """This thread's artifact directory."""
        return self.root / self.thread_id

    def exists(self) -> bool:
        """Whether the thread has any checkpoint."""
        return self.saver.get_tuple(self.config) is not None  # type: ignore[arg-type]

    def start(
        self, request: str, *, offline: bool = True, approve: bool = False, budget: Budget | None = None
    ) -> Iterator[tuple[str, Any]]:
        """Run a new request on this thread; yields ``(mode, chunk)`` for modes updates and custom."""
        if self.exists():
            raise UsageError(f"thread {self.thread_id} already exists; resume it, or start a new thread")
        state = {
            "request": request,
            "offline": offline,
            "approve": approve,
            "run_root": str(self.run_root),
            "cache_root": str(self.root),
            "budget": (budget or Budget()).model_dump(),
        }
        yield from self._stream(state)

    def resume(self, answer: Any = None) -> Iterator[tuple[str, Any]]:
        """Continue from the last checkpoint; ``answer`` answers a pending interrupt.

        Raises:
            SessionError: the thread has no checkpoint, or has already finished.
        """
        if not self.exists():
            raise SessionError(
                f"no thread '{self.thread_id}' in {self.root / 'sessions.sqlite'}; /threads lists them"
            )
        snap = self.graph.get_state(self.config)
        if not snap.next and not snap.tasks:  # tasks whose writes were saved before a kill are not in next
            raise SessionError(
                f"thread {self.thread_id} has finished (status {snap.values.get('status')}); nothing to resume"
            )
        if snap.interrupts and answer is None:
            raise SessionError(f"thread {self.thread_id} is waiting for an answer: {self.pending()}")
        yield from self._stream(Command(resume=answer) if snap.interrupts else None)

    def _stream(self, inp: Any) -> Iterator[tuple[str, Any]]:
        # one span per run of the thread: the agents' LLM and tool spans nest under it
        with span(
            "qimeng session",
            {"qimeng.thread": self.thread_id, "qimeng.resumed": inp is None or isinstance(inp, Command)},
        ) as run:
            try:
                yield from self.graph.stream(
                    inp, self.config, stream_mode=["updates", "custom"], context=self.context
                )
            except Exception as exc:
                self._set_failure(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                raise
            self._set_failure(None)
            if run.is_recording():
                run.set_attribute("qimeng.status", str(self.values().get("status", "")))

    def _set_failure(self, why: str | None) -> None:
        """Record why the thread's last run failed (None: it did not), for :meth:`threads`."""
        conn = self.saver.conn
        if why is None:
            conn.execute("DELETE FROM qimeng_failures WHERE thread_id = ?", (self.thread_id,))
        else:
            conn.execute("INSERT OR REPLACE INTO qimeng_failures VALUES (?, ?)", (self.thread_id, why))
        conn.commit()

    def failure(self) -> str | None:
        """Why the thread's last run failed, or None when it did not (or has not run)."""
        row = self.saver.conn.execute(
            "SELECT why FROM qimeng_failures WHERE thread_id = ?", (self.thread_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def pending(self) -> dict[str, Any] | None:
        """The payload of the interrupt the thread waits on (approval or clarification), if any."""
        snap = self.graph.get_state(self.config)
        return dict(snap.interrupts[0].value) if snap.interrupts else None

    def values(self) -> dict[str, Any]:
        """The thread's current state values."""
        return dict(self.graph.get_state(self.config).values)

    def result(self) -> dict[str, Any] | None:
        """The final report summary once the thread has finished, else None."""
        return self.values().get("report")

    def threads(self) -> list[ThreadInfo]:
        """Every thread in this database, oldest first."""
        rows = self.saver.conn.execute(
            "SELECT DISTINCT thread_id FROM checkpoints ORDER BY thread_id"
        ).fetchall()
        failed = dict(self.saver.conn.execute("SELECT thread_id, why FROM qimeng_failures").fetchall())
        out = []
        for (tid,) in rows:
            vals = self.graph.get_state({"configurable": {"thread_id": tid}}).values
            status = vals.get("status", "?")
            if tid in failed and status == "running":
                status = f"failed: {failed[tid]}"
            out.append(ThreadInfo(tid, vals.get("request", ""), status, vals.get("round", 0)))
        return out

    def close(self) -> None:
        """Close the database connection."""
        self.saver.conn.close()


def run_codesign_demo(run_root: Path | str, request: str = DEFAULT_DEMO) -> dict[str, Any]:
    """The co-design demo: accelerators of several lane counts under an area budget, the GEMM on each
    model, the critic's choice and re-plans. Writes report.md, tradeoff.png and report.json under
    ``<run_root>/<thread-id>/`` and returns the report summary (``report``, ``plot``, ``chosen``, ``rows``)."""
    session = Session(Path(run_root))
    try:
        for _ in session.start(request, offline=True):
            pass
        result = session.result()
    finally:
        session.close()
    if result is None:
        raise SessionError("the co-design demo stopped before writing its report")
    return result
