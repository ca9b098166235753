"""How the agents use the knowledge base: consult it before designing, remember what verified.

Retrieved text is untrusted data: it goes into prompts only through
:func:`knowledge.retrieval.format_for_prompt`, which marks it as such. Every source consulted is
recorded in the artifact's evidence. With ``use_knowledge`` off, or no store to read, both
functions do nothing and say so in the returned note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.errors import QimengError
from tools.evidence import Evidence, Source
from tools.settings import get_settings


@dataclass
class Consultation:
    """What the knowledge base offered for one request."""

    sources: list[Source] = field(default_factory=list)
    context: str = ""
    past_designs: list[str] = field(default_factory=list)  # code of similar verified designs
    note: str = ""


def consult(query: str, design_kind: str, k: int = 3) -> Consultation:
    """Top-``k`` document chunks and similar past designs of ``design_kind`` for ``query``."""
    if not get_settings().use_knowledge:
        return Consultation(note="knowledge base off (use_knowledge = false)")
    from knowledge.memory import recall_designs
    from knowledge.retrieval import format_for_prompt, search
    from knowledge.store import DOCS_COLLECTION, open_store

    found = Consultation()
    try:
        store = open_store()
        if DOCS_COLLECTION in store.collection_names():
            hits = search(query, k, store=store)
            found.sources += [
                Source(source=h.source, section=h.section, score=round(h.score, 3)) for h in hits
            ]
            found.context = format_for_prompt(hits)
        for rec in recall_designs(query, kind=design_kind, k=2, store=store):
            found.sources.append(
                Source(source=f"design-memory:{rec.id[:12]}", section=rec.spec[:80], score=rec.score)
            )
            found.past_designs.append(rec.code)
    except QimengError as exc:
        found.note = f"knowledge base unavailable: {exc}"
    return found


def remember(design_kind: str, spec: str, code: str, evidence: Evidence, metrics: dict[str, Any]) -> str:
    """Store a verified design in the design memory; returns a note for the log."""
    if not get_settings().use_knowledge:
        return "design memory off"
    if not evidence.verified:
        return "not remembered: not verified"
    from knowledge.memory import remember_design
    from knowledge.store import open_store

    flat = {k: v for k, v in metrics.items() if isinstance(v, int | float | str | bool)}
    try:
        rid = remember_design(design_kind, spec, code, evidence, flat, store=open_store())
    except QimengError as exc:
        return f"not remembered: {exc}"
    return f"remembered as {rid[:12]}"
