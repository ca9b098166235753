"""Run untrusted programs and tool commands confined by bubblewrap.

The program sees a read-only system (``/usr``, ``/etc``), a private writable work directory
(bound at its own path), a fresh ``/tmp``, no network (its own empty network namespace), its
own PID namespace, and runs as a non-root uid with no capabilities. Resource limits (wall
time, CPU time, address space, processes, file size, open files) are set before it starts.
The calling process becomes a child subreaper so nothing left behind outlives the call.

Without bubblewrap this module refuses to run anything: untrusted code never runs unconfined.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, Field

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
_FSIZE_HINTS = re.compile(r"File too large", re.I)


class SandboxError(QimengError):
    """The sandbox cannot run here (bubblewrap or setpriv missing, bad work directory)."""


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
    program = Path(os.fspath(argv[0])).name
    run = start_span(f"sandbox {program}", {"process.executable.name": program})
    _become_subreaper()
    _hand_over(workdir, lim.uid)
    for path in rw_binds:
        _hand_over(Path(path), lim.uid)
    cmd = _bwrap_command(bwrap, [os.fspath(a) for a in argv], workdir, lim, env, ro_binds, rw_binds)
    with tempfile.TemporaryDirectory(prefix="qimeng-sbx-") as tmp:
        out_path, err_path = Path(tmp, "stdout"), Path(tmp, "stderr")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            status, rusage, wall, timed_out = _spawn_and_wait(cmd, lim, out, err, stdin)
        cap = lim.output_kb * 1024
        stdout, out_cut = _read_capped(out_path, cap)
        stderr, err_cut = _read_capped(err_path, cap)
    _reap_orphans()
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
    run.end()
    return result


def _bwrap_command(
    bwrap: str,
    argv: list[str],
    workdir: Path,
    lim: SandboxLimits,
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
    cmd += ["--", "setpriv", f"--reuid={lim.uid}", f"--regid={lim.uid}", "--clear-groups"]
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

    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=out,
        stderr=err,
        preexec_fn=set_limits,
        start_new_session=True,
    )
    if stdin is not None and proc.stdin is not None:
        threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
    with _live_lock:
        _live.add(proc.pid)
    waited: list[tuple[int, int, resource.struct_rusage]] = []
    waiter = threading.Thread(target=lambda: waited.append(os.wait4(proc.pid, 0)), daemon=True)
    waiter.start()
    waiter.join(lim.wall_s)
    timed_out = waiter.is_alive()
    if timed_out:
        _kill_group(proc.pid)
        waiter.join()
    wall = time.monotonic() - start
    with _live_lock:
        _live.discard(proc.pid)
    _, status, rusage = waited[0]
    proc.returncode = os.waitstatus_to_exitcode(status)
    _kill_group(proc.pid)
    return status, rusage, wall, timed_out


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
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and not timed_out and cpu >= lim.cpu_s - 0.5):
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


def _hand_over(path: Path, uid: int) -> None:
    """Give ``path`` (recursively) to the sandbox uid so the confined program can write there."""
    if os.geteuid() != 0:
        return
    os.chown(path, uid, uid)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, uid, follow_symlinks=False)


_subreaper_set = False
_live_lock = threading.Lock()
_live: set[int] = set()  # our own bwrap children, waited for by their callers


def _become_subreaper() -> None:
    global _subreaper_set
    if _subreaper_set:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SandboxError(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
    _subreaper_set = True


def _reap_orphans(grace_s: float = 2.0) -> None:
    """Wait for processes re-parented to us from sandbox sessions until none is left.

    When the sandbox's PID namespace ends, the kernel kills what remains and we (the subreaper)
    inherit the dying processes. Only children outside our own session are touched, so children
    of ordinary ``subprocess`` calls elsewhere in this process are left to their owners.
    """
    deadline = time.monotonic() + grace_s
    while True:
        orphans = _orphans()
        for pid, state in orphans:
            if state == "Z":
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass  # someone else reaped it first
        if not orphans or time.monotonic() > deadline:
            return
        time.sleep(0.002)


def _orphans() -> list[tuple[int, str]]:
    me, my_sid = os.getpid(), os.getsid(0)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        pid = int(entry.name)
        if len(fields) > 3 and int(fields[1]) == me and int(fields[3]) != my_sid:
            with _live_lock:
                if pid in _live:
                    continue
            found.append((pid, fields[0]))
    return found
