"""``qimeng campaign submit`` against a live Ray head, run as a user runs it (the CLI in a subprocess).

One head for the module: ``ray start --head --block`` with its dashboard, under a private temp dir,
with token authentication on and its token in a private file (never ``~/.ray/auth_token``, which
other Ray clusters on this machine would pick up). The submitter finds the token through
``RAY_AUTH_TOKEN_PATH`` alone, without ``RAY_AUTH_MODE``. The head is stopped by the pids it
started, never by ``ray stop``: other Ray clusters may be running on this machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ray.job_submission import JobStatus, JobSubmissionClient
from typer.testing import CliRunner

from cluster.ray_executor import ClusterUnreachable
from cluster.store import ResultStore
from ops.cmd_campaign import app
from tools.errors import UsageError

RAY = Path(sys.executable).parent / "ray"


@dataclass
class Head:
    address: str
    temp_dir: Path
    token_path: Path
    log: Path


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def mentioning(text: str) -> set[int]:
    pids = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                pids.add(int(cmdline.parent.name))
        except OSError:
            continue
    return pids - {os.getpid()}


@pytest.fixture(scope="module")
def head() -> Iterator[Head]:
    # RAY_TMPDIR, not --temp-dir: the head then records its address in $RAY_TMPDIR/ray, where a
    # driver given --ray-address auto looks (else it takes any Ray on this machine)
    tmp = Path(tempfile.mkdtemp(prefix="rj-", dir="/tmp"))  # short: Ray's socket paths are limited
    token_path = tmp / "token"
    token_path.write_text(secrets.token_hex(32))
    gcs, dash, agent, client = free_ports(4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env |= {"RAY_TMPDIR": str(tmp), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token_path)}
    log = tmp / "head.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(RAY), "start", "--head", "--block", "--disable-usage-stats", "--num-cpus", "2",
             "--port", str(gcs), "--include-dashboard", "true",
             "--dashboard-host", "127.0.0.1", "--dashboard-port", str(dash),
             "--dashboard-agent-listen-port", str(agent), "--ray-client-server-port", str(client)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    address = f"http://127.0.0.1:{dash}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"ray start exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"no dashboard at {address}: {log.read_text()[-2000:]}"
            try:
                urllib.request.urlopen(f"{address}/api/version", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # it answers (401 without a token)
            except OSError:
                time.sleep(0.5)
        yield Head(address, tmp, token_path, log)
    finally:
        pids = descendants(proc.pid) | mentioning(str(tmp))
        proc.send_signal(signal.SIGTERM)  # --block: ray start stops the processes it started
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        time.sleep(1)
        for pid in pids | mentioning(str(tmp)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


def start_qimeng(*args: str, **env: str) -> subprocess.Popen[str]:
    """The qimeng CLI as a user runs it; no Ray variables but ``env``, lines up to 500 columns."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")} | {"COLUMNS": "500"}
    return subprocess.Popen(
        [sys.executable, "-m", "ops.cli", *args],
        env=clean | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def qimeng(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    proc = start_qimeng(*args, **env)
    stdout, stderr = proc.communicate(timeout=180)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def jobs(head: Head) -> JobSubmissionClient:
    return JobSubmissionClient(
        head.address, headers={"Authorization": f"Bearer {head.token_path.read_text()}"}
    )


def count_rows(run: Path) -> int:
    if not (run / ResultStore.FILENAME).exists():
        return 0
    store = ResultStore(run)
    try:
        return len(store.rows())
    finally:
        store.close()


def test_submitted_campaign_runs_on_the_head_and_resumes_after_a_stop(head: Head, tmp_path: Path) -> None:
    run_dir = Path(os.environ["QIMENG_RUN_DIR"]).resolve()
    killed = tmp_path / "killed"
    killed.mkdir()
    campaign = tmp_path / "drill.yaml"
    campaign.write_text(
        "name: job-drill\n"
        f"benchmark: {{kind: synthetic, problems: 2, work: 1500000, kill_once_dir: {killed}}}\n"
        "samples: 2\nretries: 2\n"
    )
    token = {"RAY_AUTH_TOKEN_PATH": str(head.token_path)}
    first = qimeng("campaign", "submit", str(campaign), "--address", head.address, **token)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr and "Token authentication" not in first.stderr
    said = first.stdout.splitlines()
    cid = said[0].split()[2]  # submitted job <id> (campaign job-drill) to <address>
    assert said[0] == f"submitted job {cid} (campaign job-drill) to {head.address}" and cid.startswith(
        "job-drill-"
    )
    run = run_dir / cid
    assert said[1] == f"results: {run}"
    assert said[2].startswith(
        f"follow it: RAY_AUTH_MODE=token ray job logs --address {head.address} --follow {cid}"
    )

    # stop the job once some samples are stored: the run must resume from there
    client, deadline = jobs(head), time.monotonic() + 120
    while count_rows(run) < 1:
        assert time.monotonic() < deadline, client.get_job_logs(cid)
        time.sleep(0.3)
    shipped = client.get_job_info(cid).runtime_env
    assert len(shipped["py_modules"]) == 7 and all(m.startswith("gcs://") for m in shipped["py_modules"])
    client.stop_job(cid)
    while client.get_job_status(cid) != JobStatus.STOPPED:
        assert time.monotonic() < deadline, client.get_job_status(cid)
        time.sleep(0.3)
    before = {(r.task, r.sample): r.finished for r in ResultStore(run).rows()}
    assert len(before) >= 1

    home = tmp_path / "home"  # this time the token is where Ray's CLI looks by default
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text(head.token_path.read_text())
    again = qimeng(
        "campaign", "submit", str(campaign), "--address", head.address, "--wait", "--json", HOME=str(home)
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Traceback" not in again.stderr and "Token authentication" not in again.stderr
    job = json.loads(again.stdout)  # the job's logs went to stderr
    assert (job["job_id"], job["run_id"], job["status"]) == (f"{cid}-r2", cid, "SUCCEEDED")
    assert job["run_dir"] == str(run_dir)
    assert f"run {cid}: {4 - len(before)} new sample(s), {len(before)} already done" in again.stderr

    rows = ResultStore(run).rows()
    assert sorted((r.task, r.sample) for r in rows) == [(f"p{i:03d}", s) for i in range(2) for s in range(2)]
    assert all(r.status == "ok" for r in rows), [r.error for r in rows]
    assert {(r.task, r.sample): r.finished for r in rows if (r.task, r.sample) in before} == before
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "done"
    assert manifest["summary"]["already_done"] == len(before)
    assert manifest["summary"]["recorded"] == 4 - len(before)
    # the first attempt of every sample killed its worker; Ray ran each again
    assert len(list(killed.glob("*.killed"))) == 4

    status = CliRunner().invoke(app, ["status", cid, "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["done"] == 4


def test_token_and_address_mistakes_are_one_line_errors_and_ray_notices_stay_out(
    head: Head, tmp_path: Path
) -> None:
    campaign = tmp_path / "c.yaml"
    campaign.write_text("name: mistakes\nbenchmark: {kind: synthetic, problems: 1, work: 1}\n")
    home = tmp_path / "home"  # no ~/.ray/auth_token there
    home.mkdir()
    cases = {
        "wrong token": {"RAY_AUTH_TOKEN": "not-the-token"},
        "no token": {"HOME": str(home)},
        "bad token path": {"RAY_AUTH_TOKEN_PATH": str(home / "missing")},
    }
    running = {
        name: start_qimeng("campaign", "submit", str(campaign), "--address", head.address, **env)
        for name, env in cases.items()
    }
    # a driver that finds the cluster and its token by itself, RAY_AUTH_MODE unset: Ray's notice
    # "Token authentication is enabled for this Ray cluster" must not reach the user
    run = start_qimeng(
        "campaign", "run", str(campaign), "--ray-address", "auto", "--no-metrics",
        RAY_TMPDIR=str(head.temp_dir), RAY_AUTH_TOKEN_PATH=str(head.token_path),
    )  # fmt: skip
    results = {name: (*proc.communicate(timeout=180), proc.returncode) for name, proc in running.items()}
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, err
    assert "1 new sample(s)" in out and "Token authentication" not in out + err, out + err
    expected = {
        "wrong token": f"the Ray Jobs server at {head.address} refused the token from RAY_AUTH_TOKEN;",
        "no token": f"the Ray Jobs server at {head.address} needs a token and none was found: set",
        "bad token path": f"RAY_AUTH_TOKEN_PATH is set but file cannot be opened or is empty: {home}/missing",
    }
    for name, (stdout, stderr, code) in results.items():
        assert code == 1, (name, stdout, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (name, stderr)
        assert expected[name] in lines[0], (name, lines[0])

    (closed,) = free_ports(1)
    result = CliRunner().invoke(app, ["submit", str(campaign), "--address", f"http://127.0.0.1:{closed}"])
    assert isinstance(result.exception, ClusterUnreachable)
    assert f"cannot reach the Ray Jobs server at http://127.0.0.1:{closed} (" in str(result.exception)
    result = CliRunner().invoke(app, ["submit", str(campaign), "--address", "127.0.0.1:8265"])
    assert isinstance(result.exception, UsageError)
    assert "must look like http://HEAD:8265" in str(result.exception)
    result = CliRunner().invoke(
        app, ["submit", str(campaign), "--address", head.address, "--run-dir", "runs"]
    )
    assert isinstance(result.exception, UsageError)
    assert "--run-dir 'runs' is relative; give an absolute path on the head" in str(result.exception)
    relative = tmp_path / "ve.yaml"
    relative.write_text("name: ve\nbenchmark: {kind: verilog-eval, data: ../ve}\n")
    result = CliRunner().invoke(app, ["submit", str(relative), "--address", head.address])
    assert isinstance(result.exception, UsageError)
    assert "benchmark.data '../ve' is relative; a job reads it on the cluster" in str(result.exception)
