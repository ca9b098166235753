"""Shared fixtures: a subset of the shared corpus ingested once into an embedded store and once
into a real ``chroma run`` server on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.retrieval import Question, load_questions
from knowledge import ChromaServer, IngestReport, KnowledgeStore, ingest_paths, open_store

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "corpus"
SUBSET = [
    "riscv-isa-manual/unpriv/m-st-ext.adoc",
    "riscv-isa-manual/unpriv/f-st-ext.adoc",
    "riscv-isa-manual/unpriv/rv32.adoc",
    "riscv-isa-manual/unpriv/zicond.adoc",
    "rvv-intrinsic-doc/rvv-intrinsic-spec.adoc",
]


@pytest.fixture(scope="session")
def subset_questions() -> list[Question]:
    """Questions of the eval set whose answers all lie in :data:`SUBSET`."""
    return [
        q for q in load_questions() if all(any(path.endswith(a.source) for path in SUBSET) for a in q.answers)
    ]


def _ingest(store: KnowledgeStore) -> IngestReport:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS} (optional data; present in this workplace's CI)")
    return ingest_paths([CORPUS / p for p in SUBSET], store, source_root=CORPUS)


@pytest.fixture(scope="session")
def embedded_kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[KnowledgeStore, IngestReport]:
    store = open_store(path=tmp_path_factory.mktemp("chroma-embedded"))
    return store, _ingest(store)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


@pytest.fixture(scope="session")
def server_kb(chroma_server: ChromaServer) -> tuple[KnowledgeStore, IngestReport]:
    store = open_store(host=chroma_server.host, port=chroma_server.port)
    return store, _ingest(store)


@pytest.fixture(params=["embedded", "server"])
def kb(request: pytest.FixtureRequest) -> tuple[KnowledgeStore, IngestReport]:
    """The same ingested subset in both store modes; retrieval tests run against each."""
    fixture = "embedded_kb" if request.param == "embedded" else "server_kb"
    value: tuple[KnowledgeStore, IngestReport] = request.getfixturevalue(fixture)
    return value


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    """A fresh, empty embedded store."""
    return open_store(path=tmp_path / "chroma")
