"""The agents consult the knowledge base, cite what they retrieved, and remember verified designs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.hw.nodes import Roles
from graphs.hw import design_block
from knowledge.ingest import ingest_paths
from knowledge.store import open_store
from tools.settings import get_settings

DOC = """# Counters

## Up counter with synchronous reset

An up counter increments on every rising clock edge while enable is high. A synchronous reset
clears it to zero on the clock edge; the count wraps from all ones to zero.
"""


@pytest.fixture
def knowledge_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("QIMENG_USE_KNOWLEDGE", "1")
    monkeypatch.setenv("QIMENG_CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))
    get_settings.cache_clear()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "counters.md").write_text(DOC)
    ingest_paths([docs], open_store(), source_root=docs)
    yield tmp_path
    get_settings.cache_clear()


def test_design_cites_retrieved_documents_and_is_remembered(knowledge_on: Path) -> None:
    request = "an 8-bit up counter with synchronous active-high reset and enable"
    first = design_block(request, roles=Roles())
    assert first.status == "verified"
    evidence = json.loads((Path(first.run_dir) / "evidence.json").read_text())
    cited = {s["source"] for s in evidence["sources"]}
    assert "counters.md" in cited
    assert "remembered as" in first.log[-1]

    second = design_block(request, roles=Roles())
    evidence = json.loads((Path(second.run_dir) / "evidence.json").read_text())
    assert any(s["source"].startswith("design-memory:") for s in evidence["sources"])


def test_knowledge_off_consults_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_USE_KNOWLEDGE", "0")
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))
    get_settings.cache_clear()
    try:
        design = design_block("a 4-bit popcount", roles=Roles())
    finally:
        get_settings.cache_clear()
    evidence = json.loads((Path(design.run_dir) / "evidence.json").read_text())
    assert evidence["sources"] == []
    assert "design memory off" in design.log[-1]
