"""The ``kb`` commands: ingest with a summary, search with citations, stats, and clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowledge.server import free_port
from ops.cmd_kb import app
from tools.settings import get_settings

runner = CliRunner()
DOC = "# UART\n\n## Baud rate\nThe divisor latch sets the baud rate.\n\n## FIFO\nSixteen byte receive FIFO.\n"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("QIMENG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("QIMENG_CHROMA_PATH", str(tmp_path / "kb"))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_ingest_search_and_stats(tmp_path: Path) -> None:
    (tmp_path / "uart.md").write_text(DOC)
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01")
    result = runner.invoke(app, ["ingest", "uart.md", "junk.bin"])
    assert result.exit_code == 0, result.output
    assert "skipped junk.bin: unknown format '.bin'" in result.output
    assert "2 files (1 added, 0 updated, 0 unchanged, 1 skipped, 0 failed); 2 chunks added" in result.output

    again = runner.invoke(app, ["ingest", "uart.md", "--json"])
    assert json.loads(again.stdout)["files"][0]["status"] == "unchanged"

    found = runner.invoke(app, ["search", "how is the baud rate set", "-k", "1", "--json"])
    hits = json.loads(found.stdout)
    assert [(h["source"], h["section"]) for h in hits] == [("uart.md", "UART > Baud rate")]
    shown = runner.invoke(app, ["search", "receive buffer depth", "-k", "1"])
    assert "uart.md § UART > FIFO" in shown.output

    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["collections"] == [
        {
            "collection": "docs",
            "chunks": 2,
            "sources": 1,
            "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
        }
    ]


def test_usage_errors_exit_2_with_the_reason(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["ingest", "nope.md"])
    assert missing.exit_code == 2
    assert "nope.md does not exist" in missing.output
    (tmp_path / "uart.md").write_text(DOC)
    runner.invoke(app, ["ingest", "uart.md"])
    bad_k = runner.invoke(app, ["search", "baud", "-k", "1000"])
    assert bad_k.exit_code == 2 and "k must be between 1 and 100, got 1000" in bad_k.output


def test_server_down_is_reported_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("QIMENG_CHROMA_PORT", str(free_port()))
    get_settings.cache_clear()
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 1
    assert "cannot reach the Chroma server" in result.output and "Traceback" not in result.output
