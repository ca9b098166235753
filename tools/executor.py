"""The executor seam: agents hand tool calls to an :class:`Executor` and never see where they run.

``run(call)`` runs one call and returns its result; ``map(calls)`` yields results as they finish
(in completion order). ``targets()`` and ``toolsets()`` say what the executor can serve, so a
caller fails fast instead of queueing work nobody can run; ``None`` means "anything" (the
in-process executor: the tool itself says when this machine lacks a compiler or an emulator).

The default is :class:`InProcessExecutor`. A graph's front door installs another one (the Ray
executor of :mod:`cluster`) for the duration of a run with :func:`use_executor`; LangGraph copies
the context into every node's thread, so the agents' :func:`call_tool` reaches it without any
agent knowing which executor it is.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from tools.calls import (
    LOCAL_NODE,
    Call,
    CallResult,
    cluster_node,
    describe_exception,
    execute,
    host_labels,
)
from tools.errors import QimengError

HDL_PROGRAMS = ("iverilog", "vvp", "verilator", "yosys")
"""Programs a node needs to serve the ``hdl`` tool set."""


class NoNodeForTarget(QimengError):
    """A call needs a target (or tool set) that no node of the executor serves."""


class Executor(Protocol):
    """Where tool calls run: in this process, or on a Ray cluster."""

    def targets(self) -> set[str] | None:
        """Targets some node can serve right now; None: not known in advance (anything is tried)."""
        ...

    def toolsets(self) -> set[str] | None:
        """Tool sets (e.g. 'hdl') some node has; None: not known in advance."""
        ...

    def run(self, call: Call) -> CallResult:
        """Run one call (with the executor's retries) and return what happened.

        Raises:
            NoNodeForTarget: at once, when no node serves the call's target or tool set.
        """
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


def local_toolsets() -> set[str]:
    """Tool sets installed on this machine: 'hdl' when every program of :data:`HDL_PROGRAMS` is."""
    return {"hdl"} if all(shutil.which(p) for p in HDL_PROGRAMS) else set()


def check_served(
    calls: Iterable[Call], targets: set[str] | None, toolsets: set[str] | None, where: str
) -> None:
    """Raise :class:`NoNodeForTarget` when a call needs a target or tool set nobody serves.

    ``None`` for ``targets`` or ``toolsets`` skips that check.
    """
    todo = list(calls)
    if targets is not None:
        missing = sorted({c.target for c in todo if c.target is not None} - targets)
        if missing:
            have = ", ".join(sorted(targets)) or "none"
            raise NoNodeForTarget(
                f"no node {where} serves target(s) {', '.join(missing)} (resource "
                f"{', '.join('target_' + m for m in missing)}); targets served: {have}. Start a node that "
                f"declares it, e.g. ray start --address HEAD:6379 --resources '{{\"target_{missing[0]}\": 10000}}'"
            )
    if toolsets is not None:
        lacking = sorted({c.toolset for c in todo if c.toolset is not None} - toolsets)
        if lacking:
            have = ", ".join(sorted(toolsets)) or "none"
            raise NoNodeForTarget(
                f"no node {where} has the tool set(s) {', '.join(lacking)} (resource "
                f"{', '.join('tools_' + m for m in lacking)}); tool sets served: {have}. Start a node that "
                f"has them and declares it, e.g. --resources '{{\"tools_{lacking[0]}\": 10000}}'"
            )


class InProcessExecutor:
    """Runs each call in the calling thread: the default, and the place ``local_only`` calls run.

    Inside a call that a cluster node runs (a campaign sample on Ray), results name that node, not
    ``local``: the nested tool ran there.

    Args:
        retries: extra attempts after a task raises (0: a tool's error is final).
        targets, toolsets: what to serve; None (default) serves anything and lets the tool report
            a missing compiler or emulator itself.
    """

    def __init__(
        self, retries: int = 0, targets: set[str] | None = None, toolsets: set[str] | None = None
    ) -> None:
        self._retries = retries
        self._targets = targets
        self._toolsets = toolsets
        self._labels = host_labels()

    def targets(self) -> set[str] | None:
        return None if self._targets is None else set(self._targets)

    def toolsets(self) -> set[str] | None:
        return None if self._toolsets is None else set(self._toolsets)

    def attempt(self, call: Call) -> CallResult:
        """Run ``call`` with retries; a failure comes back as ``ok=False`` carrying its exception."""
        for attempt in range(self._retries + 1):
            try:
                return execute(call, cluster_node() or LOCAL_NODE, self._labels)
            except Exception as exc:  # a task's failure becomes a recorded error, never a crash here
                failure: BaseException = exc
                tries = attempt + 1
        return CallResult(
            key=call.key,
            ok=False,
            error=f"failed after {tries} attempt(s): {describe_exception(failure)}",
            node_id=cluster_node() or LOCAL_NODE,
            node_labels=dict(self._labels),
            target=call.target,
        ).with_exception(failure)

    def run(self, call: Call) -> CallResult:
        check_served([call], self._targets, self._toolsets, "on this machine")
        return self.attempt(call)

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        todo = list(calls)
        check_served(todo, self._targets, self._toolsets, "on this machine")
        for call in todo:
            yield self.attempt(call)

    def close(self) -> None:
        return None


_DEFAULT = InProcessExecutor()
_CURRENT: ContextVar[Executor | None] = ContextVar("qimeng_executor", default=None)


def current_executor() -> Executor:
    """The executor installed by :func:`use_executor` in this context, else the in-process one."""
    return _CURRENT.get() or _DEFAULT


@contextmanager
def use_executor(executor: Executor | None) -> Iterator[Executor]:
    """Run the enclosed code with ``executor`` as the current one (None: leave the current one)."""
    if executor is None:
        yield current_executor()
        return
    token = _CURRENT.set(executor)
    try:
        yield executor
    finally:
        _CURRENT.reset(token)


def call_tool(
    task: str,
    args: dict[str, Any],
    *,
    key: str | None = None,
    target: str | None = None,
    toolset: str | None = None,
    num_cpus: float = 1.0,
    local_only: bool = False,
) -> CallResult:
    """Run one tool call on the current executor and return its (successful) result.

    Raises:
        NoNodeForTarget: when no node serves ``target`` or ``toolset``.
        Exception: the task's own exception when the executor kept it, else ToolCallFailed.
    """
    call = Call(
        key=key or task.rpartition(":")[2],
        task=task,
        args=args,
        target=target,
        toolset=toolset,
        num_cpus=num_cpus,
        local_only=local_only,
    )
    result = current_executor().run(call)
    result.unwrap()
    return result
