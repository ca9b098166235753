"""The top-level QiMeng graph, offline: routing, interrupts, sessions, and the co-design loop."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from agents.top import Budget, Unclear, classify
from graphs.session import Session, SessionError, run_codesign_demo
from tools.errors import UsageError

CODESIGN = "dot-product accelerator with lanes 2,4 under a budget of 2000 cells and the GEMM kernel 2x6x2 that uses it"


def test_classify_routes_requests_and_rejects_bad_ones() -> None:
    assert classify("8-bit counter with sync reset").kind == "hw"
    sw = classify("softmax kernel for riscv64")
    assert (sw.kind, sw.target) == ("sw", "riscv64")
    cd = classify(CODESIGN)
    assert cd.kind == "codesign" and cd.details["lanes"] == [2, 4] and cd.details["area_budget"] == 2000
    with pytest.raises(Unclear, match="the request is empty"):
        classify("   ")
    with pytest.raises(Unclear, match="could not tell what to build from 'frobnicate the wibble'"):
        classify("frobnicate the wibble")
    with pytest.raises(
        UsageError, match="unsupported target 'mips'; known targets: aarch64, cuda, riscv64, x86_64"
    ):
        classify("softmax kernel for mips")


def test_hw_only_request_goes_to_the_hardware_agent_only(tmp_path: Path) -> None:
    s = Session(tmp_path)
    events = [c for m, c in s.start("8-bit counter with sync reset", offline=True) if m == "custom"]
    agents = {e["agent"] for e in events}  # type: ignore[index]
    assert "hardware" in agents and "software" not in agents
    report = s.result()
    assert report is not None and report["status"] == "done"
    assert [r["task"] for r in report["results"]] == ["hw-1"] and report["results"][0]["design"]["cells"] > 0
    assert "hardware" in report["cost"] and (tmp_path / s.thread_id / "report.md").is_file()


def test_sw_only_request_goes_to_the_software_agent_only(tmp_path: Path) -> None:
    s = Session(tmp_path)
    events = [c for m, c in s.start("softmax kernel for riscv64", offline=True) if m == "custom"]
    assert {e["agent"] for e in events} >= {"software"}  # type: ignore[index]
    assert "hardware" not in {e["agent"] for e in events}  # type: ignore[index]
    values = s.values()
    assert values["status"] == "done" and not values.get("hw_results")
    kernel = values["sw_results"][0].design
    assert kernel.target == "riscv64" and kernel.status == "verified"
    assert (Path(kernel.run_dir) / "evidence.json").is_file()  # the software agent writes its run


def test_approval_interrupt_pauses_and_a_no_stops_honestly(tmp_path: Path) -> None:
    s = Session(tmp_path)
    list(s.start("8-bit counter with sync reset", offline=True, approve=True))
    pending = s.pending()
    assert pending is not None and pending["kind"] == "approval"
    assert pending["tasks"] == ["hw-1 (hw): 8-bit counter with sync reset"]
    assert not s.values().get("hw_results"), "no tool work before approval"
    list(s.resume("no"))
    report = s.result()
    assert report is not None and report["status"] == "failed"
    assert report["stop_reason"] == "the user declined the plan"


def test_clarification_interrupt_takes_the_answer_as_the_request(tmp_path: Path) -> None:
    s = Session(tmp_path)
    list(s.start("", offline=True))
    pending = s.pending()
    assert pending is not None and pending["kind"] == "clarify" and "empty" in pending["question"]
    with pytest.raises(SessionError, match="is waiting for an answer"):
        list(s.resume())
    list(s.resume("8-bit counter with sync reset"))
    assert s.values()["status"] == "done" and s.values()["kind"] == "hw"


def test_session_database_from_another_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE qimeng_meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO qimeng_meta VALUES ('schema', 'qimeng-sessions-0')")
    conn.commit()
    conn.close()
    with pytest.raises(SessionError, match="holds sessions of schema 'qimeng-sessions-0', this qimeng reads"):
        Session(tmp_path)
    db.write_bytes(b"not a database at all, just text" * 100)
    with pytest.raises(SessionError, match="is not a usable session database"):
        Session(tmp_path)


@pytest.fixture(scope="module")
def codesign_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("codesign")


def test_codesign_loop_replans_from_kernel_feedback_and_reports(codesign_root: Path) -> None:
    report = run_codesign_demo(codesign_root, CODESIGN)
    rows = {r["lanes"]: r for r in report["rows"]}
    # round 1 tries 2 and 4 lanes; 3 lanes is predicted to fit and to take 4's cycles at less depth.
    assert sorted(rows) == [2, 3, 4]
    assert report["chosen"] == 3 and report["rounds"] == 2
    assert rows[4]["utilization"] == pytest.approx(0.75) and rows[3]["utilization"] == 1.0
    assert rows[3]["cycles"] == 2 * 2 * 2 and rows[2]["cycles"] == 2 * 2 * 3
    assert report["reasons"][0].startswith("chose 3 lanes: fastest measured within budget")
    assert report["stop_reason"].startswith(
        "converged: no untried lane count predicted to fit can beat 3 lanes"
    )
    md = Path(report["report"]).read_text()
    assert "| 3 **(chosen)** |" in md and "asks for: lane counts that divide K=6" in md
    assert Path(report["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_budget_ends_the_loop_with_an_honest_report_and_cache_skips_done_work(codesign_root: Path) -> None:
    s = Session(codesign_root)
    list(s.start(CODESIGN, offline=True, budget=Budget(max_rounds=1)))
    report = s.result()
    assert report is not None and report["rounds"] == 1 and report["chosen"] == 4
    assert "stopped with candidates left untried ([3])" in report["stop_reason"]
    assert "round budget of 1 used" in report["stop_reason"]
    # every tool result of round 1 was computed by the earlier thread: all four come from the cache
    assert report["cost"]["hardware"]["cached"] == 2 and report["cost"]["software"]["cached"] == 2
