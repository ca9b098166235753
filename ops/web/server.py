"""``qimeng serve web``: a local page for conversational design sessions (stdlib HTTP, no build step).

The page (``static/``) posts a request, follows the agents' events as Server-Sent Events, answers
approvals and clarifications, and shows each thread's results (see :mod:`ops.web.view`). Each run of
a thread goes through :class:`graphs.session.Session` in a worker thread, on the same session
database and checkpoints as ``qimeng chat`` (``<root>/sessions.sqlite``).

Routes: ``GET /`` and ``/static/*`` (the page), ``GET /api/threads`` (list), ``POST /api/threads``
(``{"request", "approve"}``: start one), ``GET /api/threads/<id>`` (its view),
``GET /api/threads/<id>/events`` (SSE; ``Last-Event-ID`` resumes), ``POST /api/threads/<id>/answer``
(``{"answer"}``), ``POST /api/threads/<id>/resume`` (continue a stopped run), ``GET /files/<path>``
(artifacts under the root: plots, waveforms, sources, reports).
"""

from __future__ import annotations

import json
import mimetypes
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from agents.llm import LLMClient
from graphs.session import Session, SessionError
from ops.web.view import thread_view
from tools.errors import QimengError, UsageError
from tools.executor import Executor
from tools.runstore import safe_id

STATIC = Path(__file__).with_name("static")
FILE_TYPES = {".png", ".vcd", ".md", ".json", ".v", ".sv", ".c", ".cu", ".txt", ".log"}
"""Artifact suffixes ``/files/`` serves (as text or images)."""


@dataclass
class ThreadLog:
    """The events of a thread's runs since the server started, and whether one is running."""

    events: list[dict[str, Any]] = field(default_factory=list)
    running: bool = False
    cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, event: dict[str, Any]) -> None:
        with self.cond:
            self.events.append({"seq": len(self.events), **event})
            self.cond.notify_all()


def event_of(mode: str, chunk: Any) -> dict[str, Any] | None:
    """A stream chunk as a page event: an agent's event, or an interrupt; None to skip it."""
    if mode == "custom":
        data = json.loads(json.dumps(chunk, default=str))
        return {
            "type": "agent",
            "agent": data.pop("agent", "?"),
            "event": data.pop("event", "?"),
            "data": data,
        }
    if mode == "updates" and "__interrupt__" in chunk:
        return {"type": "waiting"}
    return None


class Designer:
    """The sessions behind the page: starts, answers and resumes threads in worker threads."""

    def __init__(
        self, root: Path, *, offline: bool, llm: LLMClient | None, executor: Executor | None
    ) -> None:
        self.root = root
        self.offline = offline
        self.llm = llm
        self.executor = executor
        self.logs: dict[str, ThreadLog] = {}
        self.lock = threading.Lock()
        self.index = Session(root)  # only for listing threads; never started

    def session(self, thread_id: str) -> Session:
        """A session on an existing thread.

        Raises:
            SessionError: no such thread.
        """
        s = Session(self.root, safe_id(thread_id, "thread id"), llm=self.llm, executor=self.executor)
        if not s.exists():
            s.close()
            raise SessionError(f"no thread '{thread_id}'")
        return s

    def log(self, thread_id: str) -> ThreadLog:
        with self.lock:
            return self.logs.setdefault(thread_id, ThreadLog())

    def start(self, request: str, approve: bool) -> str:
        """Start a new thread on ``request``; returns its id at once (the run goes on in a thread)."""
        if not request.strip():
            raise UsageError("empty request; say what to design, e.g. '8-bit counter with sync reset'")
        s = Session(self.root, llm=self.llm, executor=self.executor)
        self._run(s, lambda: s.start(request, offline=self.offline, approve=approve))
        return s.thread_id

    def answer(self, thread_id: str, answer: str) -> None:
        """Answer the thread's pending question (approval or clarification)."""
        s = self.session(thread_id)
        if s.pending() is None:
            s.close()
            raise UsageError(f"thread {thread_id} is not waiting for an answer")
        self._run(s, lambda: s.resume(answer))

    def resume(self, thread_id: str) -> None:
        """Continue a thread whose run stopped (killed server, failed tool)."""
        s = self.session(thread_id)
        self._run(s, lambda: s.resume())

    def _run(self, s: Session, stream: Any) -> None:
        log = self.log(s.thread_id)
        with log.cond:
            if log.running:
                s.close()
                raise UsageError(f"thread {s.thread_id} is already running")
            log.running = True
        threading.Thread(target=self._drive, args=(s, stream, log), daemon=True).start()

    def _drive(self, s: Session, stream: Any, log: ThreadLog) -> None:
        log.add({"type": "started", "thread": s.thread_id})
        try:
            for mode, chunk in stream():
                event = event_of(mode, chunk)
                if event is not None:
                    log.add(event)
            pending = s.pending()
            if pending is not None:
                log.add({"type": "pending", "pending": json.loads(json.dumps(pending, default=str))})
            else:
                log.add({"type": "done", "status": str(s.values().get("status", ""))})
        except QimengError as exc:
            log.add({"type": "error", "message": str(exc)})
        except Exception as exc:  # a failed run is shown on the page, and the thread can be resumed
            log.add({"type": "error", "message": f"{type(exc).__name__}: {exc}"})
        finally:
            s.close()
            with log.cond:
                log.running = False
                log.add({"type": "end"})

    def threads(self) -> list[dict[str, Any]]:
        """Every thread, newest first."""
        with self.lock:
            found = self.index.threads()
        return [
            {
                "thread": t.thread_id,
                "request": t.request,
                "status": t.status.replace("?", "new"),
                "rounds": t.rounds,
            }
            for t in reversed(found)
        ]

    def view(self, thread_id: str) -> dict[str, Any]:
        """The thread as the page shows it, and whether a run of it is going on."""
        s = self.session(thread_id)
        try:
            return {**thread_view(s), "running": self.log(thread_id).running}
        finally:
            s.close()


