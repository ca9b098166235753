"""The design page in a real browser: Debian's headless Chromium, driven by Playwright (the PyPI
package, pointed at /usr/bin/chromium; no browser download), through a session with an approval
and a clarification. The LLM is the scripted server (the one stand-in); the graph, the checkers and
the page are real. Screenshots go to ``<QIMENG_RUN_DIR>/web-screenshots/``."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient
from ops.web.server import Designer, DesignServer
from tools.settings import get_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SPEC = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
BUGGY = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a | b;\nendmodule\n```"
FIXED = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = (
    "```python\nclass Model:\n    def reset(self):\n        pass\n\n    def outputs(self, inputs):\n"
    '        return {"y": (inputs["a"] + inputs["b"]) % 16}\n\n    def clock(self, inputs):\n        pass\n```'
)


@pytest.fixture
def page_server(tmp_path: Path, llm_client: LLMClient) -> Iterator[DesignServer]:
    designer = Designer(tmp_path / "sessions", offline=False, llm=llm_client, executor=None)
    server = DesignServer(designer, "127.0.0.1", 0)
    server.start()
    yield server
    server.shutdown()
    server.server_close()
    designer.index.close()


@pytest.fixture
def shots() -> Path:
    folder = get_settings().run_dir / "web-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_page_serves_only_local_files(page_server: DesignServer) -> None:
    html = urllib.request.urlopen(page_server.url).read().decode()
    js = urllib.request.urlopen(page_server.url + "/static/app.js").read().decode()
    # no CDN, no web fonts, nothing from outside this server
    for text in (html, js):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
    for bad in ("/files/../../etc/passwd", "/files/sessions.sqlite"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(page_server.url + bad)
        assert err.value.code in (403, 404)
    api = page_server.url + "/api/threads"
    json_type = {"Content-Type": "application/json"}
    cases = [  # (body, headers, status, words of the error)
        (b'{"request": "  "}', json_type, 400, "empty request"),
        (b"[1]", json_type, 400, "must be a JSON object"),
        # a cross-site form post (no CORS preflight) and a rebound host name are refused
        (b'{"request": "4-bit adder"}', {"Content-Type": "text/plain"}, 415, "must be JSON"),
        (b'{"request": "4-bit adder"}', {**json_type, "Host": "evil.example:80"}, 403, "unexpected Host"),
    ]
    for body, headers, status, words in cases:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(urllib.request.Request(api, data=body, headers=headers, method="POST"))
        assert err.value.code == status and words in json.loads(err.value.read())["error"]
    assert json.loads(urllib.request.urlopen(api).read()) == []  # nothing was started


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup)")
def test_a_design_session_in_chromium(
    page_server: DesignServer, llm_server: ScriptedLLMServer, tmp_path: Path, shots: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    llm_server.reply_json({"kind": "hw", "tasks": [{"id": "hw-1", "kind": "hw", "spec": SPEC}]})
    for reply in (BUGGY, MODEL, "candidate", FIXED):  # designer, tester, judge, designer's repair
        llm_server.reply_text(reply)
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.new_page()
            outside: list[str] = []
            page.on("request", lambda r: None if r.url.startswith(page_server.url) else outside.append(r.url))
            page.goto(page_server.url)
            page.fill("#request", SPEC)
            expect(page.locator("#approve")).to_be_checked()
            page.click("#send")
            # the plan waits for approval: buttons, the task list, the agents' events so far
            expect(page.locator("#pending")).to_be_visible(timeout=60_000)
            expect(page.locator("#pending-question")).to_contain_text("run these 1 tasks?")
            expect(page.locator("#pending-tasks li")).to_contain_text(["hw-1 (hw)"])
            expect(page.locator("#approve-btn")).to_be_visible()
            expect(page.locator("#events li[data-agent=planner]")).to_have_count(1)
            page.screenshot(path=str(shots / "1-approval.png"), full_page=True)
            page.click("#approve-btn")
            expect(page.locator("#report h3")).to_contain_text("done", timeout=120_000)
            agents = page.locator("#events li[data-agent]").evaluate_all(
                "els => els.map(e => e.dataset.agent)"
            )
            for who in ("hardware", "critic", "report"):
                assert who in agents, agents
            result = page.locator(".result[data-task=hw-1]")
            expect(result.locator("h3")).to_contain_text("verified")
            expect(result.locator("pre.source")).to_contain_text("assign y = a + b;")
            expect(result.locator("table.checks tr", has_text="diffsim").first).to_contain_text("pass")
            expect(result.locator("h4", has_text="PPA")).to_be_visible()
            # the designer's first (wrong) answer failed the differential check: its waveform is shown
            wave = result.locator("img.wave").first
            expect(wave).to_be_visible()
            assert wave.evaluate("img => img.complete && img.naturalWidth > 200")
            expect(result.locator("h4", has_text="Waveform around the first mismatch")).to_contain_text(
                "attempt1"
            )
            page.screenshot(path=str(shots / "2-result.png"), full_page=True)
            # the thread is in the list, and opens again from there after a reload
            page.reload()
            item = page.locator("#threads li").first
            expect(item).to_contain_text("module top(input [3:0] a")
            item.click()
            expect(page.locator("#thread-status")).to_contain_text("done")
            expect(page.locator(".result[data-task=hw-1] pre.source")).to_contain_text("a + b")
            page.locator("#results").screenshot(path=str(shots / "3-results-panel.png"))
            assert outside == [], f"the page fetched from outside: {outside}"
        finally:
            browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup)")
def test_a_clarification_answered_on_the_page(tmp_path: Path, shots: Path) -> None:
    """Offline: a request that names nothing buildable is asked about; the typed answer replaces it,
    then the plan is approved and the result shows its interpretation and the report's table."""
    from playwright.sync_api import expect, sync_playwright

    designer = Designer(tmp_path / "sessions", offline=True, llm=None, executor=None)
    server = DesignServer(designer, "127.0.0.1", 0)
    server.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(
                str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS
            )
            try:
                page = browser.new_page()
                page.goto(server.url)
                page.fill("#request", "something nice for my garden")
                page.click("#send")
                expect(page.locator("#pending-question")).to_contain_text("could not tell", timeout=60_000)
                expect(page.locator("#approve-btn")).to_be_hidden()  # a question, not an approval
                page.fill("#answer", "4-bit adder")
                page.screenshot(path=str(shots / "4-clarification.png"), full_page=True)
                page.click("#answer-btn")
                expect(page.locator("#approve-btn")).to_be_visible(timeout=60_000)
                page.click("#approve-btn")
                expect(page.locator("#report h3")).to_contain_text("done", timeout=120_000)
                result = page.locator(".result[data-task=hw-1]")
                expect(result.locator(".interpretation")).to_contain_text("width 4")
                expect(page.locator("#thread-title")).to_contain_text("4-bit adder")
                expect(page.locator("table.parts")).to_contain_text("block")
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        designer.index.close()


