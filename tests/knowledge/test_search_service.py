"""'qimeng kb search' through a running search service (``kb serve``): the same hits as an in-process
search, without loading ChromaDB or PyTorch in the command; the service's errors come back as ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.ingest import ingest_paths
from knowledge.retrieval import search
from knowledge.search_service import SearchService
from knowledge.server import free_port
from knowledge.store import open_store

ROOT = Path(__file__).resolve().parents[2]
DOC = "# UART\n\n## Baud rate\nThe divisor latch sets the baud rate.\n\n## FIFO\nSixteen byte receive FIFO.\n"
PROBE = """
import json, sys
from ops.cli import main
code = main(sys.argv[1:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & {"chromadb", "torch", "sentence_transformers"})
print("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SearchService]:
    (tmp_path / "uart.md").write_text(DOC)
    store = open_store(path=tmp_path / "kb")
    ingest_paths([tmp_path / "uart.md"], store, source_root=tmp_path)
    running = SearchService(store)
    running.start()
    yield running
    running.stop()


def _cli(url: str, *args: str) -> tuple[dict[str, object], str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIMENG_KB")}
    env["QIMENG_KB_SEARCH_URL"] = url
    res = subprocess.run(
        [sys.executable, "-c", PROBE, "kb", "search", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out, _, probe = res.stdout.rpartition("\nPROBE ")
    return json.loads(probe), out, res.stderr


def test_search_through_the_service_matches_in_process(service: SearchService) -> None:
    probe, out, err = _cli(service.url, "how is the baud rate set", "-k", "2", "--json")
    assert probe == {"code": 0, "heavy": []}, err
    hits = json.loads(out)
    expected = search("how is the baud rate set", 2, store=service.store)
    assert [h["id"] for h in hits] == [h.id for h in expected]
    assert hits[0]["section"] == "UART > Baud rate"


def test_service_errors_are_one_line(service: SearchService) -> None:
    probe, _, err = _cli(service.url, "   ")
    assert probe["code"] == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    probe, _, err = _cli(f"http://127.0.0.1:{free_port()}", "baud")
    assert probe["code"] == 1 and "does not answer" in err and "qimeng kb serve" in err
