"""Traces: a short LLM design session gives one tree (session -> agent -> tool -> sandbox, and the
LLM calls with their GenAI attributes); kernel checks carry their target; with an OTLP endpoint the
spans reach it over HTTP; with none, nothing is recorded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fakes.llm_server import ScriptedLLMServer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from short_session import run_short_session

from tools import tracing
from tools.calls import Call, CallResult, execute
from tools.hdl import lint
from tools.kernels import check_kernel
from tools.kernels.refload import load_spec
from tools.settings import load_settings

KERNELS = Path(__file__).resolve().parents[1] / "fixtures" / "kernels"
ADDER = "module top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Spans of this test, collected in memory; tracing is off again afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    yield exporter
    tracing.install(None)


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        names.append(by_id[parent.span_id].name)
        parent = by_id[parent.span_id].parent
    return names


def test_a_session_is_one_tree_of_agent_tool_and_llm_spans(
    tmp_path: Path, llm_server: ScriptedLLMServer, spans: InMemorySpanExporter
) -> None:
    values = run_short_session(tmp_path, llm_server)
    assert values["status"] == "done"
    finished = list(spans.get_finished_spans())
    by_id = {s.context.span_id: s for s in finished if s.context is not None}
    roots = [s for s in finished if s.parent is None]
    assert [s.name for s in roots] == ["qimeng session"]
    root = roots[0]
    assert root.attributes is not None and root.attributes["qimeng.status"] == "done"
    assert len({s.context.trace_id for s in finished if s.context is not None}) == 1

    llm = [s for s in finished if s.name == "chat scripted-model"]
    assert len(llm) == 7  # one failed (503, retried) + six answers
    for s in llm:
        attrs = s.attributes or {}
        assert s.kind is SpanKind.CLIENT
        assert attrs["gen_ai.system"] == "openai" and attrs["gen_ai.request.model"] == "scripted-model"
        assert s.end_time is not None and s.start_time is not None and s.end_time > s.start_time
        assert ancestors(s, by_id)[-1] == "qimeng session"
    failed = [s for s in llm if s.status.status_code is StatusCode.ERROR]
    assert len(failed) == 1 and (failed[0].attributes or {})["error.type"] == "server"
    answered = [s.attributes or {} for s in llm if s not in failed]
    usage = sorted(
        (a["gen_ai.agent.name"], a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"])
        for a in answered
    )
    assert ("planner", 150, 30) in usage and ("hw.designer", 60, 10) in usage
    assert {a["gen_ai.agent.name"] for a in answered} == {"planner", "hw.designer", "hw.tester", "hw.judge"}

    tools = [s for s in finished if s.name.startswith("execute_tool ")]
    verdicts = [(s.name, (s.attributes or {})["qimeng.verdict"]) for s in tools]
    diff = [v for n, v in verdicts if n == "execute_tool diff_check"]
    assert diff[0] == "fail" and diff[-1] == "pass", verdicts  # the wrong RTL, then the repair
    assert ("execute_tool lint", "pass") in verdicts
    for s in tools:
        attrs = s.attributes or {}
        assert attrs["qimeng.target"] == "none" and str(attrs["qimeng.node"]).startswith("local")
        assert ancestors(s, by_id)[-2:] == ["invoke_agent hardware", "qimeng session"]
    sandboxed = [s for s in finished if s.name.startswith("sandbox ")]
    assert sandboxed and all(ancestors(s, by_id)[0].startswith("execute_tool ") for s in sandboxed)


def test_kernel_check_spans_carry_target_and_verdict(spans: InMemorySpanExporter) -> None:
    spec = load_spec(KERNELS / "saxpy_ref.py")
    assert check_kernel((KERNELS / "saxpy.c").read_text(), spec, "x86_64", seed=3).ok
    assert not check_kernel((KERNELS / "bad" / "gemm_ones.c").read_text(), spec, "x86_64", seed=3).ok
    checks = [s.attributes or {} for s in spans.get_finished_spans() if s.name == "execute_tool check_kernel"]
    assert [(a["qimeng.target"], a["qimeng.verdict"]) for a in checks] == [
        ("x86_64", "pass"),
        ("x86_64", "fail"),
    ]


def test_a_call_run_elsewhere_joins_the_trace_of_the_span_that_made_it(spans: InMemorySpanExporter) -> None:
    """A new thread starts with an empty context, as a Ray worker does: the call's traceparent links
    its tool span to the span that made the call, and the span names the executor's node."""
    with tracing.span("agent step") as step:
        call = Call(key="lint", task="tools.hdl.calls:lint_call", args={"rtl": ADDER})
    assert call.trace_parent
    results: list[CallResult] = []
    worker = threading.Thread(target=lambda: results.append(execute(call, "node-7")))
    worker.start()
    worker.join()
    assert results[0].ok
    tool = next(s for s in spans.get_finished_spans() if s.name == "execute_tool lint")
    assert tool.parent is not None and tool.parent.span_id == step.get_span_context().span_id
    assert (tool.attributes or {})["qimeng.node"] == "node-7"


def test_spans_are_off_without_an_endpoint(spans: InMemorySpanExporter) -> None:
    assert tracing.configure(load_settings()) is None
    with tracing.span("anything") as current:
        assert not current.is_recording()
    assert lint(ADDER).ok
    assert spans.get_finished_spans() == ()


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, bytes]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()


def test_spans_reach_an_otlp_http_endpoint() -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{httpd.server_address[1]}/v1/traces"
        provider = tracing.configure(load_settings(otlp_endpoint=endpoint))
        assert provider is not None
        assert lint(ADDER).ok
        assert provider.force_flush(10_000)
        provider.shutdown()
    finally:
        tracing.install(None)
        httpd.shutdown()
    assert _Collector.received, "nothing was exported"
    path, content_type, body = _Collector.received[0]
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    request = ExportTraceServiceRequest.FromString(body)
    names = {s.name for r in request.resource_spans for ss in r.scope_spans for s in ss.spans}
    assert "execute_tool lint" in names
    resource = {a.key: a.value.string_value for a in request.resource_spans[0].resource.attributes}
    assert resource["service.name"] == "qimeng"
