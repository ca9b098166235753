"""Lexical re-ranking of dense candidates: exact identifiers matter in chip documents.

A small embedding model blurs tokens such as ``vint32m1x2_t``, ``_tumu`` or ``MULHU``. The dense
search fetches :data:`CANDIDATES` chunks; each gets a bonus for the query terms it contains, in its
heading path and its text, weighted by how rare the term is among the candidates. The final score
is ``cosine + LEXICAL_WEIGHT * bonus`` (bonus in 0..1).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.retrieval import Hit

CANDIDATES = 30
LEXICAL_WEIGHT = 0.25
HEADING_SHARE = 0.5
"""Share of the bonus earned by matches in the heading path (the rest by the text)."""

_TOKEN = re.compile(r"[a-z0-9_][a-z0-9_.]*[a-z0-9_]|[a-z0-9]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "may",
        "of",
        "on",
        "or",
        "the",
        "their",
        "this",
        "to",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "without",
    ]
)


def terms(text: str) -> set[str]:
    """Lower-case word and identifier tokens of ``text``, stop words removed."""
    return {t for t in _TOKEN.findall(text.lower()) if t not in _STOP and len(t) > 1}


def rerank(query: str, hits: list[Hit]) -> list[Hit]:
    """``hits`` re-ordered by cosine plus lexical bonus; each hit's ``score`` becomes that sum."""
    wanted = terms(query)
    if not wanted or not hits:
        return hits
    docs = [(terms(h.section), terms(h.text)) for h in hits]
    n = len(hits)
    idf = {t: math.log(1 + n / (1 + sum(1 for head, body in docs if t in head or t in body))) for t in wanted}
    total = sum(idf.values()) or 1.0
    scored = []
    for hit, (head, body) in zip(hits, docs, strict=True):
        in_head = sum(idf[t] for t in wanted if t in head) / total
        in_body = sum(idf[t] for t in wanted if t in body) / total
        bonus = HEADING_SHARE * in_head + (1 - HEADING_SHARE) * in_body
        scored.append(hit.model_copy(update={"score": hit.score + LEXICAL_WEIGHT * bonus}))
    return sorted(scored, key=lambda h: -h.score)
