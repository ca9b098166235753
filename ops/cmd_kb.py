"""``qimeng kb``: ingest documents, search them, show what is stored, serve the store to workers."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ops.exits import QimengGroup
from tools.errors import QimengError, UsageError
from tools.settings import get_settings

if TYPE_CHECKING:
    from knowledge.hit import Hit
    from knowledge.ingest import FileOutcome, IngestReport

app = typer.Typer(
    cls=QimengGroup, help="The knowledge base: chip documents and verified designs, searchable by meaning."
)
console = Console()
err = Console(stderr=True)

CollectionOpt = Annotated[
    str | None,
    typer.Option("--collection", "-c", help="Collection to use (default: the documents' collection)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (searched recursively).")],
    collection: CollectionOpt = None,
    kind: Annotated[
        str, typer.Option(help="Label stored with every chunk, usable as a search filter.")
    ] = "doc",
    root: Annotated[Path | None, typer.Option(help="Cite sources relative to this folder.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest Markdown, AsciiDoc, text, HTML and PDF files; unchanged files are left alone.

    Examples:

      qimeng kb ingest docs/

      qimeng kb ingest spec.pdf notes.md --kind datasheet --collection vendor
    """
    from knowledge.ingest import ingest_paths
    from knowledge.store import DOCS_COLLECTION, open_store

    store = open_store()
    with Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
    ) as bar:
        task = bar.add_task("", total=None)

        def started(total: int) -> None:
            bar.update(task, total=total)

        def done(path: Path, outcome: FileOutcome) -> None:
            bar.update(task, advance=1, description=path.name[-40:])

        report = ingest_paths(
            paths,
            store,
            collection=collection or DOCS_COLLECTION,
            kind=kind,
            source_root=root,
            on_start=started,
            on_file=done,
        )
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        _summary(report)
    if report.count("failed"):
        raise typer.Exit(1)


def _summary(report: IngestReport) -> None:
    for f in report.files:
        if f.status in ("skipped", "failed"):
            console.print(f"[yellow]{f.status}[/] {f.path}: {f.reason}")
    counts = ", ".join(
        f"{report.count(s)} {s}" for s in ("added", "updated", "unchanged", "skipped", "failed")
    )
    console.print(
        f"{len(report.files)} files ({counts}); {report.chunks_added} chunks added, "
        f"{report.chunks_removed} removed in {report.seconds:.1f}s "
        f"({report.chunks_per_s:.1f} chunks/s) into collection '{report.collection}'"
    )


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="A question or keywords.")],
    k: Annotated[int, typer.Option("-k", help="How many passages (1-100).")] = 5,
    collection: CollectionOpt = None,
    source: Annotated[str | None, typer.Option(help="Only this source document.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only chunks with this ingest label.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Find the passages closest in meaning to QUERY, each with its source and section.

    Examples:

      qimeng kb search "how does vsetvli set vl" -k 3

      qimeng kb search "mstatus MPP" --source priv/machine.adoc --json
    """
    url = get_settings().kb_search_url
    if url:
        hits = _ask_service(url, query, k, collection=collection, source=source, kind=kind)
    else:
        from knowledge.retrieval import search
        from knowledge.store import DOCS_COLLECTION, open_store

        hits = search(
            query, k, store=open_store(), collection=collection or DOCS_COLLECTION, source=source, kind=kind
        )
    if as_json:
        print(json.dumps([h.model_dump() for h in hits], indent=2))
        return
    if not hits:
        console.print("no matching passages")
    for rank, hit in enumerate(hits, 1):
        console.print(f"[bold]{rank}.[/] [cyan]{hit.citation()}[/]  score {hit.score:.3f}")
        text = " ".join(hit.text.split())
        console.print(f"   {text[:300]}{'...' if len(text) > 300 else ''}", markup=False, highlight=False)


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Show each collection: chunks, distinct sources and its embedding model.

    Example:

      qimeng kb stats --json
    """
    from knowledge.store import open_store

    store = open_store()
    rows = []
    for name in store.collection_names():
        raw = store.client.get_collection(name)
        metas = raw.get(include=["metadatas"])["metadatas"] or []
        sources = {m.get("source") for m in metas if m.get("source")}
        meta = raw.metadata or {}
        rows.append(
            {
                "collection": name,
                "chunks": raw.count(),
                "sources": len(sources),
                "embedding_model": meta.get("embedding_model", "unknown"),
            }
        )
    if as_json:
        print(json.dumps({"store": store.location, "collections": rows}, indent=2))
        return
    table = Table(title=f"Knowledge base: {store.location}")
    for col in ("collection", "chunks", "sources", "embedding_model"):
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("collection", "chunks", "sources", "embedding_model")))
    console.print(table)


def _ask_service(url: str, query: str, k: int, **filters: str | None) -> list[Hit]:
    """The hits of a running search service (``kb serve``); its errors come back as ours."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from knowledge.hit import Hit

    params = urllib.parse.urlencode({"q": query, "k": k, **{n: v for n, v in filters.items() if v}})
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/search?{params}", timeout=60) as answer:
            return [Hit.model_validate(h) for h in json.loads(answer.read())]
    except urllib.error.HTTPError as exc:
        message = json.loads(exc.read() or b"{}").get("error", exc.reason)
        raise (UsageError if exc.code == 400 else QimengError)(message) from None
    except (urllib.error.URLError, OSError) as exc:
        raise QimengError(
            f"the search service at {url} (kb_search_url) does not answer: {exc}; start it with "
            "'qimeng kb serve' or unset QIMENG_KB_SEARCH_URL"
        ) from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    path: Annotated[
        Path | None, typer.Option(help="Store directory (default: settings.chroma_path).")
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to bind; loopback unless workers are remote.")
    ] = "127.0.0.1",
    search_port: Annotated[
        int,
        typer.Option(
            "--search-port", help="Port of the search service for 'kb search' (kb_search_url); 0: none."
        ),
    ] = 8001,
) -> None:
    """Run a Chroma server over the store until Ctrl-C; workers set QIMENG_CHROMA_HOST/PORT to use it.

    Example:

      qimeng kb serve --port 8000 --path runs/chroma

    It also serves searches on --search-port from a process that keeps the embedding model loaded:
    with QIMENG_KB_SEARCH_URL=http://127.0.0.1:8001 each 'qimeng kb search' is a request to it.
    """
    if not 0 < port < 65536:
        raise UsageError(f"port must be between 1 and 65535, got {port}")
    if not 0 <= search_port < 65536 or search_port == port:
        raise UsageError(f"--search-port must be 0 (none) or a port other than {port}, got {search_port}")
    settings = get_settings()
    directory = path or settings.chroma_path or settings.run_dir / "chroma"
    from knowledge.server import ChromaServer

    server = ChromaServer(directory, port=port, host=host)
    server.start()
    console.print(f"chroma serving {directory} on http://{host}:{port} (Ctrl-C stops it)")
    service = None
    if search_port:
        from knowledge.search_service import SearchService
        from knowledge.store import open_store

        near = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # the server above owns the directory
        service = SearchService(open_store(host=near, port=port), host=host, port=search_port)
        service.start()
        console.print(
            f"search service on {service.url}; 'qimeng kb search' uses it with QIMENG_KB_SEARCH_URL={service.url}"
        )
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated command must not leave its server behind
    try:
        assert server.process is not None
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if service is not None:
            service.stop()
        server.stop()
