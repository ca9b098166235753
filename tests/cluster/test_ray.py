"""Ray executor and campaigns on a two-node cluster on this host (one cluster for the module).

The head serves x86_64, the second node riscv64 and aarch64; each task records the node it ran on.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray
from ray.cluster_utils import Cluster

from cluster.calls import Call
from cluster.executor import NoNodeForTarget
from cluster.launch import execute, open_campaign
from cluster.ray_executor import RayExecutor, node_spec

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    tmp = tempfile.mkdtemp(prefix="rq-", dir="/tmp")  # short: Ray's socket paths have a length limit
    old = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = tmp
    head_res, head_labels = node_spec({"x86_64"})
    cl = Cluster(
        initialize_head=True,
        head_node_args={
            "num_cpus": 1,
            "resources": head_res,
            "labels": head_labels,
            "include_dashboard": False,
        },
    )
    res, labels = node_spec({"riscv64", "aarch64"})
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


def serving(target: str) -> set[str]:
    return {n["NodeID"] for n in ray.nodes() if n["Alive"] and f"target_{target}" in n["Resources"]}


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
        assert results[call.key].ok and results[call.key].node_id in serving(call.target)
    assert serving("x86_64").isdisjoint(serving("riscv64"))
    with pytest.raises(NoNodeForTarget, match=r"no node in the Ray cluster serves target\(s\) cuda"):
        ex.run(Call(key="k#0", task="synthetic-sample", args={"problem": "k", "sample": 0}, target="cuda"))


def test_a_worker_killed_mid_task_is_retried(cluster: Cluster, tmp_path: Path) -> None:
    ex = RayExecutor(retries=2)
    args = {"problem": "k", "sample": 0, "work": 10, "kill_once_dir": str(tmp_path)}
    result = ex.run(Call(key="k#0", task="synthetic-sample", args=args, target="riscv64"))
    assert (tmp_path / "k.0.killed").exists()  # the first attempt did kill its worker
    assert result.ok and result.node_id in serving("riscv64")
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
