"""A thread stopped in the middle of a task and resumed redoes none of the tool calls it finished.

The executors here implement the executor protocol around the real in-process executor (the
tools really run): one stops the thread after a few calls, as a kill would; one records what the
resumed thread still had to run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from graphs.session import Session
from tools.calls import Call, CallResult
from tools.executor import InProcessExecutor

REQUEST = "reduce_sum n=4096 for x86_64"


class Stopped(Exception):
    """The session was stopped here."""


class Recording:
    """Runs calls in-process and records each; after ``limit`` calls, stops the thread."""

    def __init__(self, limit: int | None = None) -> None:
        self.inner = InProcessExecutor()
        self.limit = limit
        self.ran: list[tuple[str, str]] = []

    def targets(self) -> set[str] | None:
        return None

    def toolsets(self) -> set[str] | None:
        return None

    def run(self, call: Call) -> CallResult:
        if self.limit is not None and len(self.ran) >= self.limit:
            raise Stopped(f"stopped before {call.key}")
        self.ran.append((call.task, repr(sorted(call.args.items()))))
        return self.inner.run(call)

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        for call in calls:
            yield self.run(call)

    def close(self) -> None:
        return None


def run(session: Session, resume: bool = False) -> None:
    stream = session.resume() if resume else session.start(REQUEST, offline=True)
    for _ in stream:
        pass


def test_a_resumed_thread_redoes_no_finished_tool_call(tmp_path: Path) -> None:
    """Stopped inside the tuner (compile, test and timing done, then the tuner's first calls), the
    resumed thread reruns the tuning node, whose finished calls come from the thread's call cache."""
    stopped = Recording(limit=5)
    session = Session(tmp_path, "t1", executor=stopped)
    with pytest.raises(Stopped):
        run(session)
    session.close()
    assert [task.rpartition(":")[2] for task, _ in stopped.ran] == [
        "compile_call",
        "check_call",
        "time_call",  # the profile
        "time_call",  # the tuner's first candidate (its check is the test's, already cached)
        "check_call",  # the tuner's second candidate
    ]

    rest = Recording()
    resumed = Session(tmp_path, "t1", executor=rest)
    run(resumed, resume=True)
    assert resumed.values()["status"] == "done"
    resumed.close()
    assert rest.ran and not set(rest.ran) & set(stopped.ran)  # nothing finished was run again
