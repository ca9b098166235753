"""A long-lived search service: ``GET /search`` answers from a process that keeps the embedding model
and the store open, so a ``qimeng kb search`` (with ``kb_search_url`` set) costs a request instead of
loading PyTorch and ChromaDB each time.

``GET /search?q=QUERY&k=5&collection=docs&source=...&kind=...`` -> 200 ``[Hit, ...]`` (best first);
a bad query -> 400 ``{"error": ...}``; a store or model failure -> 503 ``{"error": ...}``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from knowledge.embedding import embed
from knowledge.retrieval import search
from knowledge.store import DOCS_COLLECTION, KnowledgeStore
from tools.errors import QimengError, UsageError


class SearchService:
    """``/search`` over ``store`` on ``host:port`` (port 0: any free port), served from a thread."""

    def __init__(self, store: KnowledgeStore, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store
        handler = type("Handler", (_Handler,), {"store": store})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Load the embedding model (the first query would otherwise pay for it), then serve."""
        embed(["warm up"])
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    store: KnowledgeStore

    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path != "/search":
            self._send(404, {"error": f"no {url.path}; the service answers GET /search?q=..."})
            return
        args = {key: values[-1] for key, values in parse_qs(url.query).items()}
        try:
            k = int(args.get("k", "5"))
        except ValueError:
            self._send(400, {"error": f"k must be a whole number, got {args['k']!r}"})
            return
        try:
            hits = search(
                args.get("q", ""),
                k,
                store=self.store,
                collection=args.get("collection") or DOCS_COLLECTION,
                source=args.get("source"),
                kind=args.get("kind"),
            )
        except UsageError as exc:
            self._send(400, {"error": str(exc)})
            return
        except QimengError as exc:
            self._send(503, {"error": str(exc)})
            return
        self._send(200, [h.model_dump(mode="json") for h in hits])

    def _send(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the command prints where it serves; requests are not logged line by line."""
