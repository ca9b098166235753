"""Campaign files, the result store, local runs, reports and the CLI (no Ray in this module)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cluster.calls import CallResult
from cluster.campaign import CampaignError, load_campaign, plan
from cluster.executor import LocalExecutor, NoNodeForTarget
from cluster.launch import execute, open_campaign
from cluster.ray_executor import ClusterUnreachable, RayExecutor
from cluster.report import build_report
from cluster.store import ResultStore
from ops.cmd_campaign import app
from tools.errors import QimengError, UsageError

FIXTURES = Path(__file__).parent / "fixtures" / "ve"
OPS_CLUSTER = Path(__file__).parents[2] / "ops" / "cluster"


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nbenchmark: [unclosed\n", "c.yaml:3: not valid YAML"),
        (
            "name: x\nbenchmark:\n  kind: synthetic\n  problems: 2\nsamples: 2\ntargets: [x86_64, mips]\n",
            "c.yaml:6: targets: unknown target 'mips'; known targets: aarch64, cuda, riscv64, x86_64",
        ),
        (
            "name: x\nbenchmark:\n  kind: humaneval\n",
            "c.yaml:3: benchmark: unknown benchmark kind; known kinds: hw-design, sw-design, synthetic, verilog-eval",
        ),
        (
            "name: x\nbenchmark: {kind: synthetic, problems: 2}\n\nsampels: 3\n",
            "c.yaml:4: sampels: unknown field",
        ),
        (
            "name: x\nbenchmark:\n  kind: synthetic\n  problems: 0\n",
            "c.yaml:4: benchmark.problems: Input should be greater than 0",
        ),
        ("- just\n- a list\n", "c.yaml:1: a campaign file is a mapping"),
    ],
)
def test_malformed_campaign_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CampaignError) as err:
        load_campaign(write(tmp_path, text))
    assert message in str(err.value)


def test_plan_expands_targets_with_stable_keys_and_resolves_data(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "ve")
    path = write(
        tmp_path,
        "name: ve\nbenchmark: {kind: verilog-eval, data: ve, problems: 'Prob00*'}\ntargets: [x86_64, riscv64]\n",
    )
    campaign, _ = load_campaign(path)
    specs = plan(campaign)
    assert [s.key for s in specs] == [
        "Prob001_add8@x86_64",
        "Prob001_add8@riscv64",
        "Prob002_xor8@x86_64",
        "Prob002_xor8@riscv64",
    ]
    assert specs[0].args["data"] == str((tmp_path / "ve").resolve())
    assert [s.target for s in specs] == ["x86_64", "riscv64", "x86_64", "riscv64"]
    bad = write(tmp_path, "name: ve\nbenchmark: {kind: verilog-eval, data: ve}\nagent: gpt-magic\n", "b.yaml")
    with pytest.raises(UsageError, match="unknown agent 'gpt-magic'; known agents: llm, offline, reference"):
        plan(load_campaign(bad)[0])


def test_store_keeps_one_row_per_sample(tmp_path: Path) -> None:
    store = ResultStore(tmp_path)
    first = CallResult(key="t#0", ok=True, value={"passed": True}, node_id="n1")
    assert store.record("t", 0, first)
    assert not store.record("t", 0, CallResult(key="t#0", ok=False, error="late duplicate"))
    rows = store.rows()
    assert len(rows) == 1 and rows[0].passed is True and rows[0].node_id == "n1"
    assert store.path.with_name("results.sqlite-wal").exists()  # WAL mode


def test_verilog_eval_campaign_runs_locally_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))
    path = write(tmp_path, f"name: ve\nbenchmark: {{kind: verilog-eval, data: {FIXTURES}}}\nsamples: 2\n")
    opened = open_campaign(path, root=tmp_path / "runs")
    seen: list[str] = []
    outcome = execute(opened, LocalExecutor(workers=2), lambda t, s, r: seen.append(f"{t}#{s}"))
    assert outcome.recorded == 4 and outcome.errors == 0
    assert sorted(seen) == ["Prob001_add8#0", "Prob001_add8#1", "Prob002_xor8#0", "Prob002_xor8#1"]
    report = build_report(opened.run, opened.store)
    assert report.pass_at == {"1": 1.0}
    assert report.status.state == "done"
    assert "fixed sampling" in report.sampling_note
    assert (opened.run.path / "pass_at_k.png").read_bytes()[:4] == b"\x89PNG"
    assert (opened.run.path / "sample_times.png").is_file()
    row = opened.store.rows()[0]
    assert row.value is not None and row.value["check"]["name"] == "verilog-eval-testbench"
    # resuming a finished campaign redoes nothing
    again = open_campaign(path, resume=opened.run.id, root=tmp_path / "runs")
    assert execute(again, LocalExecutor()).recorded == 0
    # the CLI reads the same run
    status = CliRunner().invoke(app, ["status", opened.run.id, "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["done"] == 4


def test_cdas_campaign_records_rounds_and_says_so(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: explore\nbenchmark: {kind: synthetic, problems: 6, work: 10}\nsamples: 2\n"
        "sampling: cdas\ncdas: {rounds: 3, per_round: 2}\n",
    )
    opened = open_campaign(path, root=tmp_path / "runs")
    outcome = execute(opened, LocalExecutor())
    assert outcome.recorded == 12
    rows = opened.store.rows()
    assert sorted({r.round for r in rows}) == [0, 1, 2]
    assert all(sum(r.round == k for r in rows) == 4 for k in range(3))
    report = build_report(opened.run, opened.store, plots=False)
    assert "CDAS sampling" in report.sampling_note and "NOT benchmark scores" in report.sampling_note


def test_failing_samples_are_recorded_with_their_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path, "name: f\nbenchmark: {kind: synthetic, problems: 1, always_raise: true}\nretries: 1\n"
    )
    opened = open_campaign(path, root=tmp_path / "runs")
    assert execute(opened, LocalExecutor(retries=1)).errors == 1
    (row,) = opened.store.rows()
    assert row.status == "error"
    assert row.error == "failed after 2 attempt(s): RuntimeError: injected failure in p000#0"


def test_a_changed_campaign_file_cannot_resume_a_run(tmp_path: Path) -> None:
    path = write(tmp_path, "name: f\nbenchmark: {kind: synthetic, problems: 1, work: 1}\n")
    opened = open_campaign(path, root=tmp_path / "runs")
    path.write_text("name: f\nbenchmark: {kind: synthetic, problems: 2, work: 1}\n")
    with pytest.raises(UsageError, match="differs from the campaign that run"):
        open_campaign(path, resume=opened.run.id, root=tmp_path / "runs")
    with pytest.raises(UsageError, match="cannot resume: no run 'nope'"):
        open_campaign(path, resume="nope", root=tmp_path / "runs")


def test_no_node_for_target_fails_before_running(tmp_path: Path) -> None:
    path = write(tmp_path, "name: g\nbenchmark: {kind: synthetic, problems: 1}\ntargets: [cuda]\n")
    opened = open_campaign(path, root=tmp_path / "runs")
    with pytest.raises(NoNodeForTarget, match=r"serves target\(s\) cuda \(resource target_cuda\)"):
        execute(opened, LocalExecutor(targets={"x86_64"}))
    assert opened.store.rows() == []
    assert opened.run.manifest.status == "failed"


def test_unreachable_cluster_and_jobs_server_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(
        ClusterUnreachable, match=r"cannot reach the Ray cluster at 127.0.0.1:9 .*ray start --head"
    ):
        RayExecutor("127.0.0.1:9")
    with pytest.raises(ClusterUnreachable, match="is not HOST:PORT"):
        RayExecutor("nonsense")
    path = write(tmp_path, "name: s\nbenchmark: {kind: synthetic, problems: 1}\n")
    result = CliRunner().invoke(app, ["submit", str(path), "--address", "http://127.0.0.1:9"])
    assert isinstance(result.exception, QimengError)
    assert "cannot reach the Ray Jobs server at http://127.0.0.1:9" in str(result.exception)


def test_cluster_configs_parse_and_declare_targets() -> None:
    ray_up = yaml.safe_load((OPS_CLUSTER / "ray-cluster.yaml").read_text())
    types = ray_up["available_node_types"]
    assert {"head", "gpu", "arm", "riscv-qemu"} <= set(types)
    assert "target_cuda" in types["gpu"]["resources"] and "target_riscv64" in types["riscv-qemu"]["resources"]
    kinds = [
        yaml.safe_load((OPS_CLUSTER / f).read_text())["kind"]
        for f in ("kuberay-raycluster.yaml", "kuberay-rayjob.yaml")
    ]
    assert kinds == ["RayCluster", "RayJob"]
    for example in sorted((OPS_CLUSTER / "examples").glob("*.yaml")):
        load_campaign(example)  # every shipped example validates


def test_ctrl_c_keeps_finished_samples_and_says_how_to_resume(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    path = write(tmp_path, "name: int\nbenchmark: {kind: synthetic, problems: 40, work: 150000}\n")
    env = os.environ | {"QIMENG_RUN_DIR": str(tmp_path / "runs")}
    argv = [
        sys.executable,
        "-m",
        "ops.cmd_campaign",
        "run",
        str(path),
        "--executor",
        "local",
        "--run-id",
        "r1",
    ]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = tmp_path / "runs" / "r1" / "results.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if db.exists() and len(ResultStore(db.parent).rows()) >= 2:
                break
        except sqlite3.OperationalError:
            pass  # the driver is still creating the schema
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"Resume with: qimeng campaign run {path} --resume r1" in " ".join(err.split())
    rows = ResultStore(db.parent).rows()
    assert 2 <= len(rows) < 40 and all(r.status == "ok" for r in rows)
    manifest = json.loads((db.parent / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
