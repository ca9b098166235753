"""Retrieval quality and speed of the knowledge base.

:func:`evaluate_retrieval` ingests a corpus into a fresh store and scores a question set
(recall@k and MRR). :func:`benchmark_scale` measures ingest rate and query latency at a given
number of chunks. ``python -m evals.retrieval CORPUS`` runs both and prints tables with the
machine they ran on.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, Field, ValidationError

from knowledge.embedding import embed
from knowledge.hit import Hit
from knowledge.ingest import IngestReport, ingest_paths
from knowledge.retrieval import search
from knowledge.store import KnowledgeStore, open_store
from tools.errors import UsageError

QUESTIONS = Path(__file__).parent / "data" / "retrieval_questions.yaml"


class Answer(BaseModel):
    """An acceptable answer: a source suffix and a section-path substring (empty: any section)."""

    source: str
    section: str = ""

    def matches(self, hit: Hit) -> bool:
        """True when ``hit`` comes from this source and section."""
        return hit.source.endswith(self.source) and self.section.lower() in hit.section.lower()


class Question(BaseModel):
    """One test question and the sections that answer it."""

    q: str
    answers: list[Answer] = Field(min_length=1)


class QuestionResult(BaseModel):
    """How one question fared: the 1-based rank of the first right hit (None: not in top k)."""

    q: str
    rank: int | None
    top: str = Field(description="Citation of the first hit.")


class RetrievalReport(BaseModel):
    """Scores over a question set."""

    k: int
    questions: int
    recall_at_k: float
    mrr: float
    chunks: int
    ingest_s: float
    results: list[QuestionResult]


class ScaleReport(BaseModel):
    """Speed at a given collection size."""

    chunks: int
    embed_chunks_per_s: float | None = Field(
        description="End-to-end rate: embedding plus storing real chunks (None: nothing was new)."
    )
    store_chunks_per_s: float = Field(description="Storing precomputed vectors into the collection.")
    query_p50_ms: float
    embed_p50_ms: float = Field(description="The query-embedding share of a search, median.")
    query_p95_ms: float
    queries: int
    machine: str


def machine() -> str:
    """A one-line description of this machine for benchmark tables."""
    return f"{platform.machine()} {os.cpu_count()} CPUs, {platform.processor() or platform.system()}"


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """Read a question set; a malformed file is a UsageError naming the problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [Question.model_validate(q) for q in data["questions"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as exc:
        raise UsageError(f"cannot read question set {path}: {exc}") from None


def score(questions: list[Question], store: KnowledgeStore, k: int = 5) -> RetrievalReport:
    """Ask every question of ``store``'s docs collection and compute recall@k and MRR."""
    results = []
    for question in questions:
        hits = search(question.q, k, store=store)
        rank = next((i for i, h in enumerate(hits, 1) if any(a.matches(h) for a in question.answers)), None)
        results.append(QuestionResult(q=question.q, rank=rank, top=hits[0].citation() if hits else ""))
    found = [r.rank for r in results if r.rank is not None]
    n = len(results)
    return RetrievalReport(
        k=k,
        questions=n,
        recall_at_k=len(found) / n,
        mrr=sum(1.0 / r for r in found) / n,
        chunks=0,
        ingest_s=0.0,
        results=results,
    )


def evaluate_retrieval(
    corpus: Path,
    questions: Path = QUESTIONS,
    k: int = 5,
    scale_chunks: int = 0,
    queries: int = 200,
    store_path: Path | None = None,
) -> tuple[RetrievalReport, ScaleReport | None]:
    """Ingest ``corpus``, score ``questions`` at ``k``, and (when ``scale_chunks`` > 0) grow the
    store to that many chunks with synthetic copies, time queries, and remove the copies again.

    ``store_path`` keeps the store between runs (a second run embeds nothing: ingest is
    idempotent); by default a temporary store is used and deleted.

    Raises:
        UsageError: the corpus is missing or the question set is malformed.
    """
    if not corpus.is_dir():
        raise UsageError(f"corpus {corpus} is not a directory; pass the folder of documents to ingest")
    asked = load_questions(questions)
    with tempfile.TemporaryDirectory(prefix="qimeng-kb-eval-") as tmp:
        store = open_store(path=store_path or Path(tmp))
        ingest = ingest_paths([corpus], store, source_root=corpus)
        report = score(asked, store, k)
        report.chunks = store.collection().count()
        report.ingest_s = ingest.seconds
        scale = benchmark_scale(store, ingest, asked, scale_chunks, queries) if scale_chunks > 0 else None
        return report, scale


def benchmark_scale(
    store: KnowledgeStore,
    ingest: IngestReport,
    asked: list[Question],
    chunks: int,
    queries: int,
    seed: int = 0,
) -> ScaleReport:
    """Grow the docs collection of ``store`` to ``chunks`` with jittered copies of its vectors, then
    time ``queries`` searches (query embedding included)."""
    rng = np.random.default_rng(seed)
    col = store.collection()
    real = col.get(include=["embeddings", "documents", "metadatas"])
    base = np.asarray(real["embeddings"], dtype=np.float32)
    docs = real["documents"] or []
    metas = real["metadatas"] or []
    need = max(0, chunks - len(real["ids"]))
    batch = min(store.client.get_max_batch_size(), 2000)
    stored = 0
    started = time.perf_counter()
    while stored < need:
        n = min(batch, need - stored)
        pick = rng.integers(0, len(base), n)
        vectors = base[pick] + rng.normal(0, 0.02, (n, base.shape[1])).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        col.add(
            ids=[f"synthetic-{stored + i}" for i in range(n)],
            embeddings=vectors,  # type: ignore[arg-type]
            documents=[docs[j] or "" for j in pick],
            metadatas=[{**dict(metas[j]), "kind": "synthetic"} for j in pick],
        )
        stored += n
    store_s = time.perf_counter() - started
    try:
        return _time_queries(store, ingest, asked, queries, stored, store_s)
    finally:
        col.delete(where={"kind": "synthetic"})


def _time_queries(
    store: KnowledgeStore,
    ingest: IngestReport,
    asked: list[Question],
    queries: int,
    stored: int,
    store_s: float,
) -> ScaleReport:
    col = store.collection()
    texts = [q.q for q in asked]
    embed(texts[:2])  # warm-up
    latencies = []
    for i in range(queries):
        t0 = time.perf_counter()
        search(texts[i % len(texts)], 5, store=store)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    embed_ms = []
    for text in texts:
        t0 = time.perf_counter()
        embed([text])
        embed_ms.append((time.perf_counter() - t0) * 1000)
    return ScaleReport(
        embed_p50_ms=statistics.median(embed_ms),
        chunks=col.count(),
        embed_chunks_per_s=ingest.chunks_per_s if ingest.chunks_added else None,
        store_chunks_per_s=stored / store_s if store_s > 0 else 0.0,
        query_p50_ms=statistics.median(latencies),
        query_p95_ms=latencies[int(0.95 * (len(latencies) - 1))],
        queries=queries,
        machine=machine(),
    )


def print_tables(quality: RetrievalReport, scale: ScaleReport | None) -> None:
    """Print the quality and speed tables with rich."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Retrieval quality ({quality.questions} questions, {quality.chunks} chunks)")
    for col in ("recall@" + str(quality.k), "MRR", "ingest s"):
        table.add_column(col, justify="right")
    table.add_row(f"{quality.recall_at_k:.3f}", f"{quality.mrr:.3f}", f"{quality.ingest_s:.1f}")
    console.print(table)
    for r in quality.results:
        if r.rank is None:
            console.print(f"  [yellow]miss[/]: {r.q}  (top: {r.top})")
    if scale is not None:
        speed = Table(title=f"Speed at {scale.chunks} chunks on {scale.machine}")
        heads = (
            "embed+store chunks/s",
            "store chunks/s",
            "query p50 ms",
            "query p95 ms",
            "of which embed p50 ms",
        )
        for col in (*heads, "queries"):
            speed.add_column(col, justify="right")
        speed.add_row(
            "-" if scale.embed_chunks_per_s is None else f"{scale.embed_chunks_per_s:.1f}",
            f"{scale.store_chunks_per_s:.0f}",
            f"{scale.query_p50_ms:.1f}",
            f"{scale.query_p95_ms:.1f}",
            f"{scale.embed_p50_ms:.1f}",
            str(scale.queries),
        )
        console.print(speed)


def main(
    corpus: Path, k: int = 5, scale_chunks: int = 10_000, store_path: Path | None = None
) -> tuple[RetrievalReport, ScaleReport | None]:
    """Run the quality eval and (when ``scale_chunks`` > 0) the scale benchmark; print tables.

    This is what ``qimeng eval retrieval`` calls."""
    quality, scale = evaluate_retrieval(corpus, k=k, scale_chunks=scale_chunks, store_path=store_path)
    print_tables(quality, scale)
    return quality, scale


if __name__ == "__main__":
    import sys

    main(
        Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/corpus"),
        store_path=Path(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
