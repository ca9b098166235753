"""Calls as campaigns and the Ray executor run them: :class:`tools.calls.Call` resolved against the
campaign task registry (:data:`cluster.tasks.TASKS`) first, then as ``module:function``.

The call and result models live in :mod:`tools.calls` (below the agents, which make tool calls
without knowing this room); this module only adds the registry lookup.
"""

from __future__ import annotations

from collections.abc import Mapping

from tools.calls import Call, CallResult, TaskFn, describe_exception
from tools.calls import execute as execute_with
from tools.calls import resolve_task as resolve_with

__all__ = ["Call", "CallResult", "TaskFn", "describe_exception", "execute", "resolve_task"]


def resolve_task(name: str) -> TaskFn:
    """The function behind a campaign task name or an importable ``module:function``.

    Raises:
        UsageError: for an unknown registry name (listing the known tasks) or a ``module:function``
            that does not import.
    """
    from cluster.tasks import TASKS

    return resolve_with(name, TASKS)


def execute(call: Call, node_id: str, node_labels: Mapping[str, str] | None = None) -> CallResult:
    """Run ``call`` here (see :func:`tools.calls.execute`), resolving campaign task names too."""
    from cluster.tasks import TASKS

    return execute_with(call, node_id, node_labels, TASKS)
