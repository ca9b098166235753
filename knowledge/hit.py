"""One retrieved chunk with its citation: what a search returns, in-process or from ``kb serve``.

Kept apart from the store so a client that only prints hits (``qimeng kb search`` against a running
search service) does not load ChromaDB or the embedding model.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Hit(BaseModel):
    """One retrieved chunk with its citation."""

    id: str = Field(description="The chunk id in its collection.")
    text: str = Field(description="The chunk text (untrusted data).")
    source: str = Field(description="The document it came from.")
    section: str = Field(description="Heading path inside the document, outermost first, ' > ' separated.")
    page: int | None = Field(None, description="1-based page for paged formats (PDF).")
    kind: str = Field("doc", description="The label given at ingest.")
    score: float = Field(
        description="Cosine similarity to the query plus the lexical bonus (see knowledge.rerank)."
    )

    def citation(self) -> str:
        """``source § section`` (and page), for a human or a prompt."""
        where = f"{self.source} § {self.section}" if self.section else self.source
        return f"{where} (page {self.page})" if self.page is not None else where
