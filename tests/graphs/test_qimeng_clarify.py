"""``qimeng design`` offline: a behaviour-deciding parameter the request leaves out becomes a
clarification question (the interrupt), and the answer is added to the request."""

from __future__ import annotations

from pathlib import Path

from graphs.session import Session


def test_a_detector_without_a_pattern_asks_for_it_and_uses_the_answer(tmp_path: Path) -> None:
    s = Session(tmp_path)
    list(s.start("a Moore sequence detector, overlapping, with synchronous active-high reset", offline=True))
    pending = s.pending()
    assert pending is not None and pending["kind"] == "clarify"
    assert "To build the seq_detector I need: pattern" in pending["question"]
    list(s.resume("the pattern is 1,1,0"))
    values = s.values()
    assert values["status"] == "done" and values["kind"] == "hw"
    assert values["request"].endswith("the pattern is 1,1,0")
    (hw,) = values["hw_results"]
    interpretation = hw.design.evidence.interpretation
    assert interpretation is not None
    pattern = next(r for r in interpretation.readings if r.name == "pattern")
    assert (pattern.value, pattern.source) == ("110", "text")
