"""The sandbox contains hostile programs, each with a clear verdict, and leaves nothing behind."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from tools.sandbox import SandboxError, python_binds, run_sandboxed
from tools.settings import SandboxLimits

# A uid of its own, so the "nothing outlives the call" checks see only this test's processes.
TEST_UID = 61234
LIMITS = SandboxLimits(wall_s=3, cpu_s=2, memory_mb=256, nproc=32, fsize_mb=16, uid=TEST_UID)


def processes_of(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except FileNotFoundError:
                continue
    return found


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def nothing_outlives() -> object:
    yield
    assert processes_of(TEST_UID) == [], "a sandboxed process outlived its call"


def run(argv: list[str], workdir: Path, **kw: object) -> object:
    return run_sandboxed(argv, workdir, limits=kw.pop("limits", LIMITS), **kw)  # type: ignore[arg-type]


def test_ordinary_program_runs_as_non_root(workdir: Path) -> None:
    res = run_sandboxed(["sh", "-c", "id -u; echo out > f; cat f"], workdir, limits=LIMITS)
    assert res.ok, res
    assert res.stdout.split() == [str(TEST_UID), "out"]
    assert (workdir / "f").read_text() == "out\n"


def test_infinite_loop_stops_at_wall_limit(workdir: Path) -> None:
    limits = LIMITS.model_copy(update={"wall_s": 1.0, "cpu_s": 30})
    res = run_sandboxed(["sh", "-c", "while :; do :; done"], workdir, limits=limits)
    assert res.limits_hit == ["wall"]
    assert not res.ok
    assert 1.0 <= res.wall_s < 5
    assert "wall limit" in res.describe()


def test_cpu_hog_stops_at_cpu_limit(workdir: Path) -> None:
    limits = LIMITS.model_copy(update={"wall_s": 20, "cpu_s": 1})
    res = run_sandboxed(["sh", "-c", "while :; do :; done"], workdir, limits=limits)
    assert "cpu" in res.limits_hit
    assert res.wall_s < 10


def test_fork_bomb_is_contained(workdir: Path) -> None:
    limits = LIMITS.model_copy(update={"wall_s": 2.0})
    res = run_sandboxed(["sh", "-c", "b() { b | b & }; b; sleep 30"], workdir, limits=limits)
    assert not res.ok
    assert "nproc" in res.limits_hit or "wall" in res.limits_hit
    assert len(processes_of(TEST_UID)) == 0


def test_memory_hog_hits_memory_limit(workdir: Path) -> None:
    code = "x = bytearray(1 << 30); print(len(x))"
    res = run_sandboxed(
        [sys.executable, "-c", code],
        workdir,
        limits=LIMITS.model_copy(update={"memory_mb": 512}),
        ro_binds=python_binds(),
    )
    assert res.exit_code != 0
    assert "memory" in res.limits_hit
    assert "MemoryError" in res.stderr


def test_ten_gigabyte_write_hits_file_size_limit(workdir: Path) -> None:
    res = run(["dd", "if=/dev/zero", "of=big", "bs=1M", "count=10240"], workdir)
    assert "fsize" in res.limits_hit
    assert (workdir / "big").stat().st_size <= LIMITS.fsize_mb * 1024 * 1024


def test_no_network_even_to_host_loopback(workdir: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(3)
    port = server.getsockname()[1]
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(_try_accept(server)), daemon=True).start()
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2); print('connected')"
    res = run([sys.executable, "-c", code], workdir, ro_binds=python_binds())
    server.close()
    assert res.exit_code != 0
    assert "connected" not in res.stdout
    assert "ConnectionRefusedError" in res.stderr or "Network is unreachable" in res.stderr
    assert accepted in ([], [None])


def _try_accept(server: socket.socket) -> object:
    try:
        return server.accept()
    except OSError:
        return None


def test_cannot_read_shadow(workdir: Path) -> None:
    res = run(["cat", "/etc/shadow"], workdir)
    assert res.exit_code != 0
    assert "root:" not in res.stdout
    assert "Permission denied" in res.stderr


def test_cannot_write_outside_its_directory(workdir: Path) -> None:
    outside = workdir.parent / "outside.txt"
    res = run(["sh", "-c", f"echo x > {outside}; echo y > /usr/evil; echo z > /etc/evil"], workdir)
    assert res.exit_code != 0
    assert not outside.exists()
    assert not Path("/usr/evil").exists() and not Path("/etc/evil").exists()


def test_children_left_behind_are_killed(workdir: Path) -> None:
    res = run(["sh", "-c", "setsid sleep 300 & nohup sleep 301 >/dev/null 2>&1 & echo started"], workdir)
    assert res.exit_code == 0
    assert res.stdout.strip() == "started"
    # the autouse fixture asserts no process of the sandbox uid survives


def test_output_is_cut_to_the_bound(workdir: Path) -> None:
    limits = LIMITS.model_copy(update={"output_kb": 4})
    res = run_sandboxed(["sh", "-c", "yes | head -c 100000"], workdir, limits=limits)
    assert res.exit_code == 0
    assert res.stdout_truncated
    assert len(res.stdout) == 4096


def test_refuses_without_bubblewrap(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxError, match="bubblewrap \\(bwrap\\) is not installed"):
        run_sandboxed(["true"], workdir, limits=LIMITS)


def test_environment_is_clean(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SECRET_TOKEN", "hunter2")
    res = run(["env"], workdir, env={"GIVEN": "1"})
    assert "hunter2" not in res.stdout
    assert "GIVEN=1" in res.stdout
    assert os.environ["MY_SECRET_TOKEN"] == "hunter2"
