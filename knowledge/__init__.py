"""The knowledge base: ChromaDB store, document ingestion, retrieval, and the design memory.

Documents (Markdown, AsciiDoc, text, HTML, PDF) are cut into section-aware chunks, embedded
offline with all-MiniLM-L6-v2 and stored in ChromaDB (embedded directory, or a ``chroma run``
server for cluster workers). Agents search them through :func:`search_knowledge` /
:func:`knowledge_tool`, which mark retrieved text as untrusted data. Verified designs and kernels
go into a separate collection through :func:`remember_design` and come back by
:func:`recall_designs`.

Names load on first use (PEP 562): importing one module (the hit model a search client prints)
does not load ChromaDB and the embedding model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.chunking import Chunk, chunk_sections
    from knowledge.embedding import MODEL_NAME, EmbeddingUnavailable, MiniLMEmbedding, embed
    from knowledge.hit import Hit
    from knowledge.ingest import FileOutcome, IngestReport, discover, ingest_paths, source_name
    from knowledge.memory import DESIGNS_COLLECTION, DesignRecord, recall_designs, remember_design
    from knowledge.readers import FORMATS, Section, Unreadable, read_sections
    from knowledge.retrieval import UNTRUSTED_NOTE, format_for_prompt, search
    from knowledge.server import ChromaServer, free_port
    from knowledge.store import DOCS_COLLECTION, KnowledgeStore, ModelMismatch, StoreUnavailable, open_store
    from knowledge.tool import knowledge_tool, search_knowledge

_WHERE = {
    "Chunk": "knowledge.chunking",
    "chunk_sections": "knowledge.chunking",
    "MODEL_NAME": "knowledge.embedding",
    "EmbeddingUnavailable": "knowledge.embedding",
    "MiniLMEmbedding": "knowledge.embedding",
    "embed": "knowledge.embedding",
    "FileOutcome": "knowledge.ingest",
    "IngestReport": "knowledge.ingest",
    "discover": "knowledge.ingest",
    "ingest_paths": "knowledge.ingest",
    "source_name": "knowledge.ingest",
    "DESIGNS_COLLECTION": "knowledge.memory",
    "DesignRecord": "knowledge.memory",
    "recall_designs": "knowledge.memory",
    "remember_design": "knowledge.memory",
    "FORMATS": "knowledge.readers",
    "Section": "knowledge.readers",
    "Unreadable": "knowledge.readers",
    "read_sections": "knowledge.readers",
    "UNTRUSTED_NOTE": "knowledge.retrieval",
    "Hit": "knowledge.hit",
    "format_for_prompt": "knowledge.retrieval",
    "search": "knowledge.retrieval",
    "ChromaServer": "knowledge.server",
    "free_port": "knowledge.server",
    "DOCS_COLLECTION": "knowledge.store",
    "KnowledgeStore": "knowledge.store",
    "ModelMismatch": "knowledge.store",
    "StoreUnavailable": "knowledge.store",
    "open_store": "knowledge.store",
    "knowledge_tool": "knowledge.tool",
    "search_knowledge": "knowledge.tool",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use."""
    if name not in _WHERE:
        raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


__all__ = [
    "DESIGNS_COLLECTION",
    "DOCS_COLLECTION",
    "FORMATS",
    "MODEL_NAME",
    "UNTRUSTED_NOTE",
    "ChromaServer",
    "Chunk",
    "DesignRecord",
    "EmbeddingUnavailable",
    "FileOutcome",
    "Hit",
    "IngestReport",
    "KnowledgeStore",
    "MiniLMEmbedding",
    "ModelMismatch",
    "Section",
    "StoreUnavailable",
    "Unreadable",
    "chunk_sections",
    "discover",
    "embed",
    "format_for_prompt",
    "free_port",
    "ingest_paths",
    "knowledge_tool",
    "open_store",
    "read_sections",
    "recall_designs",
    "remember_design",
    "search",
    "search_knowledge",
    "source_name",
]
