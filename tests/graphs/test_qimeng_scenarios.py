"""The offline scenarios through the top-level graph with the real agents and tools: a compound
request served by both agents in one round, a refused part named in the report, the popcount unit
whose width the critic re-plans, and one kernel compared across targets (its riscv64 source then
re-checked at the other vector lengths)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphs.session import Session


def _run(root: Path, request: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    s = Session(root)
    events = [c for m, c in s.start(request, offline=True) if m == "custom"]
    report = s.result()
    s.close()
    assert report is not None
    return report, events  # type: ignore[return-value]


def test_compound_request_runs_both_agents_in_one_round(tmp_path: Path) -> None:
    report, events = _run(
        tmp_path,
        "a 4-bit up counter with synchronous reset and enable, and a softmax kernel rows=4 cols=64 for riscv64",
    )
    assert report["status"] == "done" and report["kind"] == "compound" and report["rounds"] == 1
    assert [(p["scenario"], p["status"]) for p in report["parts"]] == [("block", "done"), ("kernel", "done")]
    started = [e["task"] for e in events if e["event"] == "start"]
    first_done = next(i for i, e in enumerate(events) if e["event"] == "done")
    assert {"p1-hw-1", "p2-sw-1"} <= {e["task"] for e in events[:first_done] if e["event"] == "start"}, (
        started
    )
    # every result comes with the evidence of its final artifact
    for r in report["results"]:
        assert r["status"] == "verified" and r["design"]["evidence"]["checks"]
    md = Path(report["report"]).read_text()
    assert "| p1 | a 4-bit up counter with synchronous reset and enable | block | done |" in md


def test_a_part_no_agent_serves_is_refused_in_the_report(tmp_path: Path) -> None:
    report, _ = _run(tmp_path, "a 4-bit up counter with synchronous reset and enable; frobnicate the wibble")
    assert report["status"] == "failed"
    done, refused = report["parts"]
    assert done["status"] == "done" and refused["status"] == "refused"
    assert (
        refused["text"] == "frobnicate the wibble" and "no generator in the offline library" in refused["why"]
    )
    assert "Refused: as hardware:" in Path(report["report"]).read_text()


def test_popcount_unit_width_is_replanned_until_it_pays_for_itself(tmp_path: Path) -> None:
    report, _ = _run(
        tmp_path, "a 16-bit popcount unit that a popcount kernel offloads to, at least 2x faster, 16 words"
    )
    assert report["status"] == "done" and report["rounds"] == 2
    rows = {r["width"]: r for r in report["rows"]}
    assert sorted(rows) == [16, 32]
    assert rows[16]["pays"] is False and rows[16]["speedup"] < 2
    assert rows[32]["pays"] is True and rows[32]["speedup"] >= 2
    assert report["chosen"] == "32-bit popcount unit"
    assert any(
        r.startswith("16-bit unit does not pay for itself: 1.08x < goal 2.0x") for r in report["reasons"]
    )
    check = next(r for r in report["reasons"] if r.startswith("prediction check: 32-bit unit"))
    assert check.startswith("prediction check: 32-bit unit predicted 3.25x, measured 3.25x")
    assert "predicted about" in check and f"measured {rows[32]['cells']} (" in check
    assert "cycle model: one cycle per ALU operation" in Path(report["report"]).read_text()


def test_one_kernel_across_targets_is_compared_and_explained(tmp_path: Path) -> None:
    report, _ = _run(tmp_path, "sum n=4096 on x86_64 and riscv64")
    assert report["status"] == "done"
    rows = {r["target"]: r for r in report["targets"]}
    assert set(rows) == {"x86_64", "riscv64", "riscv64 VLEN=128", "riscv64 VLEN=512", "riscv64 VLEN=1024"}
    assert all(rows[f"riscv64 VLEN={v}"]["status"] == "verified" for v in (128, 512, 1024))
    assert any(
        r.startswith("riscv64: the kernel is vector-length agnostic: verified at VLEN 128, 512, 1024")
        for r in report["reasons"]
    )
    assert rows["x86_64"]["how"] == "measured" and "roofline" in rows["x86_64"]["limit"]
    assert rows["riscv64"]["how"] == "emulated" and rows["riscv64"]["gflops"] == "-"
    assert report["reasons"][0].startswith("fastest measured: x86_64 at")


def test_a_clarification_goes_to_the_part_that_asked(tmp_path: Path) -> None:
    s = Session(tmp_path)
    detector = "a Moore sequence detector, overlapping, with synchronous active-high reset"
    list(s.start(f"{detector}; a softmax kernel rows=4 cols=64 for riscv64", offline=True))
    pending = s.pending()
    assert pending is not None and "To build the seq_detector I need: pattern" in pending["question"]
    list(s.resume("the pattern is 1,1,0"))
    values = s.values()
    s.close()
    assert [p.text for p in values["parts"]] == [
        f"{detector} the pattern is 1,1,0",
        "a softmax kernel rows=4 cols=64 for riscv64",
    ]
    assert values["status"] == "done"
