"""The campaign's local executor: calls in a thread pool of this process, with retries.

The protocol and the in-process executor every agent defaults to live in :mod:`tools.executor`;
:class:`LocalExecutor` adds parallel threads and campaign task names for ``qimeng campaign run
--executor local``. The Ray executor is :mod:`cluster.ray_executor`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from cluster.calls import Call, CallResult, describe_exception, execute
from tools.calls import LOCAL_NODE, host_labels
from tools.errors import QimengError
from tools.executor import Executor, NoNodeForTarget, check_served, local_targets, local_toolsets

__all__ = ["Executor", "LocalExecutor", "NoNodeForTarget", "local_targets", "local_toolsets"]


class LocalExecutor:
    """Runs calls in a thread pool of this process, retrying a call that raises up to ``retries`` times.

    Untrusted code inside a task still runs through the sandbox, so threads are enough here; use
    the Ray executor for crash isolation and more than one machine.
    """

    def __init__(
        self,
        workers: int = 1,
        retries: int = 1,
        targets: set[str] | None = None,
        toolsets: set[str] | None = None,
    ) -> None:
        if workers < 1:
            raise QimengError(f"workers must be at least 1, got {workers}")
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="qimeng-call")
        self._retries = retries
        self._targets = local_targets() if targets is None else set(targets)
        self._toolsets = local_toolsets() if toolsets is None else set(toolsets)
        self._labels = host_labels()

    def targets(self) -> set[str]:
        return set(self._targets)

    def toolsets(self) -> set[str]:
        return set(self._toolsets)

    def _attempt(self, call: Call) -> CallResult:
        reason = ""
        for attempt in range(self._retries + 1):
            try:
                return execute(call, LOCAL_NODE, self._labels)
            except Exception as exc:  # a task's failure becomes a recorded error, never a crash here
                reason = describe_exception(exc)
                last = attempt
        return CallResult(
            key=call.key,
            ok=False,
            error=f"failed after {last + 1} attempt(s): {reason}",
            node_id=LOCAL_NODE,
            node_labels=dict(self._labels),
            target=call.target,
        )

    def run(self, call: Call) -> CallResult:
        check_served([call], self._targets, self._toolsets, "on this machine")
        return self._attempt(call)

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        todo = list(calls)
        check_served(todo, self._targets, self._toolsets, "on this machine")
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
