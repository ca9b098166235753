"""The knowledge base: ChromaDB store, document ingestion, retrieval, and the design memory."""

__all__: list[str] = []
