"""The sandbox contains hostile programs, each with a clear verdict, and leaves nothing behind."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools import sandbox
from tools.sandbox import (
    SandboxCancelled,
    SandboxError,
    SandboxResult,
    cancel_all,
    python_binds,
    run_sandboxed,
)
from tools.settings import SandboxLimits

# A uid range of its own, so the "nothing outlives the call" checks see only this test's processes.
TEST_UID = 61234
SLOTS = 8
LIMITS = SandboxLimits(wall_s=3, cpu_s=2, memory_mb=256, nproc=32, fsize_mb=16, uid=TEST_UID, uid_slots=SLOTS)
TEST_UIDS = range(TEST_UID, TEST_UID + SLOTS)


def processes_of(uids: range) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    found.append(int(entry.name))
            except FileNotFoundError:
                continue
    return found


def zombie_children() -> list[int]:
    """Our own children that died unreaped (the sandbox must reap what it inherits)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] == "Z":
                found.append(int(entry.name))
    return found


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def nothing_outlives() -> object:
    # zombies of earlier tests' own subprocesses (not yet waited for) are not the sandbox's
    before = set(zombie_children())
    yield
    assert processes_of(TEST_UIDS) == [], "a sandboxed process outlived its call"
    assert sorted(set(zombie_children()) - before) == [], "the sandbox left a child unreaped"


def run(argv: list[str], workdir: Path, **kw: object) -> SandboxResult:
    return run_sandboxed(argv, workdir, limits=kw.pop("limits", LIMITS), **kw)  # type: ignore[arg-type]


def test_ordinary_program_runs_as_non_root(workdir: Path) -> None:
    res = run_sandboxed(["sh", "-c", "id -u; echo out > f; cat f"], workdir, limits=LIMITS)
    assert res.ok, res
    uid, out = res.stdout.split()
    assert int(uid) in TEST_UIDS and out == "out"
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
    assert len(processes_of(TEST_UIDS)) == 0


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


def test_fork_bombs_do_not_starve_a_concurrent_run(tmp_path: Path) -> None:
    # RLIMIT_NPROC counts per uid: sharing one uid, the bombs took every process of the correct run.
    limits = LIMITS.model_copy(update={"wall_s": 4.0, "nproc": 16})
    bomb = ["sh", "-c", "b() { b | b & }; b; sleep 30"]
    results: dict[str, SandboxResult] = {}

    def go(name: str, argv: list[str], delay: float) -> None:
        work = tmp_path / name
        work.mkdir()
        threading.Event().wait(delay)
        results[name] = run_sandboxed(argv, work, limits=limits)

    jobs = [("bomb1", bomb, 0.0), ("bomb2", bomb, 0.0)]
    jobs += [
        (f"good{i}", ["sh", "-c", "id -u; for i in 1 2 3 4; do (echo $i) ; done"], 0.7) for i in range(3)
    ]
    threads = [threading.Thread(target=go, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uids = set()
    for i in range(3):
        good = results[f"good{i}"]
        assert good.ok, good
        uid, *counts = good.stdout.split()
        assert counts == ["1", "2", "3", "4"]
        uids.add(int(uid))
    assert not results["bomb1"].ok and not results["bomb2"].ok
    assert len(uids) == 3, "concurrent runs shared a uid"


def test_many_threads_run_sandboxed_at_once(tmp_path: Path) -> None:
    # Each thread waits only for its own child: none may reap another's (ChildProcessError, IndexError).
    def one(i: int) -> tuple[int, str]:
        work = tmp_path / f"w{i}"
        work.mkdir()
        argv = ["sh", "-c", f"echo {i}; exit {i % 3}"] if i % 4 else ["false"]
        res = run_sandboxed(argv, work, limits=LIMITS)
        return res.exit_code if res.exit_code is not None else -1, res.stdout.strip()

    with ThreadPoolExecutor(max_workers=12) as pool:
        got = list(pool.map(one, range(48)))
    for i, (code, out) in enumerate(got):
        assert (code, out) == ((i % 3, str(i)) if i % 4 else (1, ""))


def test_cancel_all_stops_runs_in_other_threads_at_once(workdir: Path) -> None:
    limits = LIMITS.model_copy(update={"wall_s": 30.0, "cpu_s": 30})
    errors: list[BaseException] = []

    def sleeper() -> None:
        try:
            run_sandboxed(["sleep", "25"], workdir, limits=limits)
        except BaseException as exc:  # the test inspects what the thread raised
            errors.append(exc)

    thread = threading.Thread(target=sleeper)
    thread.start()
    threading.Event().wait(1.0)
    start = time.monotonic()
    try:
        cancel_all()
        thread.join(10)
        assert not thread.is_alive()
        assert time.monotonic() - start < 5
        assert len(errors) == 1 and isinstance(errors[0], SandboxCancelled), errors
        with pytest.raises(SandboxCancelled, match="interrupted"):
            run_sandboxed(["true"], workdir, limits=LIMITS)
    finally:
        sandbox._cancelled.clear()
