"""On a cluster node the agents never open an embedded knowledge store (several workers would)."""

from __future__ import annotations

import pytest

from agents.knowledge_use import ON_A_NODE, consult, remember
from tools.evidence import Check, Evidence
from tools.tracing import on_node


def test_a_cluster_node_without_a_chroma_server_skips_the_knowledge_base(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QIMENG_USE_KNOWLEDGE", "1")
    monkeypatch.delenv("QIMENG_CHROMA_HOST", raising=False)
    verified = Evidence(checks=[Check(name="lint", tool="t", status="pass")])
    with on_node("3f9a0c1d"):  # what a Ray worker's call runs under
        assert consult("8-bit counter", "rtl").note == ON_A_NODE
        assert (
            remember("rtl", "8-bit counter", "module m; endmodule", verified, {})
            == f"not remembered: {ON_A_NODE}"
        )
    with on_node("local"):  # an in-process call: the store is this process's own
        assert consult("8-bit counter", "rtl").note != ON_A_NODE
