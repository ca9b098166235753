"""Design memory: verified designs and kernels, retrievable by the similarity of their specs.

Only verified work is remembered (its evidence must parse and pass), so whatever the offline
designer or an LLM agent recalls was checked by real tools. Records live in their own collection
(:data:`DESIGNS_COLLECTION`), embedded on their spec; remembering the same design twice keeps one.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from knowledge.embedding import embed
from knowledge.retrieval import default_store
from knowledge.store import KnowledgeStore
from tools.errors import UsageError
from tools.evidence import Evidence

DESIGNS_COLLECTION = "designs"
_KIND_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

Metric = float | int | str | bool


class DesignRecord(BaseModel):
    """A remembered, verified design or kernel."""

    id: str = Field(description="Content hash of kind, spec and code.")
    kind: str = Field(description="What it is, e.g. 'rtl', 'kernel-riscv64', 'kernel-cuda'.")
    spec: str = Field(description="The specification it was built for.")
    code: str = Field(description="The verified source (Verilog, C, CUDA, ...).")
    evidence: Evidence = Field(description="The checks that verified it.")
    metrics: dict[str, Metric] = Field(default_factory=dict, description="PPA or speed figures.")
    stored_at: float = Field(0.0, description="Unix time it was remembered.")
    score: float = Field(0.0, description="Similarity of its spec to the recall query (1 is identical).")


def _check_kind(kind: str) -> str:
    if not _KIND_RE.match(kind):
        raise UsageError(
            f"bad design kind {kind!r}: use lower-case letters, digits, '.', '_' or '-' "
            "(e.g. 'rtl', 'kernel-riscv64'), at most 64 characters"
        )
    return kind


def _parse_evidence(evidence: Evidence | str | dict[str, Any]) -> Evidence:
    try:
        if isinstance(evidence, Evidence):
            return evidence
        if isinstance(evidence, str):
            return Evidence.model_validate_json(evidence)
        return Evidence.model_validate(evidence)
    except ValidationError as exc:
        raise UsageError(f"evidence is not a valid Evidence record: {exc.errors()[0]['msg']}") from None


def remember_design(
    kind: str,
    spec: str,
    code: str,
    evidence_json: Evidence | str | dict[str, Any],
    metrics: dict[str, Metric] | None = None,
    *,
    store: KnowledgeStore | None = None,
) -> str:
    """Store a verified design and return its id (the same inputs give the same id).

    Raises:
        UsageError: bad kind, empty spec or code, malformed evidence, or evidence that is not
            verified (no checks, or a check that did not pass): unverified work is never stored.
    """
    _check_kind(kind)
    if not spec.strip() or not code.strip():
        raise UsageError("a design needs a non-empty spec and non-empty code")
    evidence = _parse_evidence(evidence_json)
    if not evidence.verified:
        failing = ", ".join(f"{c.name}={c.status}" for c in evidence.failures()) or "no checks ran"
        raise UsageError(
            f"refusing to remember an unverified design ({failing}); only verified work is stored"
        )
    metrics = dict(metrics or {})
    bad = [k for k, v in metrics.items() if not isinstance(v, float | int | str | bool)]
    if bad:
        raise UsageError(f"metrics must be numbers, strings or booleans; bad keys: {', '.join(bad)}")
    design_id = hashlib.sha256(f"{kind}\x00{spec}\x00{code}".encode()).hexdigest()[:32]
    col = (store or default_store()).collection(DESIGNS_COLLECTION)
    col.upsert(
        ids=[design_id],
        documents=[spec],
        embeddings=embed([f"{kind}: {spec}"]),  # type: ignore[arg-type]
        metadatas=[
            {
                "kind": kind,
                "code": code,
                "evidence": evidence.model_dump_json(),
                "metrics": json.dumps(metrics, sort_keys=True),
                "stored_at": time.time(),
            }
        ],
    )
    return design_id


def recall_designs(
    query: str,
    kind: str | None = None,
    k: int = 3,
    *,
    store: KnowledgeStore | None = None,
) -> list[DesignRecord]:
    """The ``k`` remembered designs whose specs are closest to ``query``, best first.

    An empty memory gives an empty list.

    Raises:
        UsageError: empty query, bad kind, or ``k`` outside 1..100.
    """
    if not query.strip():
        raise UsageError("empty query; describe the design you are looking for")
    if kind is not None:
        _check_kind(kind)
    if not 1 <= k <= 100:
        raise UsageError(f"k must be between 1 and 100, got {k}")
    col = (store or default_store()).collection(DESIGNS_COLLECTION)
    if col.count() == 0:
        return []
    label = f"{kind}: {query}" if kind else query
    result = col.query(
        query_embeddings=embed([label]),  # type: ignore[arg-type]
        n_results=k,
        where={"kind": kind} if kind else None,
        include=["documents", "metadatas", "distances"],
    )
    records = []
    docs = (result["documents"] or [[]])[0]
    metas = (result["metadatas"] or [[]])[0]
    dists = (result["distances"] or [[]])[0]
    for design_id, doc, meta, dist in zip(result["ids"][0], docs, metas, dists, strict=True):
        records.append(
            DesignRecord(
                id=design_id,
                kind=str(meta["kind"]),
                spec=doc or "",
                code=str(meta["code"]),
                evidence=Evidence.model_validate_json(str(meta["evidence"])),
                metrics=json.loads(str(meta["metrics"])),
                stored_at=float(meta.get("stored_at", 0.0) or 0.0),  # type: ignore[arg-type]
                score=1.0 - float(dist),
            )
        )
    return records
