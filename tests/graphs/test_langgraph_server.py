"""The graph in langgraph.json under the LangGraph API server (``langgraph dev``, in-memory runtime),
driven through ``langgraph_sdk`` as LangGraph Studio or Agent Chat UI would: a thread, a streamed
run, a clarification and an approval answered through interrupts, the final report read back.

The server runs on loopback only, without a browser, tunnel, analytics or LangSmith tracing, in a
temporary working folder (its in-memory runtime keeps ``.langgraph_api/`` there). No context is
sent, so the graph runs on :class:`agents.top.QimengContext`'s defaults: offline, in this process;
and the input is only the request and the approval flag, so the artifacts go where
:mod:`agents.top.inputs` puts them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk import get_client

from tools.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
LANGGRAPH = Path(sys.executable).with_name("langgraph")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``langgraph dev`` on a free loopback port; yields its URL."""
    work = tmp_path_factory.mktemp("langgraph-dev")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_"))}
    env |= {"LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGSMITH_TRACING": "false"}
    argv = [str(LANGGRAPH), "dev", "--host", "127.0.0.1", "--port", str(port), "--no-browser"]
    argv += ["--no-reload", "--config", str(ROOT / "langgraph.json")]
    log = (work / "server.log").open("w")
    proc = subprocess.Popen(argv, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ok", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "langgraph dev did not start:\n" + (work / "server.log").read_text()[-3000:]
                )
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


async def _stream(client: Any, thread: str, **kwargs: Any) -> list[tuple[str, Any]]:
    parts = []
    async for part in client.runs.stream(thread, "qimeng", stream_mode=["updates", "custom"], **kwargs):
        assert part.event != "error", part.data
        parts.append((part.event, part.data))
    return parts


async def _session(url: str) -> dict[str, Any]:
    client = get_client(url=url)
    assistants = await client.assistants.search(graph_id="qimeng")
    assert assistants, "langgraph.json's graph 'qimeng' is not served"
    thread = (await client.threads.create())["thread_id"]
    inp = {"request": "", "approve": True}  # as a Studio user might: no run_root, no offline flag
    first = await _stream(client, thread, input=inp)
    state = await client.threads.get_state(thread)
    asked = [i["value"] for i in state["interrupts"]]
    assert [a["kind"] for a in asked] == ["clarify"] and "empty" in asked[0]["question"]
    assert any(e == "updates" and "__interrupt__" in d for e, d in first)
    second = await _stream(client, thread, command={"resume": "4-bit adder"})
    state = await client.threads.get_state(thread)
    asked = [i["value"] for i in state["interrupts"]]
    assert [a["kind"] for a in asked] == ["approval"] and "4-bit adder" in asked[0]["tasks"][0]
    third = await _stream(client, thread, command={"resume": "yes"})
    final = await client.threads.get_state(thread)
    return {
        "events": first + second + third,
        "values": final["values"],
        "next": final["next"],
        "thread": thread,
    }


def test_a_session_through_the_langgraph_server(server: str) -> None:
    got = asyncio.run(_session(server))
    agents = [d["agent"] for e, d in got["events"] if e == "custom"]
    for who in ("intake", "planner", "hardware", "critic", "report"):
        assert who in agents, agents
    values = got["values"]
    assert got["next"] == [] and values["status"] == "done"
    report = values["report"]
    assert report["parts"][0]["status"] == "done" and Path(report["report"]).is_file()
    # no run_root given: the artifacts go to <run dir>/langgraph/<thread id>
    assert Path(report["report"]).parent == get_settings().run_dir / "langgraph" / got["thread"]
    design = values["hw_results"][0]["design"]
    assert "module" in design["rtl"] and design["status"] == "verified"
    # no LLM context from the server: the planner and the designer ran offline
    assert design["origin"].startswith("offline:")
    assert all(c["tokens"] == 0 for c in values.get("costs", []))
