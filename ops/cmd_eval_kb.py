"""``qimeng eval retrieval``: retrieval quality on a question set and speed at scale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ops.exits import QimengGroup

app = typer.Typer(cls=QimengGroup, help="Knowledge-base benchmarks.")


@app.callback()
def _group() -> None:
    """Knowledge-base benchmarks."""


@app.command("retrieval")
def retrieval(
    corpus: Annotated[Path, typer.Option("--corpus", help="Folder of documents the question set is about.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Hits per question.")] = 5,
    scale_chunks: Annotated[
        int,
        typer.Option("--scale-chunks", min=0, help="Collection size for the latency benchmark (0: skip)."),
    ] = 10_000,
    store: Annotated[
        Path | None, typer.Option("--store", help="Keep the store here between runs (re-runs embed nothing).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Ingest CORPUS, ask the built-in question set (each question knows its answer's section), and
    report recall@k and MRR; then pad the collection to --scale-chunks and time ingest and queries.

    The question set (evals/data/retrieval_questions.yaml) is about two documents; put both in one
    folder: 'git clone https://github.com/riscv/riscv-isa-manual corpus/riscv-isa-manual' (commit
    1d472b8) and 'git clone https://github.com/riscv-non-isa/rvv-intrinsic-doc corpus/rvv-intrinsic-doc'
    (commit 2c6b341). Then:

      qimeng eval retrieval --corpus corpus --scale-chunks 10000
    """
    from evals.retrieval import evaluate_retrieval, print_tables
    from tools.errors import UsageError

    if not corpus.is_dir():
        raise UsageError(f"--corpus {corpus} is not a folder")
    quality, scale = evaluate_retrieval(corpus, k=k, scale_chunks=scale_chunks, store_path=store)
    if json_out:
        out = {
            "quality": quality.model_dump(mode="json"),
            "scale": scale.model_dump(mode="json") if scale else None,
        }
        print(json.dumps(out, indent=2))
    else:
        print_tables(quality, scale)
