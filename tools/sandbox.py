"""Run untrusted programs and tool commands confined by bubblewrap.

The program sees a read-only system (``/usr``, ``/etc``), a private writable work directory
(bound at its own path), a fresh ``/tmp``, no network (its own empty network namespace), its
own PID namespace, and runs as a non-root uid with no capabilities: a uid of its own among
concurrent runs (:mod:`tools._uid_slots`), so the per-uid process limit of one run is not taken
by another. Resource limits (wall time, CPU time, address space, processes, file size, open
files) are set before it starts. The calling process becomes a child subreaper so nothing left
behind outlives the call; :func:`cancel_all` (Ctrl-C) kills every run of the process at once.

Without bubblewrap this module refuses to run anything: untrusted code never runs unconfined.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, Field

from tools._uid_slots import claim_uid
from tools.errors import QimengError
from tools.metrics import record_limit_hits, record_tool_call
from tools.settings import SandboxLimits, get_settings
from tools.tracing import start_span

LimitName = Literal["wall", "cpu", "memory", "nproc", "fsize"]

_PR_SET_CHILD_SUBREAPER = 36
_SYSTEM_RO = ("/usr", "/etc")
_DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
_MEMORY_HINTS = re.compile(
    r"MemoryError|Cannot allocate memory|std::bad_alloc|out of memory|memory exhausted|mmap.*failed",
    re.IGNORECASE,
)
_NPROC_HINTS = re.compile(
    r"Resource temporarily unavailable|fork: retry|BlockingIOError|can(?:no|')t fork", re.I
)
# A shell running the program reports its SIGXFSZ/SIGXCPU death in words, its own exit plain.
_FSIZE_HINTS = re.compile(r"File too large|File size limit exceeded", re.I)
_CPU_HINTS = re.compile(r"CPU time limit exceeded", re.I)


class SandboxError(QimengError):
    """The sandbox cannot run here (bubblewrap or setpriv missing, bad work directory)."""


class SandboxCancelled(QimengError):
    """The process is stopping (Ctrl-C): sandboxed work was killed, and no new run starts."""


class SandboxResult(BaseModel):
    """What happened to one sandboxed run."""

    argv: list[str] = Field(description="The command as run inside the sandbox.")
    exit_code: int | None = Field(description="Exit status, or None when killed by a signal.")
    signal: int | None = Field(None, description="Signal number that ended the program, if any.")
    stdout: str = Field("", description="Standard output, cut to the output limit.")
    stderr: str = Field("", description="Standard error, cut to the output limit.")
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    wall_s: float = Field(description="Wall-clock seconds from start to exit.")
    cpu_s: float = Field(description="User plus system CPU seconds of the program and its children.")
    limits_hit: list[LimitName] = Field(default_factory=list, description="Limits the program ran into.")

    @property
    def ok(self) -> bool:
        """True when the program exited 0 and hit no limit."""
        return self.exit_code == 0 and not self.limits_hit

    @property
    def limit_hit(self) -> LimitName | None:
        """The first limit hit (the most decisive one), or None."""
        return self.limits_hit[0] if self.limits_hit else None

    def describe(self) -> str:
        """One line for a human: how the run ended."""
        if self.limits_hit:
            return f"stopped by the {', '.join(self.limits_hit)} limit after {self.wall_s:.2f}s"
        if self.signal is not None:
            return f"killed by signal {signal.Signals(self.signal).name}"
        return f"exit {self.exit_code} after {self.wall_s:.2f}s"


def bwrap_path() -> str:
    """Path of bubblewrap, or a SandboxError saying how to install it."""
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxError(
            "bubblewrap (bwrap) is not installed; run 'make demo' or 'apt-get install bubblewrap'"
        )
    if shutil.which("setpriv") is None:
        raise SandboxError("setpriv is not installed; 'apt-get install util-linux'")
    return found


def python_binds() -> list[Path]:
    """Read-only paths a sandboxed ``sys.executable`` needs (interpreter and environment)."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(paths)


