"""Waveforms around the first mismatch: the differential checker keeps the samples around it
(reference and candidate side by side), the CLI writes them as VCD and PNG and prints where, and
the LLM designer's repair prompt gets the same window as text."""

from __future__ import annotations

import re
from pathlib import Path

from fakes.llm_server import ScriptedLLMServer
from typer.testing import CliRunner

from agents.llm import LLMClient
from agents.roles import build_roles
from graphs.hw import design_block
from ops.cmd_hw import app
from tools.hdl import PythonRef, VerilogRef, diff_check, waves

HDL = Path(__file__).parents[1] / "fixtures" / "hdl"
runner = CliRunner()


def test_a_mismatch_carries_a_window_with_reference_and_candidate(tmp_path: Path) -> None:
    report = diff_check(
        (HDL / "counter_wrong_reset.v").read_text(), VerilogRef(source=(HDL / "counter.v").read_text())
    )
    assert report.verdict == "fail" and report.window is not None
    win = report.window
    first = win.rows[win.first - win.start]
    # the reference counter resets to 0, the wrong one to 1: exactly what the checker reported
    assert (first["ref:q"], first["cand:q"]) == ("0000", "0001")
    assert win.where == report.mismatches[0].where
    assert [s.name for s in win.inputs] == ["reset", "en"] and win.clock == "clk"
    text = waves.to_text(win)
    assert "0000/0001  <- differs" in text and text in report.feedback()
    # the check's evidence carries the window, so a page or a later command can draw it
    assert waves.window_of(report.to_check().details) == win
    vcd, png = waves.write(win, tmp_path)
    body = vcd.read_text()
    for scope in ("in", "ref", "cand", "mismatch"):
        assert f"$scope module {scope} $end" in body
    # the candidate's q becomes 0001 at the first mismatch's sample time (t+4) while ref stays 0000
    assert re.search(rf"#{win.first * 10 + 4}\n(.*\n)*?b0001 ", body)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_a_matching_design_has_no_window() -> None:
    good = (HDL / "counter.v").read_text()
    report = diff_check(good, PythonRef(source=(HDL / "counter_model.py").read_text()))
    assert report.verdict == "pass" and report.window is None
    assert "Waveform" not in report.feedback() and "window" not in report.to_check().details


def test_python_reference_does_not_flag_unreset_x() -> None:
    report = diff_check(
        (HDL / "counter_wrong_reset.v").read_text(),
        PythonRef(source=(HDL / "counter_model.py").read_text()),
    )
    assert report.window is not None
    lines = waves.to_text(report.window).splitlines()
    before_reset = next(ln for ln in lines if ln.startswith("0 |"))
    assert "xxxx" in before_reset and "differs" not in before_reset  # not compared there
    assert any("0000/0001  <- differs" in ln for ln in lines)


def test_hw_check_prints_where_the_waveform_is() -> None:
    res = runner.invoke(
        app,
        ["check", str(HDL / "counter_wrong_reset.v"), "--ref", str(HDL / "counter.v")],
    )
    assert res.exit_code == 1
    found = re.search(r"waveform around the first mismatch: (\S+\.vcd)  picture: (\S+\.png)", res.output)
    assert found, res.output
    assert Path(found[1]).read_text().startswith("$comment") and Path(found[2]).stat().st_size > 0


BUGGY = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a | b;\nendmodule\n```"
FIXED = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = """```python
class Model:
    def reset(self):
        pass

    def outputs(self, inputs):
        return {"y": (inputs["a"] + inputs["b"]) % 16}

    def clock(self, inputs):
        pass
```"""


def test_repair_prompt_gets_the_window(
    llm_server: ScriptedLLMServer, llm_client: LLMClient, tmp_path: Path
) -> None:
    spec = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
    for reply in (BUGGY, MODEL, "candidate", FIXED):  # designer, tester, judge, designer repair
        llm_server.reply_text(reply)
    out = design_block(spec, roles=build_roles(llm_client).hw, samples=1, run_root=tmp_path)
    assert out.status == "verified"
    repair = llm_server.chat_requests[3].messages[-1]["content"]
    assert "Waveform around the first mismatch" in repair
    assert re.search(r"\| [01]{4}/[01]{4}  <- differs", repair)  # reference/candidate of y, a differing row
    # the wrong first answer's check keeps the window; hw design draws it from there
    failed = next(c for c in out.attempts[0].checks if c.name == "diffsim")
    saved = waves.save_windows([("attempt1-diffsim", failed.details)], tmp_path / "waves")
    assert [p.name for pair in saved for p in pair] == ["attempt1-diffsim.vcd", "attempt1-diffsim.png"]


def test_hw_design_prints_the_waveform_of_a_failed_attempt(
    llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    spec = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
    for reply in (BUGGY, MODEL, "candidate", FIXED):
        llm_server.reply_text(reply)
    env = os.environ | {
        "QIMENG_LLM_BASE_URL": llm_server.base_url,
        "QIMENG_LLM_MODEL": "scripted-model",
        "QIMENG_LLM_API_KEY": "test-key",
    }
    res = subprocess.run(
        [sys.executable, "-m", "ops.cli", "hw", "design", spec, "--samples", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr  # the human output's stream is another item of issue 16
    found = re.search(r"waveform around the first mismatch: (\S+\.vcd)\s+picture: (\S+\.png)", out)
    assert found, out
    assert Path(found[1]).name == "attempt1-diffsim.vcd" and Path(found[2]).is_file()