def test_serve_web_refuses_a_busy_port(page_server: DesignServer) -> None:
    import subprocess
    import sys

    port = page_server.server_address[1]
    res = subprocess.run(
        [sys.executable, "-m", "ops.cli", "serve", "web", "--offline", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr and "Traceback" not in res.stderr


def test_a_kernel_result_shows_its_source_and_timing_table(tmp_path: Path) -> None:
    from graphs.session import Session
    from ops.web.view import thread_view

    s = Session(tmp_path)
    try:
        list(s.start("softmax kernel rows=4 cols=8 for x86_64", offline=True))
        view = thread_view(s)
    finally:
        s.close()
    (kernel,) = view["results"]
    assert kernel["status"] == "verified" and kernel["language"] == "c" and "softmax" in kernel["source"]
    assert kernel["table"]["title"] == "Timing" and kernel["table"]["rows"]["median_s"] > 0
    assert kernel["table"]["rows"]["shape"] == {"rows": 4, "cols": 8}
    assert "rows 4" in kernel["interpretation"] and any(c["name"] == "difftest" for c in kernel["checks"])
    assert view["report"]["status"] == "done" and view["report"]["markdown"].endswith("report.md")


def test_a_failed_thread_is_listed_and_resumed_from_the_page_api(tmp_path: Path) -> None:
    """A thread whose run failed (the LLM endpoint unreachable) is listed as failed; the page's resume
    continues it (offline here) and its events stream until it is done."""
    from agents.llm_errors import LLMUnreachable
    from graphs.session import Session
    from tools.settings import load_settings

    settings = load_settings(llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=1.0, llm_max_retries=0)
    s = Session(tmp_path, "t-fail", llm=LLMClient(settings, backoff_base_s=0.0, jitter=0.0))
    with pytest.raises(LLMUnreachable):
        list(s.start("4-bit adder", offline=False))
    s.close()
    designer = Designer(tmp_path, offline=True, llm=None, executor=None)
    server = DesignServer(designer, "127.0.0.1", 0)
    server.start()
    try:
        listed = json.loads(urllib.request.urlopen(server.url + "/api/threads").read())
        assert [(t["thread"], t["status"].split(":")[0]) for t in listed] == [("t-fail", "failed")]
        post = urllib.request.Request(
            server.url + "/api/threads/t-fail/resume",
            data=b"{}",
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        assert urllib.request.urlopen(post).status == 202
        stream = (
            urllib.request.urlopen(server.url + "/api/threads/t-fail/events", timeout=120).read().decode()
        )
        events = [json.loads(line[6:]) for line in stream.splitlines() if line.startswith("data: ")]
        assert [e["type"] for e in events][-3:] == ["done", "end", "closed"] and events[-3][
            "status"
        ] == "done"
        assert any(e.get("agent") == "hardware" for e in events)
        view = json.loads(urllib.request.urlopen(server.url + "/api/threads/t-fail").read())
        assert view["status"] == "done" and view["failure"] is None and not view["running"]
    finally:
        server.shutdown()
        server.server_close()
        designer.index.close()


def test_serve_web_serves_what_its_sessions_record_on_metrics(tmp_path: Path) -> None:
    import os
    import re
    import signal
    import subprocess
    import sys

    from prometheus_client.parser import text_string_to_metric_families

    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", "serve", "web", "--offline", "--port", "0", "--metrics-port", "0",
         "--run-dir", str(tmp_path)],
        env=os.environ | {"COLUMNS": "500"}, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        said: list[str] = []
        while not any("design sessions on" in line for line in said):
            line = proc.stderr.readline() if proc.stderr else ""
            assert line, f"serve web exited: {''.join(said)}"
            said.append(line)
        text = "".join(said)
        metrics_url = re.search(r"metrics on (http://127\.0\.0\.1:\d+/metrics)", text)
        page = re.search(r"design sessions on (http://127\.0\.0\.1:\d+)", text)
        assert metrics_url and page, text
        post = urllib.request.Request(
            page.group(1) + "/api/threads",
            data=json.dumps({"request": "8-bit counter with sync reset", "approve": False}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        tid = json.loads(urllib.request.urlopen(post).read())["thread"]
        urllib.request.urlopen(f"{page.group(1)}/api/threads/{tid}/events", timeout=120).read()
        assert (
            json.loads(urllib.request.urlopen(f"{page.group(1)}/api/threads/{tid}").read())["status"]
            == "done"
        )
        scraped = urllib.request.urlopen(metrics_url.group(1), timeout=5).read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finished = {
        (s.labels["kind"], s.labels["outcome"]): s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
        if s.name == "qimeng_tasks_finished_total"
    }
    assert finished == {("hw_design", "pass"): 1.0}, scraped
