"""A long-lived process that runs sandboxed work gathers no zombies and loses no exit status;
every limit a run hits is named with its setting and value."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools.sandbox import run_sandboxed
from tools.settings import SandboxLimits, Settings

ROOT = Path(__file__).resolve().parents[2]
UID = 61300  # a range of its own: other sandbox tests' processes are not this test's
LIMITS = SandboxLimits(wall_s=5, cpu_s=5, memory_mb=256, nproc=32, fsize_mb=2, uid=UID, uid_slots=4)

# The long-lived process (a server, a campaign driver): sandboxed runs beside plain subprocesses.
SERVER = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    from pathlib import Path
    from tools.sandbox import run_sandboxed
    from tools.settings import SandboxLimits

    limits = SandboxLimits.model_validate_json(sys.argv[2])
    work = Path(sys.argv[1])
    waited = subprocess.Popen(["sh", "-c", "sleep 0.5; exit 5"])  # a child someone waits for
    first = run_sandboxed(["sh", "-c", "sleep 1 & echo ok"], work, limits=limits)
    # a plain subprocess: a shell that double-forks a short-lived grandchild, then exits 7
    plain = subprocess.run(["sh", "-c", "(sleep 0.2 &); exit 7"]).returncode
    second = run_sandboxed(["true"], work, limits=limits)
    status = waited.wait()
    time.sleep(1.5)  # the grandchild has long exited
    me = os.getpid()
    zombies = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[1]) == me and fields[0] == "Z":
                zombies.append(int(entry.name))
    print(json.dumps({"zombies": zombies, "plain": plain, "waited": status,
                      "runs": [first.exit_code, first.stdout.strip(), second.exit_code]}))
    """
)


def test_a_long_lived_process_gathers_no_zombies_and_keeps_exit_codes(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", SERVER, str(work), LIMITS.model_dump_json()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["runs"] == [0, "ok", 0]
    assert got["plain"] == 7, "the plain subprocess's exit code was lost"
    assert got["waited"] == 5, "the exit status of a child that subprocess waits for was taken"
    assert got["zombies"] == [], "orphans re-parented to the long-lived process were never reaped"


def test_a_limit_hit_names_its_setting_and_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_SANDBOX__FSIZE_MB", "2")  # the run's limit is the configured one
    # a writer that ignores write errors: only SIGXFSZ (default action, not ignored) stops it
    endless = "while :; do printf '%01000d' 0 >> big 2>/dev/null; done"
    res = run_sandboxed(["sh", "-c", endless], tmp_path, limits=LIMITS)
    assert res.limits_hit == ["fsize"] and res.signal == signal.SIGXFSZ, res
    assert "fsize limit of 2 MiB (setting sandbox.fsize_mb, QIMENG_SANDBOX__FSIZE_MB)" in res.describe()
    # a step's own limit (a check's time budget) says so, and what the setting is
    timed = run_sandboxed(["sleep", "30"], tmp_path, limits=LIMITS.model_copy(update={"wall_s": 0.5}))
    assert timed.limits_hit == ["wall"]
    assert (
        "wall limit of 0.5 s (this step's own; the setting sandbox.wall_s, QIMENG_SANDBOX__WALL_S is 60 s)"
        in timed.describe()
    )


@pytest.mark.parametrize(
    ("limit", "value"), [("wall", 7.0), ("cpu", 8), ("memory", 900), ("nproc", 40), ("fsize", 3)]
)
def test_each_named_setting_is_the_one_that_raises_the_limit(
    limit: str, value: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variable a message names, set, changes that limit (so the advice is not a dead end)."""
    res = run_sandboxed(["true"], tmp_path, limits=LIMITS)
    said = res.model_copy(update={"limits_hit": [limit], "configured": {}}).describe()
    env_var = said.split(", ")[-1].split(")")[0]
    field = said.split("setting sandbox.")[1].split(",")[0]
    assert env_var == f"QIMENG_SANDBOX__{field.upper()}"
    monkeypatch.setenv(env_var, str(value))
    assert getattr(Settings().sandbox, field) == value
    assert f"{limit} limit of {getattr(LIMITS, field):g} " in said
