"""The reward service end to end: local Ray, the HTTP front, a real HTTP client (urllib).

Rewards are checked against the reference verdicts (each problem's own VerilogEval-format
testbench), bad input against its 400 answers, hostile completions against reward 0 with their
reason, and a Ray worker killed mid-batch against every item still coming back.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cluster.ray_executor import RayExecutor
from cluster.reward_pool import RewardPool
from cluster.reward_store import RewardStore
from evals._ve_bench import load_problems, run_testbench
from evals.reward_client import compute_score, post_batch, post_json
from evals.reward_extract import extract
from ops.reward_server import RewardServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reward"
COMPLETIONS: list[dict[str, Any]] = json.loads((FIXTURES / "completions.json").read_text())
SHARED_VE = Path(__file__).resolve().parents[3] / "shared" / "data" / "verilog-eval-v2"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RewardServer]:
    tmp = tempfile.mkdtemp(prefix="rw-", dir="/tmp")  # short: Ray's socket paths have a length limit
    old = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = tmp
    executor = RayExecutor(num_cpus=2, retries=2, retry_exceptions=False)
    store = RewardStore(tmp_path_factory.mktemp("reward"))
    server = RewardServer(RewardPool(executor, store, [FIXTURES, SHARED_VE], timeout_s=3.0)).start()
    yield server
    server.stop()
    executor.close()
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    if old is None:
        os.environ.pop("RAY_TMPDIR", None)
    else:
        os.environ["RAY_TMPDIR"] = old


def _item(c: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "kind": c["kind"],
        "problem": c["problem"],
        "completion": c["completion"],
        "id": c["name"],
    } | extra


def test_batch_rewards_agree_with_the_reference_testbench(service: RewardServer) -> None:
    results = post_batch(service.url, [_item(c, step=0) for c in COMPLETIONS])
    assert [r.id for r in results] == [c["name"] for c in COMPLETIONS]
    problems = {p.id: p for p in load_problems(FIXTURES)}
    for c, r in zip(COMPLETIONS, results, strict=True):
        assert r.verdict == c["verdict"], (c["name"], r.detail)
        if c["reason"] is not None:
            assert r.reason == c["reason"], (c["name"], r.detail)
        assert r.reward == (1.0 if c["verdict"] == "pass" else 0.0)
        if c["kind"] == "verilog" and not c["hostile"]:
            code = extract(c["completion"], "verilog").code or ""
            assert (r.reward == 1.0) == run_testbench(problems[c["problem"]], code).passed, c["name"]
        if r.reason in ("mismatch", "compile", "timeout", "wrong"):
            assert r.evidence is not None and r.evidence.status == "fail" and r.node
    by_name = {r.id: r for r in results}
    mismatch = by_name["shift_wrong_reset"].first_mismatch
    assert mismatch is not None and mismatch["output"] == "q"
    assert by_name["popcount_correct"].format_reward == 1.0
    assert by_name["shift_correct_fence_only"].format_reward == 0.0  # right code, no think/answer
    assert by_name["hostile_system"].detail.startswith("the code calls $system")
    assert by_name["kernel_fork_bomb"].detail.startswith("the code calls fork")


def test_a_retry_gets_the_same_reward_from_the_cache(service: RewardServer) -> None:
    items = [_item(c) for c in COMPLETIONS if not c["hostile"]]
    first = post_batch(service.url, items)
    again = post_batch(service.url, items)
    assert all(r.cached for r in again)
    assert [(r.reward, r.verdict, r.seeds) for r in again] == [(r.reward, r.verdict, r.seeds) for r in first]


def test_bad_input_gets_400_and_good_items_are_still_scored(service: RewardServer) -> None:
    status, body = post_json(service.url + "/reward", b'{"items": [')
    assert status == 400 and body["error"].startswith("the body is not JSON")
    status, body = post_json(service.url + "/reward", {"items": []})
    assert status == 400 and "'items' is empty" in body["error"]
    status, body = post_json(service.url + "/reward", [1, 2])
    assert status == 400 and body["error"].startswith("the body must be an object")
    good = _item(COMPLETIONS[0])
    golden_broken = {
        "kind": "verilog",
        "golden": "module m(input a, output y); assign y = ; endmodule",
        "completion": "```verilog\nmodule m(input a, output y); assign y = a; endmodule\n```",
    }
    batch = [
        good,
        {"kind": "verilog", "problem": "ProbR01_popcount4"},
        golden_broken,
        {"kind": "verilog", "problem": "ProbR01_popcount4", "completion": "x" * 200_001},
        {"kind": "verilog", "problem": "NoSuchProblem", "completion": "module"},
        "not an object",
    ]
    status, body = post_json(service.url + "/reward", {"items": batch})
    assert status == 400
    results = body["results"]
    assert len(results) == len(batch)
    assert results[0]["verdict"] == "pass" and results[0]["reward"] == 1.0
    assert [r["verdict"] for r in results[1:]] == ["invalid"] * 5
    assert [r["reason"] for r in results[1:]] == [
        "bad_item",
        "golden",
        "oversized",
        "unknown_problem",
        "bad_item",
    ]
    assert "missing field 'completion'" in results[1]["detail"]
    assert "yosys could not read the design" in results[2]["detail"]
    assert body["error"].startswith("5 of 6 items are invalid (the other 1 were scored)")


def test_health_and_metrics(service: RewardServer) -> None:
    with urllib.request.urlopen(service.url + "/health", timeout=30) as response:
        health = json.loads(response.read())
    assert health["status"] == "ok" and "hdl" in health["toolsets"] and health["observations"] > 0
    with urllib.request.urlopen(service.url + "/metrics", timeout=30) as response:
        text = response.read().decode()
    assert 'qimeng_reward_items_total{cached="true",reward_kind="verilog",verdict="pass"}' in text
    assert 'qimeng_reward_requests_rejected_total{why="json"}' in text


def test_compute_score_as_a_client_of_the_service(service: RewardServer) -> None:
    good = COMPLETIONS[0]
    extra = {"reward_url": service.url}
    score = compute_score("verilog-eval", good["completion"], {"problem": good["problem"]}, extra)
    assert score["score"] == 1.0 and score["format_score"] == 1.0 and score["verdict"] == "pass"
    ref = (FIXTURES / "ProbR01_popcount4_ref.sv").read_text()
    wrong = COMPLETIONS[1]["completion"]
    assert compute_score("codev", wrong, ref, extra)["reason"] == "mismatch"


def _our_task_workers() -> list[int]:
    """Ray workers started by this test process (descendants of it) that are running a task."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            todo.append(child)
            try:
                cmd = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"ray::_run_on_node"):
                found.append(child)
    return found