def run_sandboxed(
    argv: Sequence[str | os.PathLike[str]],
    workdir: Path,
    *,
    limits: SandboxLimits | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    ro_binds: Sequence[Path] = (),
    rw_binds: Sequence[Path] = (),
) -> SandboxResult:
    """Run ``argv`` confined, with ``workdir`` as its private, writable current directory.

    Args:
        argv: the command; ``argv[0]`` is looked up on the sandbox's PATH.
        workdir: an existing directory; it is handed to the sandbox uid.
        limits: resource limits; default from settings.
        env: extra environment variables (the environment is otherwise clean).
        stdin: bytes fed to standard input (none by default).
        ro_binds: extra host paths visible read-only at the same path.
        rw_binds: extra host paths visible writable at the same path (e.g. a compiler cache).

    Raises:
        SandboxError: when bubblewrap is missing or ``workdir`` is not a directory.
    """
    bwrap = bwrap_path()
    lim = limits or get_settings().sandbox
    workdir = workdir.resolve()
    if not workdir.is_dir():
        raise SandboxError(f"work directory {workdir} does not exist")
    _check_not_cancelled()
    program = Path(os.fspath(argv[0])).name
    run = start_span(f"sandbox {program}", {"process.executable.name": program})
    try:
        _become_subreaper()
        with claim_uid(lim.uid, lim.uid_slots, _cancelled.is_set) as uid:
            for path in (workdir, *rw_binds):
                _hand_over(Path(path), uid, lim.uid)
            cmd = _bwrap_command(
                bwrap, [os.fspath(a) for a in argv], workdir, lim, uid, env, ro_binds, rw_binds
            )
            with tempfile.TemporaryDirectory(prefix="qimeng-sbx-") as tmp:
                out_path, err_path = Path(tmp, "stdout"), Path(tmp, "stderr")
                with open(out_path, "wb") as out, open(err_path, "wb") as err:
                    status, rusage, wall, timed_out = _spawn_and_wait(cmd, lim, out, err, stdin)
                cap = lim.output_kb * 1024
                stdout, out_cut = _read_capped(out_path, cap)
                stderr, err_cut = _read_capped(err_path, cap)
        exit_code, sig = _decode_status(status)
        cpu = rusage.ru_utime + rusage.ru_stime
        result = SandboxResult(
            argv=[os.fspath(a) for a in argv],
            exit_code=exit_code,
            signal=sig,
            stdout=stdout,
            stderr=stderr,
            stdout_truncated=out_cut,
            stderr_truncated=err_cut,
            wall_s=wall,
            cpu_s=cpu,
            limits_hit=_limits_hit(timed_out, sig, cpu, stderr + stdout, lim),
        )
        record_tool_call(program, wall)
        record_limit_hits(list(result.limits_hit))
        run.set_attribute("process.exit.code", -1 if exit_code is None else exit_code)
        run.set_attribute("qimeng.limits_hit", list(result.limits_hit))
    finally:
        run.end()
    return result


def cancel_all() -> None:
    """Kill every sandboxed program this process is running, now, and refuse new runs.

    For Ctrl-C: the calls waiting on the killed programs return at once (their threads then
    stop at their next sandboxed call, which raises :class:`SandboxCancelled`).
    """
    _cancelled.set()
    with _live_lock:
        sessions = list(_live)
    for session in sessions:
        _kill_group(session)


def allow_runs() -> None:
    """Let sandboxed programs start again after :func:`cancel_all` (an interactive session's next turn)."""
    _cancelled.clear()


def _check_not_cancelled() -> None:
    if _cancelled.is_set():
        raise SandboxCancelled("stopped: the process was interrupted, no new sandboxed program starts")


