"""The Ray executor, campaigns and design sessions on a three-node cluster on this host.

One node per target, all on this host (QEMU runs the foreign ISAs): the head serves x86_64 and has
the HDL tools, the second node serves aarch64, the third riscv64. Campaign samples and a design
session's tool calls are placed by what they need; each result and each check records its node.
A ``qimeng design`` request that needs a hardware block and a kernel on each of the three targets
runs every tool call on the right node (read back from the evidence), and the same request in this
process gets the same verdicts (offline designers, as ``qimeng design --offline``). One cluster
serves the whole module: starting one is the slow part.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import ray
from ray.cluster_utils import Cluster
from typer.testing import CliRunner

from cluster.launch import execute, open_campaign
from cluster.ray_executor import RayExecutor, node_spec
from graphs.session import Session
from tools.calls import Call
from tools.executor import NoNodeForTarget, call_tool, use_executor

ROOT = Path(__file__).parents[2]
TARGETS = ("x86_64", "aarch64", "riscv64")
REQUEST = "a 4-bit adder block and the sum reduction n=4096 on x86_64, aarch64 and riscv64"
TOOL_CHECKS = {"lint", "interface", "directed", "diffsim", "formal", "synth", "compile", "difftest", "timing"}
"""Checks made from a tool call's result (the others are judgements made in the agent)."""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    tmp = tempfile.mkdtemp(prefix="rs-", dir="/tmp")  # short: Ray's socket paths have a length limit
    old = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = tmp
    head_res, head_labels = node_spec({"x86_64"}, {"hdl"})
    cl = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "resources": head_res,
            "labels": head_labels,
            "include_dashboard": False,
        },
    )
    for target in ("aarch64", "riscv64"):
        res, labels = node_spec({target})
        cl.add_node(num_cpus=1, resources=res, labels=labels)
    cl.wait_for_nodes()
    ray.init(address=cl.address, log_to_driver=False, logging_level="error")
    yield cl
    ray.shutdown()
    cl.shutdown()
    if old is None:
        os.environ.pop("RAY_TMPDIR", None)
    else:
        os.environ["RAY_TMPDIR"] = old


def serving(resource: str) -> set[str]:
    return {n["NodeID"] for n in ray.nodes() if n["Alive"] and resource in n["Resources"]}


def run_request(root: Path, executor: RayExecutor | None) -> dict[str, Any]:
    """Run the request offline (``qimeng design --offline``); per task: round, status, checks."""
    session = Session(root, executor=executor)
    try:
        for _ in session.start(REQUEST, offline=True):
            pass
        values = session.values()
    finally:
        session.close()
    assert values["status"] == "done", values.get("feedback")
    out = {}
    for outcome in [*values["hw_results"], *values["sw_results"]]:
        data = outcome.model_dump(mode="json")
        design = data["design"]
        out[data["task"]] = {
            "round": data["round"],
            "status": design["status"],
            "target": design.get("target"),  # a kernel's target; None for a hardware block
            "checks": design["evidence"]["checks"],
        }
    return out


def first_round(results: dict[str, Any]) -> dict[str, Any]:
    """The tasks of the first plan (the critic may add rounds, e.g. for a kernel under its roofline)."""
    return {task: r for task, r in results.items() if r["round"] == 1}


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """Per first-round task: its status and its checks' names and statuses (the x86_64 tuner may keep
    the template's defaults or not, which decides whether a separate compile check is in the evidence)."""
    return {
        task: (r["status"], sorted({(c["name"], c["status"]) for c in r["checks"] if c["name"] != "compile"}))
        for task, r in first_round(results).items()
    }


def test_each_tool_call_runs_on_a_node_serving_what_it_needs(cluster: Cluster, tmp_path: Path) -> None:
    on_cluster = run_request(tmp_path / "cluster", RayExecutor(retries=1, retry_exceptions=False))
    first = first_round(on_cluster)
    assert len(first) == 1 + len(TARGETS) and {r["status"] for r in first.values()} == {"verified"}
    used: set[str] = set()
    for task, result in on_cluster.items():
        target = result["target"]
        resource = "tools_hdl" if target is None else f"target_{target}"
        label = "qimeng.dev/tools-hdl" if target is None else f"qimeng.dev/target-{target}"
        for check in result["checks"]:
            if check["name"] not in TOOL_CHECKS or check["status"] == "skipped":
                assert check["node"] == "", (task, check["name"])  # decided in the agent
                continue
            assert check["node"] in serving(resource), (task, check["name"])
            assert check["node_labels"][label] == "true" and check["node_labels"]["host"]
            assert check["target"] == target and check["tool_versions"], (task, check["name"])
            used.add(resource)
    assert used == {"tools_hdl", *(f"target_{t}" for t in TARGETS)}

    in_process = run_request(tmp_path / "local", None)
    assert verdicts(in_process) == verdicts(on_cluster)
    assert {c["node"] for r in in_process.values() for c in r["checks"]} <= {"", "local"}

    # the tool cache works across executors: the same request in-process on the cluster run's
    # session root reuses every finished task, evidence (nodes included) and all
    again = run_request(tmp_path / "cluster", None)
    assert first_round(again) == first


