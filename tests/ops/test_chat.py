"""``qimeng chat`` through a real terminal (pexpect), and ``qimeng design`` through typer's runner."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pexpect
from typer.testing import CliRunner

from ops.cmd_design import app

REPO = Path(__file__).resolve().parents[2]


def test_chat_asks_before_tool_work_and_answers_slash_commands(tmp_path: Path) -> None:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ops.cmd_design", "chat", "--offline", "--run-dir", str(tmp_path)],
        cwd=str(REPO),
        env={"TERM": "dumb", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 200),
    )
    try:
        child.expect("qimeng> ")
        child.sendline("8-bit counter with sync reset")
        child.expect(r"run these 1 tasks\?")
        child.expect("qimeng> ")
        child.sendline("/approve")
        child.expect("hardware done")
        child.expect(r"done \(done\)")
        child.expect("qimeng> ")
        child.sendline("/cost")
        child.expect("hardware")
        child.expect("qimeng> ")
        child.sendline("/threads")
        child.expect("8-bit counter with sync")
        child.expect("qimeng> ")
        child.sendline("/resume nosuchthread")
        child.expect("no thread 'nosuchthread'")
        child.expect("qimeng> ")
        child.sendline("/quit")
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)


def test_design_json_reports_and_bad_input_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app,
        [
            "design",
            "8-bit counter with sync reset",
            "--offline",
            "--run-dir",
            str(tmp_path),
            "--json",
            "--thread",
            "t1",
        ],
    )
    assert ok.exit_code == 0, ok.output
    summary = json.loads(ok.stdout)
    assert summary["thread"] == "t1" and summary["status"] == "done" and summary["kind"] == "hw"
    empty = runner.invoke(app, ["design", "  ", "--offline", "--run-dir", str(tmp_path)])
    assert empty.exit_code == 2 and "empty request" in empty.output
    no_thread = runner.invoke(app, ["design", "--resume", "--run-dir", str(tmp_path)])
    assert no_thread.exit_code == 2 and "--resume needs --thread ID" in no_thread.output
    done = runner.invoke(app, ["design", "--thread", "t1", "--resume", "--run-dir", str(tmp_path)])
    assert done.exit_code == 2 and "has finished" in done.output
    mips = runner.invoke(app, ["design", "softmax kernel for mips", "--offline", "--run-dir", str(tmp_path)])
    assert mips.exit_code == 2 and "unsupported target 'mips'" in mips.output
