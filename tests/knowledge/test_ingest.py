"""Ingest is idempotent, replaces edited files, skips bad input, and never half-applies a file."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import chromadb
import pytest
from chromadb.errors import ChromaError

from knowledge.chunking import chunk_sections
from knowledge.ingest import _add, ingest_paths
from knowledge.readers import read_sections
from knowledge.retrieval import search
from knowledge.server import free_port
from knowledge.store import KnowledgeStore, ModelMismatch, StoreUnavailable, chroma_settings, open_store
from tools.errors import UsageError

DOC = "# Timer\n\n## Compare\nThe timer raises an interrupt when mtime reaches mtimecmp.\n\n## Reset\nmtime resets to 0.\n"


def ids_of(store: KnowledgeStore, source: str) -> set[str]:
    return set(store.collection().get(where={"source": source}, include=[])["ids"])


def test_reingest_changes_nothing(store: KnowledgeStore, tmp_path: Path) -> None:
    (tmp_path / "timer.md").write_text(DOC)
    first = ingest_paths([tmp_path / "timer.md"], store, source_root=tmp_path)
    before = ids_of(store, "timer.md")
    second = ingest_paths([tmp_path / "timer.md"], store, source_root=tmp_path)
    assert first.files[0].status == "added" and first.chunks_added == 2
    assert second.files[0].status == "unchanged"
    assert (second.chunks_added, second.chunks_removed) == (0, 0)
    assert ids_of(store, "timer.md") == before
    assert store.collection().count() == 2


def test_edited_file_replaces_its_old_chunks(store: KnowledgeStore, tmp_path: Path) -> None:
    path = tmp_path / "timer.md"
    path.write_text(DOC)
    ingest_paths([path], store, source_root=tmp_path)
    path.write_text(DOC.replace("mtime resets to 0.", "mtime keeps counting across a warm reset."))
    report = ingest_paths([path], store, source_root=tmp_path)
    assert report.files[0].status == "updated"
    assert (report.chunks_added, report.chunks_removed) == (1, 1)
    texts = store.collection().get(where={"source": "timer.md"})["documents"] or []
    assert sorted(texts) == sorted(
        [
            "The timer raises an interrupt when mtime reaches mtimecmp.",
            "mtime keeps counting across a warm reset.",
        ]
    )
    hit = search("what happens to mtime on reset", 1, store=store)[0]
    assert hit.section == "Timer > Reset" and "warm reset" in hit.text


def test_unreadable_edit_leaves_the_collection_as_it_was(store: KnowledgeStore, tmp_path: Path) -> None:
    path = tmp_path / "timer.md"
    path.write_text(DOC)
    ingest_paths([path], store, source_root=tmp_path)
    before = ids_of(store, "timer.md")
    path.write_bytes(b"\xff\xfe broken")
    report = ingest_paths([path], store, source_root=tmp_path)
    assert report.files[0].status == "skipped" and "not UTF-8" in report.files[0].reason
    assert ids_of(store, "timer.md") == before


def test_store_failure_mid_file_rolls_back_what_was_added(store: KnowledgeStore, tmp_path: Path) -> None:
    path = tmp_path / "timer.md"
    path.write_text(DOC)
    chunks = chunk_sections(read_sections(path)[1], "timer.md")
    bad_id_in_second_batch = [*chunks, dataclasses.replace(chunks[0], id="")]
    col = store.collection()
    with pytest.raises(ChromaError, match="Empty ID"):
        _add(col, bad_id_in_second_batch, "doc", "markdown", batch=2)
    assert col.count() == 0


def test_directory_ingest_reports_skips_and_keeps_going(store: KnowledgeStore, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "timer.md").write_text(DOC)
    (docs / "empty.txt").write_text("")
    (docs / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (docs / ".hidden.md").write_text(DOC)
    report = ingest_paths([docs], store, source_root=tmp_path, kind="manual")
    outcome = {Path(f.path).name: (f.status, f.reason) for f in report.files}
    assert outcome["timer.md"] == ("added", "")
    assert outcome["empty.txt"] == ("skipped", "empty file")
    assert outcome["logo.png"][0] == "skipped" and "unknown format '.png'" in outcome["logo.png"][1]
    assert ".hidden.md" not in outcome
    assert report.files[-1].source == "docs/sub/timer.md"
    assert search("mtimecmp interrupt", 1, store=store, kind="manual")[0].source == "docs/sub/timer.md"


def test_missing_path_and_empty_kind_are_usage_errors(store: KnowledgeStore, tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"does-not-exist does not exist; pass existing files or directories"
    ):
        ingest_paths([tmp_path / "does-not-exist"], store)
    with pytest.raises(UsageError, match="no paths given"):
        ingest_paths([], store)
    with pytest.raises(UsageError, match="kind must be a non-empty label"):
        ingest_paths([tmp_path], store, kind=" ")


def test_collection_of_another_model_is_refused(tmp_path: Path) -> None:
    raw = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=chroma_settings())
    raw.create_collection("foreign", metadata={"embedding_model": "BAAI/bge-small-en"})
    raw.create_collection("unlabelled")
    store = open_store(path=tmp_path / "chroma")
    with pytest.raises(
        ModelMismatch, match=r"built with embedding model 'BAAI/bge-small-en'.*must not be mixed"
    ):
        store.collection("foreign")
    (tmp_path / "a.md").write_text(DOC)
    with pytest.raises(ModelMismatch, match="'unknown'"):
        ingest_paths([tmp_path / "a.md"], store, collection="unlabelled")
    assert raw.get_collection("unlabelled").count() == 0


def test_bad_collection_name_is_a_usage_error(store: KnowledgeStore) -> None:
    with pytest.raises(UsageError, match="bad collection name 'a b'.*3-512 characters"):
        store.collection("a b")


def test_server_that_is_down_is_named_with_the_fix() -> None:
    port = free_port()
    with pytest.raises(
        StoreUnavailable, match=rf"cannot reach the Chroma server at 127.0.0.1:{port}.*kb serve"
    ):
        open_store(host="127.0.0.1", port=port)


def test_ingest_never_leaves_the_given_folders(store: KnowledgeStore, tmp_path: Path) -> None:
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    docs.mkdir()
    outside.mkdir()
    secret = outside / "secret.md"
    secret.write_text("# Secret\n\nthe password is hunter2\n")
    (docs / "timer.md").write_text(DOC)
    (docs / "leak.md").symlink_to(secret)
    (docs / "inside.md").symlink_to(docs / "timer.md")
    (docs / "dangling.md").symlink_to(tmp_path / "missing.md")
    os.mkfifo(docs / "pipe.md")
    report = ingest_paths([docs], store, source_root=docs)
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["leak.md"].status == "skipped"
    assert "outside the folders being ingested" in by_name["leak.md"].reason
    assert by_name["dangling.md"].status == "skipped"
    assert by_name["pipe.md"].status == "skipped" and "not a regular file" in by_name["pipe.md"].reason
    assert by_name["inside.md"].status == "added"  # a link that stays inside is followed
    texts = " ".join(store.collection().get()["documents"] or [])
    assert "hunter2" not in texts