def test_a_tool_call_whose_worker_dies_is_retried(cluster: Cluster, tmp_path: Path) -> None:
    executor = RayExecutor(retries=1, retry_exceptions=False)
    args = {"problem": "k", "sample": 0, "work": 10, "kill_once_dir": str(tmp_path)}
    result = executor.run(Call(key="k", task="synthetic-sample", args=args, target="aarch64"))
    assert (tmp_path / "k.0.killed").exists()  # the first attempt killed its worker
    assert result.ok and result.node_id in serving("target_aarch64")
    failing = executor.run(
        Call(key="e", task="synthetic-sample", args={"problem": "e", "sample": 0, "always_raise": True})
    )
    assert failing.error == "failed after 1 attempt(s): RuntimeError: injected failure in e#0"
    with pytest.raises(RuntimeError, match="injected failure"):
        failing.unwrap()  # the task's own exception, as in-process


def test_a_call_for_a_target_no_node_serves_fails_at_once(cluster: Cluster, tmp_path: Path) -> None:
    from ops.cmd_sw_design import app

    with use_executor(RayExecutor()), pytest.raises(NoNodeForTarget) as err:
        call_tool("agents.sw.tool_calls:compile_call", {}, target="cuda")
    assert str(err.value).startswith(
        "no node in the Ray cluster serves target(s) cuda (resource target_cuda); "
        "targets served: aarch64, riscv64, x86_64."
    )
    result = CliRunner().invoke(
        app,
        ["design", "gemm 64 bf16", "--target", "cuda", "--offline", "--cluster", cluster.address],
        env={"QIMENG_RUN_DIR": str(tmp_path)},
    )
    assert result.exit_code == 1, result.output
    assert "no node in the Ray cluster serves target(s) cuda" in result.output


def test_a_local_only_call_stays_in_the_driver(cluster: Cluster) -> None:
    """How an embedded knowledge store is searched on a cluster: only the driver opens it."""
    executor = RayExecutor()
    here = executor.run(Call(key="kb", task="evals.tool_dispatch:noop_call", local_only=True))
    there = executor.run(Call(key="any", task="evals.tool_dispatch:noop_call"))
    assert here.ok and here.node_id == "local"
    assert there.ok and there.node_id in serving("CPU")


def test_qimeng_sw_design_uses_the_cluster_named_by_the_setting(cluster: Cluster, tmp_path: Path) -> None:
    from ops.cmd_sw_design import app

    result = CliRunner().invoke(
        app,
        ["design", "reduce_sum n=64", "--target", "riscv64", "--offline", "--json"],
        env={"QIMENG_RUN_DIR": str(tmp_path), "QIMENG_RAY_ADDRESS": cluster.address},
    )
    assert result.exit_code == 0, result.output
    design = json.loads(result.stdout)
    ran = {c["name"]: c["node"] for c in design["evidence"]["checks"] if c["node"]}
    assert {"compile", "difftest"} <= set(ran)
    assert set(ran.values()) <= serving("target_riscv64")


def test_every_call_runs_on_a_node_serving_its_target(cluster: Cluster) -> None:
    ex = RayExecutor(retries=0)
    assert ex.targets() == {"x86_64", "riscv64", "aarch64"}
    targets = ["x86_64", "riscv64", "aarch64"] * 3
    calls = [
        Call(
            key=f"p{i}#0",
            task="synthetic-sample",
            args={"problem": f"p{i}", "sample": 0, "work": 100},
            target=t,
        )
        for i, t in enumerate(targets)
    ]
    results = {r.key: r for r in ex.map(calls)}
    assert len(results) == len(calls)
    for call in calls:
        assert call.target is not None
        assert results[call.key].ok and results[call.key].node_id in serving(f"target_{call.target}")
    assert serving("target_x86_64").isdisjoint(serving("target_riscv64"))
    with pytest.raises(NoNodeForTarget, match=r"no node in the Ray cluster serves target\(s\) cuda"):
        ex.run(Call(key="k#0", task="synthetic-sample", args={"problem": "k", "sample": 0}, target="cuda"))