def _bwrap_command(
    bwrap: str,
    argv: list[str],
    workdir: Path,
    lim: SandboxLimits,
    uid: int,
    env: Mapping[str, str] | None,
    ro_binds: Sequence[Path],
    rw_binds: Sequence[Path],
) -> list[str]:
    cmd = [bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    cmd += ["--die-with-parent", "--new-session", "--hostname", "sandbox"]
    for path in _SYSTEM_RO:
        cmd += ["--ro-bind", path, path]
    for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            cmd += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            cmd += ["--ro-bind", str(host), str(host)]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    # bwrap creates missing parents of a bind as 0700 root: make them traversable for the uid.
    mounts = [Path(p).resolve() for p in (*ro_binds, *rw_binds, workdir)]
    parents = sorted({a for m in mounts for a in m.parents if len(a.parts) > 1}, key=lambda a: len(a.parts))
    for parent in parents:
        if str(parent) != "/tmp" and not any(parent.is_relative_to(top) for top in _SYSTEM_RO):
            cmd += ["--perms", "0755", "--dir", str(parent)]
    for ro in ro_binds:
        cmd += ["--ro-bind", str(Path(ro).resolve()), str(Path(ro).resolve())]
    for rw in rw_binds:
        cmd += ["--bind", str(Path(rw).resolve()), str(Path(rw).resolve())]
    cmd += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--clearenv"]
    environment = {"PATH": _DEFAULT_PATH, "HOME": str(workdir), "TMPDIR": "/tmp", "LANG": "C.UTF-8"}
    environment.update(env or {})
    for key, value in environment.items():
        cmd += ["--setenv", key, value]
    cmd += ["--", "setpriv", f"--reuid={uid}", f"--regid={lim.uid}", "--clear-groups"]
    cmd += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + argv


def _spawn_and_wait(
    cmd: list[str], lim: SandboxLimits, out: IO[bytes], err: IO[bytes], stdin: bytes | None
) -> tuple[int, resource.struct_rusage, float, bool]:
    def set_limits() -> None:
        mib = 1024 * 1024
        resource.setrlimit(resource.RLIMIT_CPU, (lim.cpu_s, lim.cpu_s + 1))
        resource.setrlimit(resource.RLIMIT_AS, (lim.memory_mb * mib, lim.memory_mb * mib))
        resource.setrlimit(resource.RLIMIT_FSIZE, (lim.fsize_mb * mib, lim.fsize_mb * mib))
        resource.setrlimit(resource.RLIMIT_NPROC, (lim.nproc, lim.nproc))
        resource.setrlimit(resource.RLIMIT_NOFILE, (lim.nofile, lim.nofile))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.umask(0o002)  # group-writable: caches shared by the range's uids (see _hand_over)

    info_r, info_w = os.pipe()
    cmd = [cmd[0], "--info-fd", str(info_w), *cmd[1:]]
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=set_limits,
            start_new_session=True,
            pass_fds=(info_w,),
        )
    finally:
        os.close(info_w)
    session = proc.pid  # bwrap leads a process group of its own
    with _live_lock:
        _live.add(session)
    inner: int | None = None  # pidfd of the namespace's init, which outlives bwrap briefly
    try:
        if _cancelled.is_set():  # cancel_all ran between our check and the spawn
            _kill_group(session)
        if stdin is not None and proc.stdin is not None:
            threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
        exited, inner = _wait_exit(proc.pid, lim.wall_s, info_r)
        timed_out = not exited
        # Kill the group before reaping bwrap: until then its pid (the group's id) cannot be reused.
        _kill_group(session)
        _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
    except BaseException:  # Ctrl-C in the waiting thread: the program must not outlive the call
        if proc.returncode is None:
            _kill_group(session)
            os.wait4(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
        raise
    finally:
        os.close(info_r)
        with _live_lock:
            _live.discard(session)
        _reap_inner(inner)
    _check_not_cancelled()
    return status, rusage, wall, timed_out


def _wait_exit(pid: int, seconds: float, info: int) -> tuple[bool, int | None]:
    """Wait until child ``pid`` (bwrap) exits, left unreaped, or ``seconds`` pass.

    Returns whether it exited, and a pidfd of the init of its PID namespace (read from
    bwrap's ``--info-fd``; None if bwrap never started one). A pidfd poll: interruptible by
    Ctrl-C in the main thread, and safe beside other threads waiting on their own children.
    """
    fd = os.pidfd_open(pid)
    inner: int | None = None
    text = b""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    poller.register(info, select.POLLIN)
    deadline = time.monotonic() + seconds
    exited = False
    try:
        while not exited:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for ready, _ in poller.poll(int(left * 1000) + 1):
                if ready == fd:
                    exited = True
                    continue
                chunk = os.read(info, 4096)
                if not chunk:
                    poller.unregister(info)
                text += chunk
                if inner is None:
                    inner = _open_inner(text)
        return exited, inner
    finally:
        os.close(fd)


def _open_inner(text: bytes) -> int | None:
    try:
        child = int(json.loads(text)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None  # not all written yet
    try:
        return os.pidfd_open(child)
    except ProcessLookupError:
        return None  # already gone (bwrap reaped it)


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass  # the program exited without reading all its input; its status tells the story


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _decode_status(status: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    # bwrap reports a child killed by signal N as exit 128+N.
    if code > 128 and code - 128 < signal.NSIG:
        return None, code - 128
    return code, None


def _limits_hit(
    timed_out: bool, sig: int | None, cpu: float, text: str, lim: SandboxLimits
) -> list[LimitName]:
    hits: list[LimitName] = []
    if timed_out:
        hits.append("wall")
    if (
        sig == signal.SIGXCPU
        or (sig == signal.SIGKILL and not timed_out and cpu >= lim.cpu_s - 0.5)
        or _CPU_HINTS.search(text)
    ):
        hits.append("cpu")
    if sig == signal.SIGXFSZ or _FSIZE_HINTS.search(text):
        hits.append("fsize")
    if _MEMORY_HINTS.search(text):
        hits.append("memory")
    if _NPROC_HINTS.search(text):
        hits.append("nproc")
    return hits


def _read_capped(path: Path, cap: int) -> tuple[str, bool]:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        data = fh.read(cap)
    return data.decode("utf-8", errors="replace"), size > cap


def _hand_over(path: Path, uid: int, gid: int) -> None:
    """Give ``path`` (recursively) to the run's uid and the range's group, group-writable.

    The group lets a cache bound into several concurrent sandboxes (each its own uid) stay
    writable by all of them; programs run with umask 002 so what they add stays so too.
    """
    if os.geteuid() != 0:
        return
    _own(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            _own(Path(root, name), uid, gid)


def _own(path: Path, uid: int, gid: int) -> None:
    try:
        info = path.lstat()
        os.chown(path, uid, gid, follow_symlinks=False)
        if not stat.S_ISLNK(info.st_mode):
            os.chmod(path, stat.S_IMODE(info.st_mode) | (0o070 if stat.S_ISDIR(info.st_mode) else 0o060))
    except FileNotFoundError:
        pass  # removed meanwhile by a concurrent run sharing the bind (a cache's temporary file)


_subreaper_set = False
_cancelled = threading.Event()
_live_lock = threading.Lock()
_live: set[int] = set()  # sessions (bwrap pids) of the runs in progress, for cancel_all
_lingering: set[int] = set()  # pidfds of namespace inits still dying when their call returned


def _become_subreaper() -> None:
    global _subreaper_set
    if _subreaper_set:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SandboxError(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
    _subreaper_set = True


def _reap_inner(pidfd: int | None, grace_s: float = 2.0) -> None:
    """Reap the namespace init a run leaves to us, waiting up to ``grace_s`` for it to die.

    When bwrap exits, its namespace's init (killed with it, and the kernel kills everything
    inside) is re-parented to us, the subreaper. It is reaped through its pidfd, so only this
    run's process is touched, never a concurrent run's or an ordinary ``subprocess`` child.
    One still dying after the grace is kept and reaped by a later call.
    """
    with _live_lock:
        pending = list(_lingering)
        _lingering.clear()
    keep = [pidfd] if pidfd is not None and not _reaped(pidfd, grace_s) else []
    keep += [fd for fd in pending if not _reaped(fd, 0)]
    with _live_lock:
        _lingering.update(keep)


def _reaped(pidfd: int, wait_s: float) -> bool:
    """True (and ``pidfd`` closed) once its process is gone: reaped by us, or not our child."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            done = os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG) is not None
        except ChildProcessError:
            done = True  # bwrap reaped it before exiting
        if done:
            os.close(pidfd)
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        select.select([pidfd], [], [], left)
