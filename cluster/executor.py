"""The executor seam: agents and campaigns hand calls to an :class:`Executor` and never see Ray.

``run(call)`` runs one call and returns its result; ``map(calls)`` yields results as they finish
(in completion order, not submission order). ``targets()`` says which targets the executor can
serve, so a caller can fail fast instead of queueing work nobody can run.
"""

from __future__ import annotations

import platform
import socket
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from cluster.calls import Call, CallResult, describe_exception, execute
from tools.errors import QimengError


class NoNodeForTarget(QimengError):
    """A call needs a target that no node of the executor serves."""


class Executor(Protocol):
    """Where calls run: in this process, or on a Ray cluster."""

    def targets(self) -> set[str]:
        """Targets some node can serve right now."""
        ...

    def run(self, call: Call) -> CallResult:
        """Run one call (with the executor's retries) and return what happened."""
        ...

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        """Run many calls; yield each result as it finishes. Closing the iterator cancels the rest."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


def local_targets() -> set[str]:
    """Targets this machine can compile for and run (from the ``tools.targets`` registry)."""
    from tools.targets import TARGETS

    found = set()
    for name, cls in TARGETS.items():
        avail = cls().availability()
        if avail.can_compile and avail.can_run:
            found.add(name)
    return found


def check_targets(calls: Iterable[Call], served: set[str], where: str) -> None:
    """Raise :class:`NoNodeForTarget` when a call needs a target missing from ``served``."""
    needed = {c.target for c in calls if c.target is not None}
    missing = sorted(needed - served)
    if missing:
        have = ", ".join(sorted(served)) or "none"
        raise NoNodeForTarget(
            f"no node {where} serves target(s) {', '.join(missing)} (resource "
            f"{', '.join('target_' + m for m in missing)}); targets served: {have}. Start a node that "
            f"declares it, e.g. ray start --address HEAD:6379 --resources '{{\"target_{missing[0]}\": 10000}}'"
        )


class LocalExecutor:
    """Runs calls in a thread pool of this process, retrying a call that raises up to ``retries`` times.

    Untrusted code inside a task still runs through the sandbox, so threads are enough here; use
    the Ray executor for crash isolation and more than one machine.
    """

    def __init__(self, workers: int = 1, retries: int = 1, targets: set[str] | None = None) -> None:
        if workers < 1:
            raise QimengError(f"workers must be at least 1, got {workers}")
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="qimeng-call")
        self._retries = retries
        self._targets = local_targets() if targets is None else set(targets)
        self._node = f"local:{socket.gethostname() or platform.node()}"

    def targets(self) -> set[str]:
        return set(self._targets)

    def _attempt(self, call: Call) -> CallResult:
        reason = ""
        for attempt in range(self._retries + 1):
            try:
                return execute(call, self._node)
            except Exception as exc:  # a task's failure becomes a recorded error, never a crash here
                reason = describe_exception(exc)
                last = attempt
        return CallResult(
            key=call.key, ok=False, error=f"failed after {last + 1} attempt(s): {reason}", node_id=self._node
        )

    def run(self, call: Call) -> CallResult:
        check_targets([call], self._targets, "on this machine")
        return self._attempt(call)

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        todo = list(calls)
        check_targets(todo, self._targets, "on this machine")
        pending: set[Future[CallResult]] = {self._pool.submit(self._attempt, c) for c in todo}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
