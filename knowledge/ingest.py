"""Ingest documents into a collection: idempotent, edit-aware, and all-or-nothing per file.

For each file: read its sections, chunk them, compare the chunk ids with those stored for the same
source. Same ids: the file is unchanged and nothing is embedded. Otherwise the new chunks are
embedded and added first, and only then are the old ones removed, so a failure part-way leaves
the collection as it was (added chunks are taken out again).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError
from pydantic import BaseModel, Field

from knowledge.chunking import MAX_WORDS, Chunk, chunk_sections
from knowledge.embedding import embed
from knowledge.readers import MAX_BYTES, Unreadable, read_sections
from knowledge.store import DOCS_COLLECTION, KnowledgeStore
from tools.errors import UsageError

FileStatus = Literal["added", "updated", "unchanged", "skipped", "failed"]


class FileOutcome(BaseModel):
    """What happened to one file."""

    path: str = Field(description="The file as found on disk.")
    source: str = Field(description="The source name its chunks cite.")
    status: FileStatus = Field(
        description="added, updated, unchanged, skipped (unreadable) or failed (store)."
    )
    chunks: int = Field(0, description="Chunks the file has in the collection now.")
    reason: str = Field("", description="Why it was skipped or failed.")


class IngestReport(BaseModel):
    """The summary of one ingest run."""

    collection: str
    files: list[FileOutcome] = Field(default_factory=list)
    chunks_added: int = Field(0, description="Chunks embedded and stored by this run.")
    chunks_removed: int = Field(0, description="Stale chunks of edited files removed by this run.")
    seconds: float = 0.0

    def count(self, status: FileStatus) -> int:
        """How many files ended with ``status``."""
        return sum(1 for f in self.files if f.status == status)

    @property
    def chunks_per_s(self) -> float:
        """Chunks added per second of the whole run."""
        return self.chunks_added / self.seconds if self.seconds > 0 else 0.0


def discover(paths: Sequence[Path]) -> list[Path]:
    """Expand directories (recursively, hidden entries skipped) into a sorted list of files.

    Raises:
        UsageError: a path does not exist, or nothing was given.
    """
    if not paths:
        raise UsageError("no paths given; pass files or directories to ingest")
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path} does not exist; pass existing files or directories")
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
        else:
            files.append(path)
    return sorted(dict.fromkeys(files))


def refusal(path: Path, roots: Sequence[Path]) -> str:
    """Why ``path`` must not be read (empty when it may): a link that leads outside the given
    ``roots``, a dangling link, or something that is not a regular file (device, FIFO, socket)."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a dangling or looping symbolic link"
    inside = [r.resolve() for r in roots]
    if path.is_symlink() and not any(resolved == r or resolved.is_relative_to(r) for r in inside):
        return f"a symbolic link to {resolved}, outside the folders being ingested; links are followed only inside them"
    try:
        mode = resolved.stat().st_mode
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file (device, FIFO or socket); only regular files are ingested"
    return ""


def source_name(path: Path, root: Path | None = None) -> str:
    """The name chunks of ``path`` cite: relative to ``root`` (or the working directory) if inside it."""
    resolved = path.resolve()
    base = (root or Path.cwd()).resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_posix()


def ingest_paths(
    paths: Sequence[Path],
    store: KnowledgeStore,
    *,
    collection: str = DOCS_COLLECTION,
    kind: str = "doc",
    source_root: Path | None = None,
    max_bytes: int = MAX_BYTES,
    max_words: int = MAX_WORDS,
    on_file: Callable[[Path, FileOutcome], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest files and directories into ``collection``, each chunk tagged with ``kind``.

    ``on_start(total_files)`` and ``on_file(path, outcome)`` report progress. Unreadable files are
    skipped with a reason; the rest of the run goes on.

    Raises:
        UsageError: a path is missing, or ``kind`` is empty.
        ModelMismatch: the collection was built with another embedding model.
    """
    if not kind.strip():
        raise UsageError("kind must be a non-empty label such as 'doc', 'isa-manual' or 'datasheet'")
    files = discover(paths)
    col = store.collection(collection)
    report = IngestReport(collection=collection)
    started = time.perf_counter()
    if on_start:
        on_start(len(files))
    roots = [p if p.is_dir() else p.parent for p in paths]
    for path in files:
        why = refusal(path, roots)
        if why:
            outcome = FileOutcome(
                path=str(path), source=source_name(path, source_root), status="skipped", reason=why
            )
        else:
            outcome = _ingest_file(
                col, path, source_name(path, source_root), kind, max_bytes, max_words, report
            )
        report.files.append(outcome)
        if on_file:
            on_file(path, outcome)
    report.seconds = time.perf_counter() - started
    return report


def _ingest_file(
    col: Collection,
    path: Path,
    source: str,
    kind: str,
    max_bytes: int,
    max_words: int,
    report: IngestReport,
) -> FileOutcome:
    try:
        fmt, sections = read_sections(path, max_bytes)
    except Unreadable as exc:
        return FileOutcome(path=str(path), source=source, status="skipped", reason=str(exc))
    except OSError as exc:
        return FileOutcome(
            path=str(path), source=source, status="skipped", reason=f"cannot read: {exc.strerror}"
        )
    chunks = chunk_sections(sections, source, max_words)
    old_ids = set(col.get(where={"source": source}, include=[])["ids"])
    new_ids = [c.id for c in chunks]
    if old_ids == set(new_ids):
        return FileOutcome(path=str(path), source=source, status="unchanged", chunks=len(chunks))
    fresh = [c for c in chunks if c.id not in old_ids]
    try:
        _add(col, fresh, kind, fmt)
    except (ChromaError, ValueError, OSError, RuntimeError) as exc:
        return FileOutcome(path=str(path), source=source, status="failed", reason=f"store refused: {exc}")
    stale = sorted(old_ids - set(new_ids))
    if stale:
        col.delete(ids=stale)
    report.chunks_added += len(fresh)
    report.chunks_removed += len(stale)
    status: FileStatus = "updated" if old_ids else "added"
    return FileOutcome(path=str(path), source=source, status=status, chunks=len(chunks))


def _add(col: Collection, chunks: list[Chunk], kind: str, fmt: str, batch: int = 256) -> None:
    """Embed and add ``chunks``; on any failure remove what this call added, then re-raise."""
    added: list[str] = []
    try:
        for start in range(0, len(chunks), batch):
            part = chunks[start : start + batch]
            vectors = embed([c.embed_text for c in part])
            metadatas: list[dict[str, Any]] = [_metadata(c, kind, fmt) for c in part]
            col.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                embeddings=vectors,  # type: ignore[arg-type]
                metadatas=metadatas,  # type: ignore[arg-type]
            )
            added.extend(c.id for c in part)
    except BaseException:
        if added:
            col.delete(ids=added)
        raise


def _metadata(chunk: Chunk, kind: str, fmt: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": chunk.source,
        "section": chunk.section,
        "kind": kind,
        "format": fmt,
        "chunk": chunk.index,
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    return meta