def test_a_worker_killed_mid_task_is_retried(cluster: Cluster, tmp_path: Path) -> None:
    ex = RayExecutor(retries=2)
    args = {"problem": "k", "sample": 0, "work": 10, "kill_once_dir": str(tmp_path)}
    result = ex.run(Call(key="k#0", task="synthetic-sample", args=args, target="riscv64"))
    assert (tmp_path / "k.0.killed").exists()  # the first attempt did kill its worker
    assert result.ok and result.node_id in serving("target_riscv64")
    failing = ex.run(
        Call(key="e#0", task="synthetic-sample", args={"problem": "e", "sample": 0, "always_raise": True})
    )
    assert not failing.ok
    assert failing.error == "failed after 3 attempt(s): RuntimeError: injected failure in e#0"


def _rows(run_dir: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(run_dir / "results.sqlite")
    try:
        return db.execute(
            "SELECT task, sample, status, passed, value FROM samples ORDER BY task, sample"
        ).fetchall()
    finally:
        db.close()


def test_killed_driver_resumes_to_the_same_results(cluster: Cluster, tmp_path: Path) -> None:
    campaign = tmp_path / "c.yaml"
    campaign.write_text(
        "name: drill\nbenchmark: {kind: synthetic, problems: 6, work: 60000}\nsamples: 3\n"
        "targets: [x86_64, riscv64]\n"
    )
    runs = tmp_path / "runs"
    env = os.environ | {"QIMENG_RUN_DIR": str(runs)}
    argv = [sys.executable, "-m", "ops.cmd_campaign", "run", str(campaign), "--run-id", "killed"]
    driver = subprocess.Popen(
        [*argv, "--ray-address", cluster.address],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    db = runs / "killed" / "results.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        try:
            if db.exists() and len(_rows(runs / "killed")) >= 5:
                break
        except sqlite3.OperationalError:
            pass  # the driver is still creating the schema
        time.sleep(0.05)
    assert driver.poll() is None, driver.communicate()[0].decode()[-2000:]
    driver.send_signal(signal.SIGKILL)
    out = driver.communicate()[0].decode(errors="replace")[-2000:]
    partial = _rows(runs / "killed")
    assert 5 <= len(partial) < 36, out

    resumed = open_campaign(campaign, resume="killed", root=runs)
    outcome = execute(resumed, RayExecutor())
    assert (outcome.already_done, outcome.recorded, outcome.errors) == (len(partial), 36 - len(partial), 0), (
        out
    )

    fresh = open_campaign(campaign, run_id="fresh", root=runs)
    assert execute(fresh, RayExecutor()).recorded == 36
    final = _rows(runs / "killed")
    assert len(final) == 36 and set(partial) <= set(final)
    assert [r for r in final if r[2] != "ok"] == []  # nothing lost to the kill: every sample succeeded
    assert final == _rows(runs / "fresh")


def test_a_call_whose_last_node_dies_fails_naming_what_is_left(cluster: Cluster) -> None:
    """Last in the module: it takes the riscv64 node away (and puts a new one back)."""
    node = next(n for n in cluster.worker_nodes if n.node_id in serving("target_riscv64"))
    executor = RayExecutor(retries=2, retry_exceptions=False)
    args = {"problem": "long", "sample": 0, "work": 50_000_000}  # minutes of hashing
    results = executor.map([Call(key="long", task="synthetic-sample", args=args, target="riscv64")])
    pool = ThreadPoolExecutor(1)
    waiting = pool.submit(next, results)  # submits the call, then waits for it
    time.sleep(2)
    cluster.remove_node(node)
    try:
        result = waiting.result(timeout=120)  # Ray alone would keep the retry pending forever
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        res, labels = node_spec({"riscv64"})
        cluster.add_node(num_cpus=1, resources=res, labels=labels)
        cluster.wait_for_nodes()
    assert not result.ok
    assert result.error is not None and result.error.startswith(
        "no node in the Ray cluster serves target(s) riscv64 (resource target_riscv64); "
        "targets served: aarch64, x86_64."
    )
