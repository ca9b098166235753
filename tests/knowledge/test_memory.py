"""Verified designs are remembered and recalled by spec similarity; unverified work is refused."""

from __future__ import annotations

import pytest

from knowledge.memory import recall_designs, remember_design
from knowledge.store import KnowledgeStore
from tools.errors import UsageError
from tools.evidence import Check, Evidence

PASSED = Evidence(checks=[Check(name="diffsim", tool="iverilog 11.0", status="pass", seeds=[7])])
ADDER = "module add8(input [7:0] a, b, output [8:0] s); assign s = a + b; endmodule"
FIFO = "module fifo #(parameter D=16)(input clk, rst, push, pop, ...); endmodule"
SAXPY = "void saxpy(size_t n, float a, const float *x, float *y) { /* rvv */ }"


def test_recall_returns_the_most_similar_verified_design(store: KnowledgeStore) -> None:
    adder = remember_design(
        "rtl", "8-bit unsigned adder with carry out", ADDER, PASSED, {"cells": 24}, store=store
    )
    remember_design(
        "rtl", "synchronous FIFO, 16 entries deep, with full and empty flags", FIFO, PASSED, store=store
    )
    remember_design(
        "kernel-riscv64",
        "saxpy y = a*x + y in single precision",
        SAXPY,
        PASSED.model_dump_json(),
        {"speedup": 3.5},
        store=store,
    )
    best = recall_designs("an adder for two 8 bit numbers", "rtl", 2, store=store)
    assert best[0].id == adder
    assert best[0].code == ADDER and best[0].metrics == {"cells": 24}
    assert best[0].evidence.verified and best[0].evidence.checks[0].seeds == [7]
    assert {d.kind for d in best} == {"rtl"}
    kernels = recall_designs("vector multiply-add kernel", "kernel-riscv64", 5, store=store)
    assert [d.spec for d in kernels] == ["saxpy y = a*x + y in single precision"]


def test_remembering_twice_keeps_one_record(store: KnowledgeStore) -> None:
    first = remember_design("rtl", "8-bit adder", ADDER, PASSED, store=store)
    second = remember_design("rtl", "8-bit adder", ADDER, PASSED, store=store)
    assert first == second
    assert len(recall_designs("adder", k=10, store=store)) == 1


def test_empty_memory_recalls_nothing(store: KnowledgeStore) -> None:
    assert recall_designs("anything", store=store) == []


def test_unverified_or_malformed_designs_are_refused(store: KnowledgeStore) -> None:
    failing = Evidence(checks=[Check(name="lint", tool="verilator 5.006", status="fail")])
    with pytest.raises(UsageError, match=r"refusing to remember an unverified design \(lint=fail\)"):
        remember_design("rtl", "adder", ADDER, failing, store=store)
    with pytest.raises(UsageError, match=r"\(no checks ran\)"):
        remember_design("rtl", "adder", ADDER, Evidence(), store=store)
    with pytest.raises(UsageError, match="evidence is not a valid Evidence record"):
        remember_design("rtl", "adder", ADDER, '{"checks": 3}', store=store)
    with pytest.raises(UsageError, match="bad design kind 'RTL Design'"):
        remember_design("RTL Design", "adder", ADDER, PASSED, store=store)
    with pytest.raises(UsageError, match="non-empty spec and non-empty code"):
        remember_design("rtl", " ", ADDER, PASSED, store=store)
    with pytest.raises(UsageError, match="metrics must be numbers, strings or booleans; bad keys: area"):
        remember_design("rtl", "adder", ADDER, PASSED, {"area": [1, 2]}, store=store)  # type: ignore[dict-item]
    assert recall_designs("adder", store=store) == []
