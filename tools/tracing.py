"""Traces: an OpenTelemetry span for every LLM call and tool call, so a long run can be followed in
any tracing backend (Jaeger, Tempo, an OpenTelemetry collector).

Spans are exported over OTLP/HTTP when ``settings.otlp_endpoint`` (``QIMENG_OTLP_ENDPOINT``) is set,
and are off otherwise: then :func:`span` and :func:`start_span` hand out one shared non-recording
span without touching the SDK (a flag test per call). :func:`install` routes spans to another
provider (a test collects them in memory with the SDK's ``InMemorySpanExporter``).

Tool spans (:func:`tool_span`) carry the tool, the target (``none`` for HDL tools), the node that
ran them (:func:`on_node`; default ``local:<hostname>``) and the verdict. A tool call that crosses
to another process carries its parent as a W3C ``traceparent`` (:func:`traceparent`,
:func:`continued`), so its spans join the session's trace. LLM spans follow the
OpenTelemetry GenAI conventions; they are built in :mod:`agents.llm_telemetry`.
"""

from __future__ import annotations

import functools
import inspect
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN, Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from tools.settings import Settings, get_settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

__all__ = [
    "configure",
    "continued",
    "install",
    "node_name",
    "on_node",
    "span",
    "start_span",
    "tool_span",
    "traceparent",
]

P = ParamSpec("P")
R = TypeVar("R")

_lock = threading.RLock()
_configured = False
_tracer: Tracer | None = None
_node: ContextVar[str] = ContextVar("qimeng_tracing_node", default="")


def install(provider: TracerProvider | None) -> None:
    """Send spans to ``provider`` from now on (None: spans off), whatever the settings say."""
    global _configured, _tracer
    with _lock:
        _tracer = provider.get_tracer("qimeng") if provider is not None else None
        _configured = True


def configure(settings: Settings | None = None) -> TracerProvider | None:
    """Set tracing up from ``settings`` (default: :func:`get_settings`): spans batched to an
    OTLP/HTTP exporter at ``otlp_endpoint`` when it is set, else off. The first span of a process
    does this by itself; returns the provider (None: off) so a caller can flush it."""
    endpoint = (settings or get_settings()).otlp_endpoint
    if not endpoint:
        install(None)
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": "qimeng", "host.name": socket.gethostname()})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    install(provider)
    return provider


def _active() -> Tracer | None:
    if not _configured:
        with _lock:
            if not _configured:
                configure()
    return _tracer


@contextmanager
def on_node(node: str) -> Iterator[None]:
    """Inside the block, tool spans name ``node`` (the executor's node id) as where they ran."""
    token = _node.set(node)
    try:
        yield
    finally:
        _node.reset(token)


def node_name() -> str:
    """The node named by the enclosing :func:`on_node`, else ``local:<hostname>``."""
    return _node.get() or f"local:{socket.gethostname()}"


def traceparent() -> str:
    """The W3C ``traceparent`` of the current span, to send with work that may run in another
    process; empty when tracing is off or no span is current."""
    if _active() is None:
        return ""
    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent", "")


@contextmanager
def continued(parent: str) -> Iterator[None]:
    """Inside the block, spans are children of the span ``parent`` names (a :func:`traceparent` from
    the process that sent the work), unless a span is already current here (the work did not leave
    its process, so its own context is already the right one)."""
    if not parent or _active() is None or trace.get_current_span().get_span_context().is_valid:
        yield
        return
    token = otel_context.attach(TraceContextTextMapPropagator().extract({"traceparent": parent}))
    try:
        yield
    finally:
        otel_context.detach(token)


@contextmanager
def span(
    name: str, attributes: Mapping[str, AttributeValue] | None = None, *, kind: SpanKind = SpanKind.INTERNAL
) -> Iterator[Span]:
    """A span that is current inside the block (its children nest under it); an exception leaving
    the block is recorded on it and re-raised."""
    tracer = _active()
    if tracer is None:
        yield INVALID_SPAN
        return
    with tracer.start_as_current_span(name, kind=kind, attributes=attributes) as current:
        yield current


def start_span(
    name: str, attributes: Mapping[str, AttributeValue] | None = None, *, kind: SpanKind = SpanKind.INTERNAL
) -> Span:
    """A span under the current one that the caller ends (``span.end()``); not made current, so it
    may stay open across a generator's yields."""
    tracer = _active()
    return INVALID_SPAN if tracer is None else tracer.start_span(name, kind=kind, attributes=attributes)


def tool_span(tool: str, verdict: Callable[[Any], str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a tool's entry point: each call is a span ``execute_tool <tool>`` with the tool, the
    target (the call's ``target`` argument, a Target or its name; ``none`` when it has none), the
    node, and ``verdict(result)`` (``error`` when the call raises; ``verdict`` takes the function's
    result, typed Any only because a lambda in a decorator cannot be typed)."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def traced(*args: P.args, **kwargs: P.kwargs) -> R:
            tracer = _active()
            if tracer is None:
                return fn(*args, **kwargs)
            bound = signature.bind_partial(*args, **kwargs)
            bound.apply_defaults()
            target = bound.arguments.get("target")
            attributes: dict[str, AttributeValue] = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": tool,
                "qimeng.tool": tool,
                "qimeng.target": str(getattr(target, "name", target)) if target is not None else "none",
                "qimeng.node": node_name(),
            }
            with tracer.start_as_current_span(f"execute_tool {tool}", attributes=attributes) as current:
                try:
                    result = fn(*args, **kwargs)
                except BaseException:
                    current.set_attribute("qimeng.verdict", "error")
                    raise
                current.set_attribute("qimeng.verdict", verdict(result))
                return result

        return traced

    return decorate
