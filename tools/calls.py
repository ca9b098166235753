"""Tool calls: the unit of work an executor places and runs, and what came back.

A :class:`Call` names a task function (``module:function``, or a name in a registry the executor
was given), carries JSON arguments (the payloads: RTL, C sources, reference models, shapes travel
as strings inside them) and says what a node must offer to run it: a ``target`` (an ISA such as
``riscv64``) and/or a ``toolset`` (such as ``hdl``: iverilog, Verilator, Yosys). A task function
takes a JSON object and returns a JSON object; it may put the versions of the tools it used under
:data:`VERSIONS_KEY`, which :func:`execute` moves into the :class:`CallResult`.

The result says where the call ran (node id and labels, or ``local``), so evidence can record it
(:meth:`CallResult.stamp`) while the agent that made the call never needs to know.
"""

from __future__ import annotations

import importlib
import json
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from tools.errors import QimengError, UsageError
from tools.evidence import Check
from tools.metrics import journal
from tools.tracing import continued, on_node, traceparent

TaskFn = Callable[[dict[str, Any]], dict[str, Any]]
VERSIONS_KEY = "tool_versions"
"""Key under which a task may return ``{tool: version}``; moved into :attr:`CallResult.tool_versions`."""
LOCAL_NODE = "local"
"""The node id of calls run in the calling process."""


class ToolCallFailed(QimengError):
    """A tool call failed on its node (after the executor's retries); the message says why."""


class Call(BaseModel):
    """One unit of work: a task plus JSON arguments, placed by the target and toolset it needs."""

    key: str = Field(description="Unique name of this call in its batch, e.g. 'Prob001_zero#3' or 'lint'.")
    task: str = Field(description="An importable 'module:function', or a name in the executor's registry.")
    args: dict[str, Any] = Field(default_factory=dict, description="JSON arguments handed to the task.")
    target: str | None = Field(
        None, description="Target a node must serve to run this call (x86_64, aarch64, riscv64, cuda)."
    )
    toolset: str | None = Field(
        None, description="Tool set a node must have to run this call, e.g. 'hdl'; None: any node."
    )
    num_cpus: float = Field(1.0, gt=0, description="CPUs the call occupies while it runs.")
    local_only: bool = Field(
        False,
        description="Run in the calling process even on a cluster (e.g. a search of an embedded store "
        "that only one process may open).",
    )
    trace_parent: str = Field(
        default_factory=traceparent,
        description="W3C traceparent of the span that made the call (empty when tracing is off), so the "
        "tool's spans join that trace on whichever node it runs.",
    )


class CallResult(BaseModel):
    """What happened to one call, and where it ran."""

    key: str = Field(description="The call's key.")
    ok: bool = Field(description="The task returned a value (it may still report a failing design).")
    value: dict[str, Any] | None = Field(None, description="The task's JSON result when ok.")
    error: str | None = Field(None, description="Why the call failed after its retries, when not ok.")
    node_id: str = Field("", description="Node that ran the (last) attempt: a Ray node id, or 'local'.")
    node_labels: dict[str, str] = Field(
        default_factory=dict, description="Labels of that node (Ray node labels plus its host name)."
    )
    target: str | None = Field(None, description="The target the call needed (copied from the call).")
    tool_versions: dict[str, str] = Field(
        default_factory=dict, description="Versions of the tools the task used on that node."
    )
    wall_s: float = Field(0.0, description="Wall seconds of the task on its node.")
    metrics: list[tuple[str, list[Any]]] = Field(
        default_factory=list,
        description="What the task recorded in the metrics catalog (tools.metrics.journal), for the "
        "process that collects a result from another process to replay.",
    )
    _exception: BaseException | None = PrivateAttr(None)

    def with_exception(self, exc: BaseException | None) -> CallResult:
        """Attach the exception that failed the call (kept in memory only), returning self."""
        self._exception = exc
        return self

    def unwrap(self) -> dict[str, Any]:
        """The value of a successful call.

        Raises:
            Exception: the task's own exception when the executor kept it (in-process, or Ray's
                cause), so a ``UsageError`` stays a usage error wherever the tool ran.
            ToolCallFailed: otherwise, with the executor's reason.
        """
        if self.ok and self.value is not None:
            return self.value
        if self._exception is not None:
            raise self._exception
        raise ToolCallFailed(f"tool call '{self.key}' failed on node {self.node_id or '?'}: {self.error}")

    def stamp(self, check: Check) -> Check:
        """``check`` with the node, its labels, the target and the tool versions of this call."""
        return check.model_copy(
            update={
                "node": self.node_id,
                "node_labels": dict(self.node_labels),
                "target": self.target,
                "tool_versions": dict(self.tool_versions),
            }
        )


def resolve_task(name: str, registry: Mapping[str, TaskFn] | None = None) -> TaskFn:
    """The function behind a task name: a key of ``registry``, else an importable ``module:function``.

    Raises:
        UsageError: for an unknown name (listing the registry) or a ``module:function`` that does
            not import.
    """
    if registry is not None and name in registry:
        return registry[name]
    if ":" not in name:
        known = ", ".join(sorted(registry or {})) or "none"
        raise UsageError(f"unknown task '{name}'; known tasks: {known} (or 'module:function')")
    module_name, _, attr = name.partition(":")
    try:
        fn = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"task '{name}' does not import: {exc}") from None
    if not callable(fn):
        raise UsageError(f"task '{name}' is not a function")
    return fn  # type: ignore[no-any-return]


def execute(
    call: Call,
    node_id: str,
    node_labels: Mapping[str, str] | None = None,
    registry: Mapping[str, TaskFn] | None = None,
) -> CallResult:
    """Run ``call`` here and wrap its JSON result; exceptions propagate so executors can retry them.

    Raises:
        UsageError: when the task is unknown or returns something that is not a JSON object.
        Exception: whatever the task raises.
    """
    fn = resolve_task(call.task, registry)
    start = time.monotonic()
    with on_node(node_id), continued(call.trace_parent), journal() as recorded:
        value = fn(dict(call.args))
    wall = time.monotonic() - start
    if not isinstance(value, dict):
        raise UsageError(f"task '{call.task}' returned {type(value).__name__}, expected a JSON object (dict)")
    versions = value.pop(VERSIONS_KEY, None) or {}
    json.dumps(value)  # a result that does not serialize must fail here, not in a store
    return CallResult(
        key=call.key,
        ok=True,
        value=value,
        node_id=node_id,
        node_labels=dict(node_labels or {}),
        target=call.target,
        tool_versions={str(k): str(v) for k, v in versions.items()},
        wall_s=wall,
        metrics=recorded,
    )


def host_labels() -> dict[str, str]:
    """The labels of the calling process's machine: its host name."""
    return {"host": socket.gethostname()}


def describe_exception(exc: BaseException) -> str:
    """One line naming the exception type and message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".rstrip(": ")


def placement_of(check: Check) -> dict[str, Any]:
    """The fields of ``check`` that say where its tool ran, to copy onto a check derived from it."""
    return {
        "node": check.node,
        "node_labels": dict(check.node_labels),
        "target": check.target,
        "tool_versions": dict(check.tool_versions),
    }


def cluster_node() -> str | None:
    """The cluster node this code runs on as part of a call (a Ray task), else None (this process
    runs it for itself, or an in-process executor does)."""
    from tools.tracing import node_name

    node = node_name()
    return None if node == LOCAL_NODE or node.startswith(f"{LOCAL_NODE}:") else node
