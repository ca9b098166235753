"""The knowledge base: ChromaDB store, document ingestion, retrieval, and the design memory.

Documents (Markdown, AsciiDoc, text, HTML, PDF) are cut into section-aware chunks, embedded
offline with all-MiniLM-L6-v2 and stored in ChromaDB (embedded directory, or a ``chroma run``
server for cluster workers). Agents search them through :func:`search_knowledge` /
:func:`knowledge_tool`, which mark retrieved text as untrusted data. Verified designs and kernels
go into a separate collection through :func:`remember_design` and come back by
:func:`recall_designs`.
"""

from knowledge.chunking import Chunk, chunk_sections
from knowledge.embedding import MODEL_NAME, EmbeddingUnavailable, MiniLMEmbedding, embed
from knowledge.ingest import FileOutcome, IngestReport, discover, ingest_paths, source_name
from knowledge.memory import DESIGNS_COLLECTION, DesignRecord, recall_designs, remember_design
from knowledge.readers import FORMATS, Section, Unreadable, read_sections
from knowledge.retrieval import UNTRUSTED_NOTE, Hit, format_for_prompt, search
from knowledge.server import ChromaServer, free_port
from knowledge.store import DOCS_COLLECTION, KnowledgeStore, ModelMismatch, StoreUnavailable, open_store
from knowledge.tool import knowledge_tool, search_knowledge

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
