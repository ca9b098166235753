"""Approvals as refinements: free text at an approval re-plans the request and asks again."""

from __future__ import annotations

from pathlib import Path

from graphs.session import Session


def test_free_text_at_an_approval_replans_and_asks_again(tmp_path: Path) -> None:
    s = Session(tmp_path)
    list(s.start("8-bit up counter with synchronous reset", offline=True, approve=True))
    first = s.pending()
    assert first is not None and first["kind"] == "approval"
    assert first["tasks"] == ["hw-1 (hw): 8-bit up counter with synchronous reset"]
    list(s.resume("add an enable input"))
    again = s.pending()
    assert again is not None and again["kind"] == "approval", "a refinement is asked again, not run"
    assert again["tasks"] == ["hw-1 (hw): 8-bit up counter with synchronous reset\nadd an enable input"]
    assert not s.values().get("hw_results"), "no tool work before the refined plan is approved"
    list(s.resume("yes"))
    report = s.result()
    assert report is not None and report["status"] == "done", report.get("stop_reason")
    design = s.values()["hw_results"][0].design
    assert design.status == "verified" and design.params.get("enable") is True


def test_no_at_an_approval_still_declines(tmp_path: Path) -> None:
    s = Session(tmp_path)
    list(s.start("8-bit up counter with synchronous reset", offline=True, approve=True))
    list(s.resume("n"))
    report = s.result()
    assert report is not None and report["status"] == "failed"
    assert report["stop_reason"] == "the user declined the plan"
