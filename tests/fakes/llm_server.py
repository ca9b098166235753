"""A scripted OpenAI-compatible chat server: stdlib only, bound to 127.0.0.1 on a free port.

Tests queue what the "model" answers next (text, tool calls, JSON) or a fault (a stall past the
client's timeout, an HTTP error with optional ``Retry-After``, a body that is not JSON, a stream cut
short). Each ``POST /v1/chat/completions`` takes the next entry; ``stream: true`` requests get it as
server-sent events, with a final usage chunk when ``stream_options.include_usage`` is set. An empty
queue answers 500 with a message saying so, so a test that under-scripts fails loudly.
``GET /v1/models`` lists the one model. Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

ReplyKind = Literal["text", "tool_calls", "error", "malformed", "truncated"]


@dataclass
class _Reply:
    kind: ReplyKind
    content: str = ""
    tool_calls: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, json args)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    usage: tuple[int, int] | None = None
    cut_after: int = 1


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received: method, path, headers (lower-case keys), JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages the client sent (empty for non-chat requests)."""
        return list(self.body.get("messages", []))

    @property
    def streamed(self) -> bool:
        """Whether the client asked for a server-sent-event stream."""
        return bool(self.body.get("stream"))


class ScriptedLLMServer:
    """An OpenAI-compatible endpoint whose answers the test scripts in advance.

    Use as a context manager or call :meth:`start`/:meth:`stop`. ``base_url`` ends in ``/v1``.
    When ``api_key`` is set, requests whose bearer token differs get 401 like a real server.
    """

    def __init__(self, *, model: str = "scripted-model", api_key: str | None = None) -> None:
        self.model = model
        self.api_key = api_key
        self._queue: deque[_Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> ScriptedLLMServer:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="scripted-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; stalled replies wake up and are dropped."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL, e.g. ``http://127.0.0.1:40123/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting -------------------------------------------------------------------------
    def reply_text(self, text: str, *, usage: tuple[int, int] | None = None, delay_s: float = 0.0) -> None:
        """Queue a plain assistant answer; ``usage`` is (prompt, completion) tokens, else counted words."""
        self._push(_Reply("text", content=text, usage=usage, delay_s=delay_s))

    def reply_json(self, value: Any, *, usage: tuple[int, int] | None = None) -> None:
        """Queue an answer whose content is ``value`` serialised as JSON (for structured output)."""
        self._push(_Reply("text", content=json.dumps(value), usage=usage))

    def reply_tool_call(self, name: str, arguments: dict[str, Any], *, call_id: str | None = None) -> None:
        """Queue an answer that calls one tool with ``arguments``."""
        self.reply_tool_calls([(name, arguments)], call_ids=[call_id] if call_id else None)

    def reply_tool_calls(
        self, calls: list[tuple[str, dict[str, Any]]], *, call_ids: list[str] | None = None
    ) -> None:
        """Queue an answer that calls several tools in order."""
        ids = call_ids or [f"call_{uuid.uuid4().hex[:12]}" for _ in calls]
        triples = [(cid, name, json.dumps(args)) for cid, (name, args) in zip(ids, calls, strict=True)]
        self._push(_Reply("tool_calls", tool_calls=triples))

    def fail(self, status: int, *, message: str | None = None, retry_after: float | None = None) -> None:
        """Queue an HTTP error answer (429, 500, 401, ...), optionally with ``Retry-After`` seconds."""
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        self._push(
            _Reply("error", content=message or f"scripted HTTP {status}", status=status, headers=headers)
        )

    def stall(self, seconds: float, *, then_text: str = "too late") -> None:
        """Queue an answer that arrives only after ``seconds`` (to push a client past its timeout)."""
        self._push(_Reply("text", content=then_text, delay_s=seconds))

    def malformed_body(self) -> None:
        """Queue a 200 answer whose body is not JSON at all (a broken proxy or server)."""
        self._push(_Reply("malformed", content='{"id": "chatcmpl-broken", "choices": [ <html>oops'))

    def truncated_stream(self, text: str, *, after_chunks: int = 1) -> None:
        """Queue a streamed answer that is cut off after ``after_chunks`` content chunks.

        The connection closes without a finish reason and without ``[DONE]``.
        A non-streaming request taking this entry gets a truncated JSON body instead.
        """
        self._push(_Reply("truncated", content=text, cut_after=after_chunks))

    def _push(self, reply: _Reply) -> None:
        with self._lock:
            self._queue.append(reply)

    def _pop(self) -> _Reply | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None

    # -- inspection ------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat-completion requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def pending(self) -> int:
        """Queued entries no request has taken yet."""
        with self._lock:
            return len(self._queue)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)


