"""A design session's tool calls on a three-node Ray cluster, placed by what each call needs.

One node per target, all on this host (QEMU runs the foreign ISAs): the head serves x86_64 and has
the HDL tools, the second node serves aarch64, the third riscv64. A ``qimeng design`` request that
needs a hardware block and a kernel on each of the three targets runs every tool call on the right
node (read back from the evidence), and the same request in this process gets the same verdicts.
The planner and designers are the scripted LLM (routed by role, since the workers run in parallel).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from fakes.llm_server import ScriptedLLMServer
from pydantic import BaseModel
from ray.cluster_utils import Cluster
from typer.testing import CliRunner

from agents.llm import LLMClient
from cluster.ray_executor import RayExecutor, node_spec
from graphs.session import Session
from tools.calls import Call
from tools.executor import NoNodeForTarget, call_tool, use_executor
from tools.settings import Settings, load_settings

SPEC = "module top(input [3:0] a, input [3:0] b, output [3:0] y); y is the sum of a and b modulo 16."
RTL = "```verilog\nmodule top(input [3:0] a, input [3:0] b, output [3:0] y);\n  assign y = a + b;\nendmodule\n```"
MODEL = (
    "```python\nclass Model:\n    def reset(self):\n        pass\n\n    def outputs(self, inputs):\n"
    '        return {"y": (inputs["a"] + inputs["b"]) % 16}\n\n    def clock(self, inputs):\n        pass\n```'
)
KERNEL = (
    "```c\nvoid reduce_sum(const float* x, float* out, int n) {\n  double s = 0.0;\n"
    "  for (int i = 0; i < n; i++) s += x[i];\n  out[0] = (float)s;\n}\n```"
)
TARGETS = ("x86_64", "aarch64", "riscv64")
REQUEST = "the sum reduction n=4096 on x86_64, aarch64 and riscv64 with a 4-bit adder block"
PLAN = {
    "kind": "sw",
    "tasks": [{"id": "hw-1", "kind": "hw", "spec": SPEC}]
    + [
        {"id": f"sw-{t}", "kind": "sw", "spec": "reduce_sum n=4096", "constraints": {"target": t}}
        for t in TARGETS
    ],
    "rationale": "one block, and the kernel on every target",
}


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


@pytest.fixture
def scripted(llm_server: ScriptedLLMServer) -> Settings:
    """Every role answers the same way whatever order the parallel workers ask in."""
    llm_server.route("You are the planner of QiMeng", json.dumps(PLAN))
    llm_server.route("You are a careful RTL designer", RTL)
    llm_server.route("You are a verification engineer", MODEL)
    llm_server.route("You are an expert performance engineer", KERNEL)
    llm_server.route("You are a test engineer", '```json\n[{"n": 7}, {"n": 33}]\n```')
    return load_settings(
        llm_base_url=llm_server.base_url, llm_model="scripted-model", llm_timeout_s=10.0, llm_max_retries=0
    )


def serving(resource: str) -> set[str]:
    return {n["NodeID"] for n in ray.nodes() if n["Alive"] and resource in n["Resources"]}


def run_request(root: Path, settings: Settings, executor: RayExecutor | None) -> dict[str, Any]:
    session = Session(root, llm=LLMClient(settings, backoff_base_s=0.0, jitter=0.0), executor=executor)
    try:
        for _ in session.start(REQUEST, offline=False):
            pass
        values = session.values()
    finally:
        session.close()
    assert values["status"] == "done", values.get("feedback")
    out = {}
    for outcome in [*values["hw_results"], *values["sw_results"]]:
        data = outcome.model_dump(mode="json") if isinstance(outcome, BaseModel) else dict(outcome)
        design = data.get("design") or data  # the design the worker published
        out[data["task"]] = {"status": design["status"], "checks": design["evidence"]["checks"]}
    return out


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """Per task: its status and every check's name and status."""
    return {
        task: (r["status"], [(c["name"], c["status"]) for c in r["checks"]]) for task, r in results.items()
    }


def test_each_tool_call_runs_on_a_node_serving_what_it_needs(
    cluster: Cluster, scripted: Settings, tmp_path: Path
) -> None:
    executor = RayExecutor(retries=1, retry_exceptions=False)
    on_cluster = run_request(tmp_path / "cluster", scripted, executor)
    first = ["hw-1", *(f"sw-{t}" for t in TARGETS)]  # the critic may add rounds (e.g. a slow kernel)
    assert {t: on_cluster[t]["status"] for t in first} == dict.fromkeys(first, "verified")
    placed = 0
    for task, result in on_cluster.items():
        target = next((t for t in TARGETS if task.startswith(f"sw-{t}")), None)
        resource = "tools_hdl" if target is None else f"target_{target}"
        label = "qimeng.dev/tools-hdl" if target is None else f"qimeng.dev/target-{target}"
        for check in result["checks"]:
            if not check["node"]:
                continue  # a judgement made in the agent (accounting, skips), not a tool call
            placed += task in first
            assert check["node"] in serving(resource), (task, check["name"])
            assert check["node_labels"][label] == "true" and check["node_labels"]["host"]
            assert check["target"] == target and check["tool_versions"], (task, check["name"])
    # lint, the interface's design read, diffsim, synth; compile and difftest on each target; the
    # timing on x86_64
    assert placed == 4 + 2 * len(TARGETS) + 1

    in_process = run_request(tmp_path / "local", scripted, None)
    assert verdicts({t: in_process[t] for t in first}) == verdicts({t: on_cluster[t] for t in first})
    assert {c["node"] for r in in_process.values() for c in r["checks"]} <= {"", "local"}

    # the tool cache works across executors: the same request in-process on the cluster run's
    # session root reuses every finished task, evidence (nodes included) and all
    again = run_request(tmp_path / "cluster", scripted, None)
    assert {t: again[t] for t in first} == {t: on_cluster[t] for t in first}


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
        ["design", "reduce_sum n=64", "--target", "cuda", "--offline", "--cluster", cluster.address],
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
