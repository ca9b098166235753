"""The HTTP front of the reward service: stdlib ``ThreadingHTTPServer``, Ray behind it.

Endpoints:

* ``POST /reward`` with ``{"items": [{kind, completion, problem | golden, ...}, ...]}`` answers
  ``{"results": [...], "batch", "wall_s", "checker_version"}`` with one result per item, in
  order. A body that is not JSON, not an object with a non-empty ``items`` list, too large or with
  too many items is answered 400 with what is wrong and nothing is scored. Bad items (a missing
  field, an oversized completion, an unknown problem, a golden that does not compile) make the
  answer 400 too, with ``error`` and ``errors`` naming them, while every good item of the batch
  is still scored and returned in ``results``.
* ``GET /health``: ``{"status": "ok", ...}`` with the checker version, the workers' targets and
  tool sets, and the cache and history sizes.
* ``GET /metrics``: the metrics catalog (:mod:`tools.metrics`) in Prometheus text format.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from evals.reward_problems import checker_version
from tools.metrics import REGISTRY, record_reward_rejected

if TYPE_CHECKING:
    from cluster.reward_pool import RewardPool

MAX_BODY_BYTES = 32 * 1024 * 1024
"""Largest request body accepted."""
MAX_ITEMS = 4096
"""Most items in one batch."""


class RewardServer:
    """``POST /reward``, ``/health`` and ``/metrics`` on ``host:port`` (0: any free port)."""

    def __init__(self, pool: RewardPool, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pool = pool
        handler = type("Handler", (_Handler,), {"pool": pool})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` the server listens on."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RewardServer:
        """Serve in a background thread; returns self."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="reward-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop` (or Ctrl-C)."""
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()


class _BadRequest(Exception):
    def __init__(self, why: str, message: str) -> None:
        super().__init__(message)
        self.why = why


class _Handler(BaseHTTPRequestHandler):
    pool: RewardPool
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None  # one line per request on stderr would drown the service's own output

    def do_GET(self) -> None:
        if self.path == "/health":
            cached, seen = self.pool.store.counts()
            targets, toolsets = self.pool.executor.targets(), self.pool.executor.toolsets()
            self._json(
                200,
                {
                    "status": "ok",
                    "checker_version": checker_version(),
                    "targets": sorted(targets) if targets is not None else None,
                    "toolsets": sorted(toolsets) if toolsets is not None else None,
                    "cached_results": cached,
                    "observations": seen,
                },
            )
        elif self.path == "/metrics":
            self._send(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        else:
            self._json(404, {"error": f"no page {self.path}; pages: POST /reward, GET /health, GET /metrics"})

    def do_POST(self) -> None:
        if self.path != "/reward":
            self._json(404, {"error": f"no page {self.path}; POST /reward takes a batch"})
            return
        try:
            items = self._items()
        except _BadRequest as bad:
            record_reward_rejected(bad.why)
            self._json(400, {"error": str(bad)})
            return
        try:
            outcome = self.pool.score_batch(items)
        except Exception as exc:  # the executor itself failed (Ray gone): say so, then let it be logged
            self._json(500, {"error": f"the service could not score the batch: {type(exc).__name__}: {exc}"})
            raise
        body: dict[str, Any] = {
            "results": [r.model_dump(mode="json") for r in outcome.results],
            "batch": outcome.batch,
            "wall_s": outcome.wall_s,
            "checker_version": checker_version(),
        }
        status = 200
        if outcome.invalid:
            record_reward_rejected("items")
            status = 400
            body["errors"] = [r.detail for r in outcome.invalid]
            good = len(outcome.results) - len(outcome.invalid)
            body["error"] = (
                f"{len(outcome.invalid)} of {len(outcome.results)} items are invalid (the other {good} "
                f"were scored): {body['errors'][0]}"
            )
        self._json(status, body)

    def _items(self) -> list[Any]:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise _BadRequest("shape", "POST /reward needs a Content-Length header and a JSON body")
        size = int(length)
        if size > MAX_BODY_BYTES:
            self.close_connection = True
            raise _BadRequest("too_large", f"the body has {size} bytes, at most {MAX_BODY_BYTES}")
        raw = self.rfile.read(size)
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _BadRequest("json", f"the body is not JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise _BadRequest(
                "shape",
                'the body must be an object {"items": [...]}, each item {"kind": "verilog" | "kernel", '
                '"completion": ..., "problem": ... or "golden": ...}',
            )
        items: list[Any] = data["items"]
        if not items:
            raise _BadRequest("shape", "'items' is empty; send at least one item")
        if len(items) > MAX_ITEMS:
            raise _BadRequest("too_large", f"'items' has {len(items)} items, at most {MAX_ITEMS}")
        return items

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
