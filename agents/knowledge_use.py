"""How the agents use the knowledge base: consult it before designing, remember what verified.

Retrieved text is untrusted data: it goes into prompts only through
:func:`knowledge.retrieval.format_for_prompt`, which marks it as such. Every source consulted is
recorded in the artifact's evidence. With ``use_knowledge`` off, or no store to read, both
functions do nothing and say so in the returned note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.calls import cluster_node
from tools.errors import QimengError
from tools.evidence import Evidence, Source
from tools.executor import call_tool
from tools.settings import get_settings

CONSULT = "agents.knowledge_use:consult_call"
"""The knowledge search's task name (see :func:`consult_call`)."""
ON_A_NODE = (
    "knowledge base skipped on a cluster node: an embedded store is opened by one process only; "
    "serve it with 'qimeng kb serve' and set QIMENG_CHROMA_HOST"
)


@dataclass
class Consultation:
    """What the knowledge base offered for one request."""

    sources: list[Source] = field(default_factory=list)
    context: str = ""
    past_designs: list[str] = field(default_factory=list)  # code of similar verified designs
    note: str = ""


def consult(query: str, design_kind: str, k: int = 3) -> Consultation:
    """Top-``k`` document chunks and similar past designs of ``design_kind`` for ``query``.

    The search is a tool call (:data:`CONSULT`): with a Chroma server configured it may run on any
    node; an embedded store is searched only in this process (one process may open it).
    """
    settings = get_settings()
    if not settings.use_knowledge:
        return Consultation(note="knowledge base off (use_knowledge = false)")
    if settings.chroma_host is None and cluster_node() is not None:
        return Consultation(note=ON_A_NODE)
    args = {"query": query, "kind": design_kind, "k": k}
    if settings.chroma_host is not None:
        args |= {"chroma_host": settings.chroma_host, "chroma_port": settings.chroma_port}
    done = call_tool(CONSULT, args, key="knowledge", local_only=settings.chroma_host is None)
    value = done.value or {}
    return Consultation(
        sources=[Source.model_validate(s) for s in value.get("sources", [])],
        context=str(value.get("context", "")),
        past_designs=[str(c) for c in value.get("past_designs", [])],
        note=str(value.get("note", "")),
    )


def consult_call(args: dict[str, Any]) -> dict[str, Any]:
    """The knowledge search as a task: ``{query, kind, k, chroma_host?, chroma_port?}`` ->
    ``{sources, context, past_designs, note}`` (the store's failures become the note)."""
    from knowledge.memory import recall_designs
    from knowledge.retrieval import format_for_prompt, search
    from knowledge.store import DOCS_COLLECTION, open_store

    query, design_kind, k = str(args["query"]), str(args["kind"]), int(args.get("k", 3))
    found = Consultation()
    try:
        host = args.get("chroma_host")
        store = open_store(host=host, port=args.get("chroma_port")) if host else open_store()
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
    return {
        "sources": [src.model_dump(mode="json") for src in found.sources],
        "context": found.context,
        "past_designs": found.past_designs,
        "note": found.note,
    }


def remember(design_kind: str, spec: str, code: str, evidence: Evidence, metrics: dict[str, Any]) -> str:
    """Store a verified design in the design memory; returns a note for the log."""
    settings = get_settings()
    if not settings.use_knowledge:
        return "design memory off"
    if not evidence.verified:
        return "not remembered: not verified"
    if settings.chroma_host is None and cluster_node() is not None:
        return f"not remembered: {ON_A_NODE}"
    from knowledge.memory import remember_design
    from knowledge.store import open_store

    flat = {k: v for k, v in metrics.items() if isinstance(v, int | float | str | bool)}
    try:
        rid = remember_design(design_kind, spec, code, evidence, flat, store=open_store())
    except QimengError as exc:
        return f"not remembered: {exc}"
    return f"remembered as {rid[:12]}"
