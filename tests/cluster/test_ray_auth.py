"""A driver given a token cluster's HOST:PORT (``--ray-address``, ``--cluster``, ``QIMENG_RAY_ADDRESS``)
sends the token that Ray's loader finds, without ``RAY_AUTH_MODE``; a missing or wrong token is one
line (exit 2) saying what to set, at once rather than after Ray's twenty seconds of retries.

One head for the module (``ray start --head --block``, no dashboard) under a private RAY_TMPDIR, with
token authentication on and its token in a private file (never ``~/.ray/auth_token``). It is stopped
by the pids it started, never by ``ray stop``: other Ray clusters may be running on this machine.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

RAY = Path(sys.executable).parent / "ray"


@dataclass
class Head:
    address: str
    temp_dir: Path
    token_path: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    tmp = Path(tempfile.mkdtemp(prefix="ra-", dir="/tmp"))  # short: Ray's socket paths are limited
    token_path = tmp / "token"
    token_path.write_text(secrets.token_hex(32))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env |= {"RAY_TMPDIR": str(tmp), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token_path)}
    log = tmp / "head.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(RAY), "start", "--head", "--block", "--disable-usage-stats", "--num-cpus", "1",
             "--port", str(port), "--include-dashboard", "false"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while "--block" not in log.read_text():  # ray start prints it once the head is up
            assert proc.poll() is None, f"ray start exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"no head on port {port}: {log.read_text()[-2000:]}"
            time.sleep(0.3)
        yield Head(f"127.0.0.1:{port}", tmp, token_path)
    finally:
        pids = mentioning(str(tmp))
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
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "QIMENG_RAY"))}
    return subprocess.Popen(
        [sys.executable, "-m", "ops.cli", *args],
        env=clean | {"COLUMNS": "500"} | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_token_cluster_is_joined_with_the_token_found_and_a_missing_one_is_one_line(
    head: Head, tmp_path: Path
) -> None:
    campaign = tmp_path / "c.yaml"
    campaign.write_text("name: auth\nbenchmark: {kind: synthetic, problems: 1, work: 1}\n")
    home = tmp_path / "home"  # no ~/.ray/auth_token there
    home.mkdir()
    run = ("campaign", "run", str(campaign), "--ray-address", head.address, "--no-metrics")
    design = ("sw", "design", "reduce_sum n=64", "--target", "x86_64", "--offline")
    cases = {
        "token file": (run, {"RAY_AUTH_TOKEN_PATH": str(head.token_path), "HOME": str(home)}),
        "no token": (run, {"HOME": str(home)}),
        "wrong token": (run, {"RAY_AUTH_TOKEN": "not-the-token", "HOME": str(home)}),
        "setting, no token": (design, {"QIMENG_RAY_ADDRESS": head.address, "HOME": str(home)}),
    }
    running = {name: start_qimeng(*args, **env) for name, (args, env) in cases.items()}
    results = {name: (*proc.communicate(timeout=180), proc.returncode) for name, proc in running.items()}

    out, err, code = results.pop("token file")
    assert code == 0, out + err
    assert "1 new sample(s)" in out, out + err
    assert "Unauthenticated" not in err and "Token authentication" not in out + err, err
    needs = f"error: the Ray cluster at {head.address} needs a token and none was found: set RAY_AUTH_TOKEN,"
    expected = {
        "no token": needs,
        "setting, no token": needs,
        "wrong token": f"error: the Ray cluster at {head.address} refused the token from RAY_AUTH_TOKEN;",
    }
    for name, (out, err, code) in results.items():
        assert code == 2, (name, out, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(expected[name]), (name, err)
