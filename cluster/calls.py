"""Calls: the unit of work an executor places and runs.

A :class:`Call` names a registered task (see :data:`cluster.tasks.TASKS`) or an importable
``module:function``, carries JSON arguments and, optionally, the target a node must serve to run it.
A task function takes a JSON object and returns a JSON object; the executor wraps what happened in
a :class:`CallResult`. Nothing here knows what any task does.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from tools.errors import UsageError

TaskFn = Callable[[dict[str, Any]], dict[str, Any]]


class Call(BaseModel):
    """One unit of work: a task name plus JSON arguments, placed by the target it needs."""

    key: str = Field(description="Unique name of this call in its batch, e.g. 'Prob001_zero#3'.")
    task: str = Field(description="A name in cluster.tasks.TASKS, or an importable 'module:function'.")
    args: dict[str, Any] = Field(default_factory=dict, description="JSON arguments handed to the task.")
    target: str | None = Field(
        None, description="Target a node must serve to run this call (x86_64, aarch64, riscv64, cuda)."
    )
    num_cpus: float = Field(1.0, gt=0, description="CPUs the call occupies while it runs.")


class CallResult(BaseModel):
    """What happened to one call."""

    key: str = Field(description="The call's key.")
    ok: bool = Field(description="The task returned a value (it may still report a failing design).")
    value: dict[str, Any] | None = Field(None, description="The task's JSON result when ok.")
    error: str | None = Field(None, description="Why the call failed after its retries, when not ok.")
    node_id: str = Field("", description="Node that ran the (last) attempt.")
    wall_s: float = Field(0.0, description="Wall seconds of the task on its node.")


def resolve_task(name: str) -> TaskFn:
    """The function behind a task name.

    Raises:
        UsageError: for an unknown registry name (listing the known tasks) or a ``module:function``
            that does not import.
    """
    from cluster.tasks import TASKS

    if name in TASKS:
        return TASKS[name]
    if ":" not in name:
        raise UsageError(
            f"unknown task '{name}'; known tasks: {', '.join(sorted(TASKS))} (or 'module:function')"
        )
    module_name, _, attr = name.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"task '{name}' does not import: {exc}") from None
    if not callable(fn):
        raise UsageError(f"task '{name}' is not a function")
    return fn  # type: ignore[no-any-return]


def execute(call: Call, node_id: str) -> CallResult:
    """Run ``call`` here and wrap its JSON result; exceptions propagate so executors can retry them.

    Raises:
        UsageError: when the task is unknown or returns something that is not a JSON object.
        Exception: whatever the task raises.
    """
    fn = resolve_task(call.task)
    start = time.monotonic()
    value = fn(dict(call.args))
    wall = time.monotonic() - start
    if not isinstance(value, dict):
        raise UsageError(f"task '{call.task}' returned {type(value).__name__}, expected a JSON object (dict)")
    json.dumps(value)  # a result that does not serialize must fail here, not in the store
    return CallResult(key=call.key, ok=True, value=value, node_id=node_id, wall_s=wall)


def describe_exception(exc: BaseException) -> str:
    """One line naming the exception type and message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")
