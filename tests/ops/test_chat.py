"""``qimeng chat`` through a real terminal (pexpect), and ``qimeng design`` through typer's runner."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pexpect
from fakes.llm_server import ScriptedLLMServer
from prometheus_client.parser import text_string_to_metric_families
from short_session import FIXED, MODEL, SPEC
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


def scrape(url: str) -> dict[str, float]:
    """``/metrics`` as {'name{label="v",...}': value} for the samples with a non-zero value."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    values = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.value:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                values[f"{s.name}{{{labels}}}"] = s.value
    return values


def test_a_chat_session_serves_what_it_records_on_metrics(
    tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    plan = {"kind": "hw", "tasks": [{"id": "hw-1", "kind": "hw", "spec": SPEC}]}
    llm_server.reply_json(plan, usage=(150, 30))  # planner
    llm_server.reply_text(FIXED, usage=(60, 10))  # hw.designer
    llm_server.reply_text(MODEL, usage=(40, 10))  # hw.tester
    env = {
        "TERM": "dumb",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "QIMENG_LLM_BASE_URL": llm_server.base_url,
        "QIMENG_LLM_MODEL": "scripted-model",
        "QIMENG_LLM_API_KEY": "test-key",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ops.cmd_design", "chat", "--run-dir", str(tmp_path), "--metrics-port", "0"],
        cwd=str(REPO),
        env=env,
        encoding="utf-8",
        timeout=120,
        dimensions=(40, 200),
    )
    try:
        child.expect(r"metrics on (http://127\.0\.0\.1:\d+/metrics)")
        url = child.match.group(1)
        child.expect("qimeng> ")
        assert not any(k.startswith("qimeng_llm_") for k in scrape(url))  # nothing asked yet
        child.sendline(SPEC)
        child.expect(r"run these 1 tasks\?")
        child.expect("qimeng> ")
        child.sendline("/approve")
        child.expect(r"done \(done\)")
        child.expect("qimeng> ")
        seen = scrape(url)  # the session is still running
        child.sendline("/quit")
        child.expect("bye")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert len(llm_server.requests) == 3, [r.messages[-1]["content"][:80] for r in llm_server.requests]
    model = 'model="scripted-model"'
    assert seen[f'qimeng_llm_requests_total{{agent="planner",{model}}}'] == 1, seen
    assert seen[f'qimeng_llm_tokens_total{{agent="planner",{model},token="prompt"}}'] == 150, seen
    assert seen['qimeng_tasks_finished_total{kind="hw_design",outcome="pass",target="none"}'] == 1, seen
    assert any(k.startswith("qimeng_tool_calls_total{") for k in seen), seen
