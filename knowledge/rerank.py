"""Lexical re-ranking of dense candidates: exact identifiers matter in chip documents.

A small embedding model blurs tokens such as ``vint32m1x2_t``, ``_tumu`` or ``MULHU``. The dense
search fetches :data:`CANDIDATES` chunks; each gets a bonus for the query terms it contains, in its
heading path and its text, weighted by how rare the term is among the candidates. The final score
is ``cosine + LEXICAL_WEIGHT * bonus`` (bonus in 0..1).
"""

from __future__ import annotations

import math
import re

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


def _present(wanted: set[str], text: str) -> set[str]:
    """The terms of ``wanted`` that occur in ``text`` as whole tokens (a C-speed search per term)."""
    lower = text.lower()
    return {
        t for t in wanted if t in lower and re.search(rf"(?<![a-z0-9_.]){re.escape(t)}(?![a-z0-9_])", lower)
    }


def rerank(query: str, sections: list[str], texts: list[str], scores: list[float]) -> list[tuple[int, float]]:
    """Candidate positions with their new scores (cosine plus lexical bonus), best first."""
    wanted = terms(query)
    if not wanted:
        return sorted(enumerate(scores), key=lambda p: -p[1])
    docs = [
        (_present(wanted, head), _present(wanted, body)) for head, body in zip(sections, texts, strict=True)
    ]
    n = len(docs)
    idf = {t: math.log(1 + n / (1 + sum(1 for head, body in docs if t in head or t in body))) for t in wanted}
    total = sum(idf.values()) or 1.0
    ranked = []
    for i, ((head, body), base) in enumerate(zip(docs, scores, strict=True)):
        in_head = sum(idf[t] for t in head) / total
        in_body = sum(idf[t] for t in body) / total
        bonus = HEADING_SHARE * in_head + (1 - HEADING_SHARE) * in_body
        ranked.append((i, base + LEXICAL_WEIGHT * bonus))
    return sorted(ranked, key=lambda p: -p[1])
