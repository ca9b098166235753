"""Where the knowledge lives: an embedded ChromaDB directory, or a Chroma server for Ray workers.

:func:`open_store` picks the mode from settings: ``chroma_host`` set means a server
(``qimeng kb serve`` starts one), otherwise the embedded ``chroma_path``. Every collection is
opened with our own embedding function and records its model in its metadata; a collection
built with another model is refused rather than mixed.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError

from knowledge.embedding import DIMENSIONS, MODEL_NAME, MiniLMEmbedding
from tools.errors import QimengError, UsageError
from tools.settings import Settings, get_settings

DOCS_COLLECTION = "docs"
"""The default collection for ingested documents."""

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


class StoreUnavailable(QimengError):
    """The Chroma server cannot be reached, or the embedded directory cannot be opened."""


class ModelMismatch(QimengError):
    """A collection was built with another embedding model than ours."""


def check_collection_name(name: str) -> str:
    """Return ``name`` if Chroma accepts it, else raise :class:`UsageError` saying what is allowed."""
    if not _NAME_RE.match(name) or ".." in name:
        raise UsageError(
            f"bad collection name {name!r}: use 3-512 characters from letters, digits, '.', '_' and '-', "
            "starting and ending with a letter or digit"
        )
    return name


@dataclass
class KnowledgeStore:
    """An open Chroma client plus where it points (for messages)."""

    client: ClientAPI
    location: str
    _open: dict[str, Collection] = field(default_factory=dict, repr=False)

    def collection(self, name: str = DOCS_COLLECTION, *, create: bool = True) -> Collection:
        """Open collection ``name`` with our embedding function, creating it when ``create``.

        Raises:
            UsageError: the name is malformed, or the collection does not exist and ``create`` is False.
            ModelMismatch: the collection was built with another embedding model.
        """
        if name in self._open:
            return self._open[name]
        check_collection_name(name)
        ef = MiniLMEmbedding()
        try:
            existing = self.client.get_collection(name)
        except NotFoundError:
            if not create:
                known = ", ".join(self.collection_names()) or "none yet"
                raise UsageError(
                    f"no collection {name!r} in {self.location}; known collections: {known}"
                ) from None
            opened = self._create(name, ef)
        else:
            _check_model(name, existing.metadata)
            opened = self.client.get_collection(name, embedding_function=ef)  # type: ignore[arg-type]
        self._open[name] = opened
        return opened

    def _create(self, name: str, ef: MiniLMEmbedding) -> Collection:
        metadata: dict[str, Any] = {"embedding_model": MODEL_NAME, "dimensions": DIMENSIONS}
        try:
            return self.client.create_collection(
                name,
                embedding_function=ef,  # type: ignore[arg-type]
                metadata=metadata,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except ChromaError:
            # Another process created it between our look-up and create: open theirs.
            existing = self.client.get_collection(name)
            _check_model(name, existing.metadata)
            return self.client.get_collection(name, embedding_function=ef)  # type: ignore[arg-type]

    def collection_names(self) -> list[str]:
        """Names of all collections, sorted."""
        return sorted(c.name for c in self.client.list_collections())


def _check_model(name: str, metadata: Any) -> None:
    model = (metadata or {}).get("embedding_model")
    if model != MODEL_NAME:
        raise ModelMismatch(
            f"collection {name!r} was built with embedding model {model or 'unknown'!r}, but this "
            f"knowledge base embeds with {MODEL_NAME!r}; vectors of different models must not be mixed: "
            "use another collection name, or delete and re-ingest this one"
        )


def chroma_settings() -> ChromaSettings:
    """The client settings every store uses (a second client on the same path must match them)."""
    # No telemetry: the knowledge base must work with no network at all.
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_store(
    settings: Settings | None = None,
    *,
    path: Path | None = None,
    host: str | None = None,
    port: int | None = None,
) -> KnowledgeStore:
    """Open the knowledge store named by the arguments, else by settings.

    An explicit ``path`` opens that embedded store; an explicit ``host`` a Chroma server at
    ``host:port``. Without either, ``settings.chroma_host`` selects a server, else the embedded
    store at ``settings.chroma_path`` is opened, created if missing.

    Raises:
        StoreUnavailable: the server does not answer, or the directory cannot be created.
    """
    settings = settings or get_settings()
    if host is None and path is None:
        host = settings.chroma_host
    if host:
        port = port or settings.chroma_port
        location = f"the Chroma server at {host}:{port}"
        try:
            client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings())
            client.heartbeat()
        except (ValueError, ConnectionError, OSError, ChromaError) as exc:
            raise StoreUnavailable(
                f"cannot reach {location} ({exc}); start one with `qimeng kb serve --port {port}`, "
                "or unset QIMENG_CHROMA_HOST to use the embedded store"
            ) from None
        return KnowledgeStore(client, location)
    directory = Path(path or settings.chroma_path or settings.run_dir / "chroma").resolve()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Chroma keeps one shared system per path and races when two threads create it at once.
        with _open_lock:
            client = chromadb.PersistentClient(path=str(directory), settings=chroma_settings())
    except (OSError, ValueError, ChromaError) as exc:
        raise StoreUnavailable(f"cannot open the embedded Chroma store at {directory}: {exc}") from None
    return KnowledgeStore(client, f"the embedded store at {directory}")


_open_lock = threading.Lock()