class _Handler(BaseHTTPRequestHandler):
    server: DesignServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows the URL only
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj: Any, status: int = 200) -> None:
        self._send(status, json.dumps(obj, default=str).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json({"error": message}, status)

    def _body(self) -> dict[str, Any]:
        n = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(n) or b"{}")
        except json.JSONDecodeError:
            raise UsageError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise UsageError("the request body must be a JSON object")
        return data

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        path = unquote(urlsplit(self.path).path)
        designer = self.server.designer
        parts = [p for p in path.split("/") if p]
        # another site's page in the user's browser must not drive the sessions: only this server's
        # own host names (no DNS rebinding), and JSON posts (a cross-site JSON post needs CORS, never given)
        if self.headers.get("Host", "") not in self.server.hosts:
            self._error(403, f"unexpected Host header; use {self.server.url}")
            return
        if method == "POST" and not self.headers.get("Content-Type", "").startswith("application/json"):
            self._error(415, "POST bodies must be JSON (Content-Type: application/json)")
            return
        try:
            if method == "GET" and path in ("/", "/index.html"):
                self._file(STATIC / "index.html")
            elif method == "GET" and parts[:1] == ["static"] and len(parts) == 2:
                self._file(STATIC / safe_id(parts[1], "file name"))
            elif method == "GET" and parts[:1] == ["files"]:
                self._artifact("/".join(parts[1:]))
            elif parts[:2] == ["api", "threads"] and len(parts) == 2:
                if method == "GET":
                    self._json(designer.threads())
                else:
                    body = self._body()
                    tid = designer.start(str(body.get("request", "")), bool(body.get("approve", True)))
                    self._json({"thread": tid}, 201)
            elif parts[:2] == ["api", "threads"] and len(parts) == 3 and method == "GET":
                self._json(designer.view(parts[2]))
            elif parts[:2] == ["api", "threads"] and len(parts) == 4:
                tid, what = parts[2], parts[3]
                if method == "GET" and what == "events":
                    self._events(tid)
                elif method == "POST" and what == "answer":
                    designer.answer(tid, str(self._body().get("answer", "")))
                    self._json({"thread": tid}, 202)
                elif method == "POST" and what == "resume":
                    designer.resume(tid)
                    self._json({"thread": tid}, 202)
                else:
                    self._error(404, f"no route {method} {path}")
            else:
                self._error(404, f"no route {method} {path}")
        except SessionError as exc:
            self._error(404, str(exc))
        except UsageError as exc:
            self._error(400, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _file(self, path: Path) -> None:
        if not path.is_file():
            self._error(404, f"no such file {path.name}")
            return
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(200, path.read_bytes(), ctype + ("; charset=utf-8" if ctype.startswith("text") else ""))

    def _artifact(self, relpath: str) -> None:
        root = self.server.designer.root.resolve()
        path = (root / relpath).resolve()
        if not path.is_relative_to(root) or path.suffix not in FILE_TYPES or path.name == "sessions.sqlite":
            self._error(403, f"not served: {relpath} (only artifacts under the session root)")
            return
        if path.suffix == ".png":
            self._file(path)
        elif path.is_file():
            self._send(200, path.read_bytes(), "text/plain; charset=utf-8")
        else:
            self._error(404, f"no such file {relpath}")

    def _events(self, thread_id: str) -> None:
        """Server-Sent Events of the thread's log from ``Last-Event-ID`` + 1 (else ``?from=N``, else the
        start) until the current run ends (or at once, when none is running)."""
        log = self.server.designer.log(safe_id(thread_id, "thread id"))
        last = self.headers.get("Last-Event-ID")
        start = parse_qs(urlsplit(self.path).query).get("from", ["0"])[0]
        at = int(last) + 1 if last and last.isdigit() else int(start) if start.isdigit() else 0
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        while True:
            with log.cond:
                while at >= len(log.events) and log.running:
                    log.cond.wait(timeout=15)
                    if at >= len(log.events):
                        break
                fresh, running = log.events[at:], log.running
            for event in fresh:
                self.wfile.write(f"id: {event['seq']}\ndata: {json.dumps(event)}\n\n".encode())
            if not fresh:
                self.wfile.write(b": keep-alive\n\n")
            self.wfile.flush()
            at += len(fresh)
            if not running and at >= len(log.events):
                self.wfile.write(b'data: {"type": "closed"}\n\n')
                self.wfile.flush()
                return


class DesignServer(ThreadingHTTPServer):
    """The page's HTTP server; ``port`` 0 picks a free one (see :attr:`url`)."""

    daemon_threads = True

    def __init__(self, designer: Designer, host: str = "127.0.0.1", port: int = 8765) -> None:
        super().__init__((host, port), _Handler)
        self.designer = designer
        bound = self.server_address[1]
        self.hosts = {f"{name}:{bound}" for name in (host, "127.0.0.1", "localhost", "[::1]")}
        """Host headers accepted (this server's own names)."""

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> threading.Thread:
        """Serve in a background thread (tests); :meth:`shutdown` stops it."""
        t = threading.Thread(target=self.serve_forever, daemon=True)
        t.start()
        return t