def test_a_worker_killed_mid_batch_loses_no_item(service: RewardServer) -> None:
    # fresh completions (a comment makes each new to the cache), one that runs into its timeout
    chosen = [
        c
        for c in COMPLETIONS
        if c["name"]
        in ("hostile_infinite_loop", "popcount_correct", "shift_wrong_reset", "popcount_dropped_term")
    ]
    items = [_item(c, completion=c["completion"].replace("endmodule", "// drill\nendmodule")) for c in chosen]
    answer: list[Any] = []
    poster = threading.Thread(target=lambda: answer.append(post_batch(service.url, items)))
    poster.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and time.monotonic() < deadline and poster.is_alive():
        workers = _our_task_workers()
        if workers:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    poster.join(120)
    assert killed is not None, "no Ray worker was seen running an item"
    results = answer[0]
    assert len(results) == len(items)
    # Ray ran the killed worker's item again elsewhere: every item has its checker's verdict
    assert [(r.verdict, r.reason) for r in results] == [(c["verdict"], c["reason"]) for c in chosen], [
        r.detail for r in results
    ]


@pytest.mark.skipif(not SHARED_VE.is_dir(), reason="VerilogEval v2 is not in ../shared/data")
def test_a_verilog_eval_problem_by_id(service: RewardServer) -> None:
    ref = (SHARED_VE / "Prob001_zero_ref.sv").read_text().replace("RefModule", "TopModule")
    wrong = ref.replace("1'b0", "1'b1")
    items = [
        {"kind": "verilog", "problem": "Prob001_zero", "completion": f"```verilog\n{code}\n```"}
        for code in (ref, wrong)
    ]
    assert [(r.verdict, r.reason) for r in post_batch(service.url, items)] == [
        ("pass", ""),
        ("fail", "mismatch"),
    ]


def test_without_retries_a_killed_item_is_an_explicit_error_and_not_cached(service: RewardServer) -> None:
    no_retry = RewardPool(RayExecutor(retries=0, retry_exceptions=False), service.pool.store, [FIXTURES], 3.0)
    chosen = [c for c in COMPLETIONS if c["name"] in ("hostile_infinite_loop", "popcount_correct")]
    items = [
        _item(c, completion=c["completion"].replace("endmodule", "// no retry\nendmodule")) for c in chosen
    ]
    outcome: list[Any] = []
    scorer = threading.Thread(target=lambda: outcome.append(no_retry.score_batch(items)))
    scorer.start()
    killed = None
    while killed is None and scorer.is_alive():
        workers = _our_task_workers()
        if workers:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    scorer.join(120)
    results = outcome[0].results
    assert killed is not None and len(results) == len(items)
    errors = [r for r in results if r.verdict == "error"]
    assert len(errors) == 1 and errors[0].reason == "worker" and "worker died" in errors[0].detail
    for c, r in zip(chosen, results, strict=True):
        assert r.verdict == "error" or (r.verdict, r.reason) == (c["verdict"], c["reason"])
    again = service.pool.score_batch(items)  # the error was not cached: the item is checked anew
    assert [(r.verdict, r.reason) for r in again.results] == [(c["verdict"], c["reason"]) for c in chosen]
    assert [r.cached for r in again.results] == [r.verdict != "error" for r in results]
