"""A design session killed with SIGKILL mid-run resumes from its checkpoint to the same result."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REQUEST = "dot-product accelerator with lanes 2,4 under a budget of 2000 cells and the GEMM kernel 2x4x2 that uses it"


def _design(root: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ops.cmd_design",
        "design",
        *args,
        "--offline",
        "--run-dir",
        str(root),
        "--json",
    ]


def _checkpoints(db: Path) -> int:
    if not db.is_file():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_killed_session_resumes_without_redoing_finished_tool_work(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        _design(tmp_path, REQUEST, "--thread", "k1"), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    cache = tmp_path / "cache"
    deadline = time.monotonic() + 120
    # kill once the hardware results are checkpointed (cached) but before the run can finish
    while time.monotonic() < deadline and proc.poll() is None:
        if _checkpoints(tmp_path / "sessions.sqlite") >= 4 and len(list(cache.glob("*.json"))) >= 2:
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "k1" / "report.json").exists()

    resumed = subprocess.run(
        _design(tmp_path, "--thread", "k1", "--resume"), cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr
    after = json.loads(resumed.stdout)
    assert after["thread"] == "k1" and after["status"] == "done"
    # the two accelerators were built once, before the kill: no hardware run was redone
    assert after["cost"]["hardware"]["steps"] == 2
    assert len([p for p in (tmp_path / "k1").iterdir() if (p / "manifest.json").is_file()]) == 2

    fresh = subprocess.run(
        _design(tmp_path, REQUEST, "--thread", "k2"), cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert fresh.returncode == 0, fresh.stderr
    clean = json.loads(fresh.stdout)
    assert after["chosen"] == clean["chosen"] == 4
    assert after["rows"] == clean["rows"]