def _words(value: Any) -> int:
    return len(str(value).split())


def _usage(reply: _Reply, request: dict[str, Any]) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        prompt = sum(_words(m.get("content") or "") for m in request.get("messages", []))
        completion = _words(reply.content) + sum(_words(args) for _, _, args in reply.tool_calls)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _pieces(text: str) -> list[str]:
    """Split text into stream chunks that concatenate back to it exactly."""
    parts = text.split(" ")
    return [p if i == len(parts) - 1 else p + " " for i, p in enumerate(parts)] if text else []


class _Handler(BaseHTTPRequestHandler):
    fake: ScriptedLLMServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
        return

    def _authorised(self) -> bool:
        if self.fake.api_key is None:
            return True
        if self.headers.get("Authorization", "") == f"Bearer {self.fake.api_key}":
            return True
        self._send_error(401, "Incorrect API key provided.", "invalid_api_key")
        return False

    def do_GET(self) -> None:
        self.fake._record(RecordedRequest("GET", self.path, _lower(self.headers.items()), {}))
        if not self._authorised():
            return
        if self.path.rstrip("/").endswith("/models"):
            model = {"id": self.fake.model, "object": "model", "created": 0, "owned_by": "scripted"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        self.fake._record(RecordedRequest("POST", self.path, _lower(self.headers.items()), body))
        if not self._authorised():
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_error(404, f"no route {self.path}", "not_found")
            return
        reply = self.fake._pop()
        if reply is None:
            self._send_error(500, "scripted server: no reply queued for this request", "script_exhausted")
            return
        if reply.delay_s and self.fake._stopping.wait(reply.delay_s):
            return
        try:
            self._answer(reply, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before the stalled answer came

    def _answer(self, reply: _Reply, body: dict[str, Any]) -> None:
        if reply.kind == "error":
            self._send_error(reply.status, reply.content, "scripted_error", reply.headers)
        elif reply.kind == "malformed":
            self._send_raw(200, reply.content.encode(), "application/json")
        elif body.get("stream"):
            self._stream(reply, body)
        elif reply.kind == "truncated":
            full = json.dumps(self._completion(reply, body)).encode()
            self._send_raw(200, full[: len(full) // 2], "application/json")
        else:
            self._send_json(200, self._completion(reply, body))

    def _completion(self, reply: _Reply, body: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
        finish = "stop"
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
                for cid, name, args in reply.tool_calls
            ]
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion",
            "created": 0,
            "model": self.fake.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": _usage(reply, body),
        }

    def _stream(self, reply: _Reply, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
            payload: dict[str, Any] = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": 0,
                "model": self.fake.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            }
            self._event(payload)

        chunk({"role": "assistant", "content": ""})
        pieces = _pieces(reply.content)
        if reply.kind == "truncated":
            for piece in pieces[: reply.cut_after]:
                chunk({"content": piece})
            self.wfile.flush()
            self.close_connection = True
            return
        for piece in pieces:
            chunk({"content": piece})
        for index, (call_id, name, args) in enumerate(reply.tool_calls):
            head = {
                "index": index,
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
            chunk({"tool_calls": [head]})
            half = len(args) // 2
            for part in (args[:half], args[half:]):
                chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
        chunk({}, "tool_calls" if reply.tool_calls else "stop")
        if include_usage:
            usage_chunk = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": 0,
                "model": self.fake.model,
                "choices": [],
                "usage": _usage(reply, body),
            }
            self._event(usage_chunk)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        self.wfile.flush()

    def _send_error(
        self, status: int, message: str, code: str, headers: dict[str, str] | None = None
    ) -> None:
        error = {"error": {"message": message, "type": "scripted", "param": None, "code": code}}
        self._send_json(status, error, headers)

    def _send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(value).encode(), "application/json", headers)

    def _send_raw(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}
