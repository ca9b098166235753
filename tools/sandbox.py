"""Run untrusted programs and tool commands confined by bubblewrap.

The program sees a read-only system (``/usr``, ``/etc``), a private writable work directory
(bound at its own path), a fresh ``/tmp``, no network (its own empty network namespace), its
own PID namespace, and runs as a non-root uid with no capabilities: a uid of its own among
concurrent runs (:mod:`tools._uid_slots`), so the per-uid process limit of one run is not taken
by another. Resource limits (wall time, CPU time, address space, processes, file size, open
files) are set before it starts; :func:`cancel_all` (Ctrl-C) kills every run of the process at once.

Nothing a run leaves behind outlives the call, and the calling process is never made a child
subreaper: each run goes through a small launcher (:mod:`tools._sandbox_launch`, a direct child
that ``subprocess`` waits for as usual) which is the subreaper of that run alone. bubblewrap is its
child; when bwrap is killed first, its PID namespace's init is re-parented to the launcher, which
reaps it (and anything else re-parented to it) before it exits. A long-lived qimeng process
(``serve web``, ``serve reward``, a campaign) therefore never inherits, and never reaps, the orphans
of its other subprocesses: it cannot take an exit status that ``subprocess`` or a library waits for,
and it gathers no zombies. The launcher costs one short Python start (tens of ms) per run.

Without bubblewrap this module refuses to run anything: untrusted code never runs unconfined.
"""

from __future__ import annotations

import json
import os
import re
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
from typing import IO, Any, Literal

from pydantic import BaseModel, Field

from tools._uid_slots import claim_uid
from tools.errors import QimengError
from tools.metrics import record_limit_hits, record_tool_call
from tools.settings import SandboxLimits, get_settings
from tools.tracing import start_span

LimitName = Literal["wall", "cpu", "memory", "nproc", "fsize"]

# Each limit's field of SandboxLimits (the setting sandbox.<field>) and its unit, for messages.
_LIMIT_SETTINGS: dict[LimitName, tuple[str, str]] = {
    "wall": ("wall_s", "s"),
    "cpu": ("cpu_s", "s"),
    "memory": ("memory_mb", "MiB"),
    "nproc": ("nproc", "processes"),
    "fsize": ("fsize_mb", "MiB"),
}
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
    limit_values: dict[str, float] = Field(
        default_factory=dict,
        description="The value each limit of the run had, by limit name (wall and cpu in seconds, memory "
        "and fsize in MiB, nproc in processes), for messages naming the setting that raises it.",
    )
    configured: dict[str, float] = Field(
        default_factory=dict,
        description="The setting (sandbox.*) of each limit the run had a different value of: limits a "
        "step chose itself (a check's own time budget), so a message does not point at the wrong knob.",
    )

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
            hits = "; ".join(self._limit_note(name) for name in self.limits_hit)
            return f"stopped by the {hits} after {self.wall_s:.2f}s"
        if self.signal is not None:
            return f"killed by signal {signal.Signals(self.signal).name}"
        return f"exit {self.exit_code} after {self.wall_s:.2f}s"

    def _limit_note(self, name: LimitName) -> str:
        """``'fsize limit of 512 MiB (setting sandbox.fsize_mb, QIMENG_SANDBOX__FSIZE_MB)'``.

        A limit the step chose itself (its value differs from the setting) says so and gives the
        setting's value too: raising the setting may then not be what raises the limit.
        """
        field, unit = _LIMIT_SETTINGS[name]
        value = self.limit_values.get(name)
        amount = f" of {value:g} {unit}" if value is not None else ""
        setting = f"sandbox.{field}, QIMENG_SANDBOX__{field.upper()}"
        if name in self.configured:  # the step set this limit itself; say what the setting is
            return f"{name} limit{amount} (this step's own; the setting {setting} is {self.configured[name]:g} {unit})"
        return f"{name} limit{amount} (setting {setting})"


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
        with claim_uid(lim.uid, lim.uid_slots, _cancelled.is_set) as uid:
            for path in (workdir, *rw_binds):
                _hand_over(Path(path), uid, lim.uid)
            cmd = _bwrap_command(
                bwrap, [os.fspath(a) for a in argv], workdir, lim, uid, env, ro_binds, rw_binds
            )
            with tempfile.TemporaryDirectory(prefix="qimeng-sbx-") as tmp:
                out_path, err_path = Path(tmp, "stdout"), Path(tmp, "stderr")
                with open(out_path, "wb") as out, open(err_path, "wb") as err:
                    status, cpu, wall, timed_out = _spawn_and_wait(cmd, lim, out, err, stdin)
                cap = lim.output_kb * 1024
                stdout, out_cut = _read_capped(out_path, cap)
                stderr, err_cut = _read_capped(err_path, cap)
        exit_code, sig = _decode_status(status)
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
            limit_values=_values(lim),
            configured={k: v for k, v in _values(_configured()).items() if _values(lim).get(k, v) != v},
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
) -> tuple[int, float, float, bool]:
    """Run ``cmd`` (bwrap) through the launcher; return its wait status, CPU s, wall s, timed out."""
    limits = {k: getattr(lim, k) for k in ("cpu_s", "memory_mb", "fsize_mb", "nproc", "nofile")}
    report_r, report_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", str(_LAUNCHER), str(report_w), json.dumps(limits), "--", *cmd],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
            pass_fds=(report_w,),
        )
    finally:
        os.close(report_w)
    reader = _Report(report_r)
    session: int | None = None
    try:
        session = int(reader.next_line(None)["pid"])  # bwrap leads a session and group of its own
        start = time.monotonic()
        with _live_lock:
            _live.add(session)
        if _cancelled.is_set():  # cancel_all ran between our check and the spawn
            _kill_group(session)
        if stdin is not None and proc.stdin is not None:
            threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
        done = reader.next_line(lim.wall_s)
        timed_out = not done
        if timed_out:
            _kill_group(session)
            done = reader.next_line(None)
        wall = time.monotonic() - start
    except BaseException:  # Ctrl-C in the waiting thread: the program must not outlive the call
        if session is not None:
            _kill_group(session)
        raise
    finally:
        os.close(report_r)
        if session is not None:
            with _live_lock:
                _live.discard(session)
        _settle(proc)
    _check_not_cancelled()
    return int(done["status"]), float(done["cpu_s"]), wall, timed_out


class _Report:
    """The launcher's JSON lines on a pipe, read with a timeout (a poll: Ctrl-C safe, any fd number)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.poller = select.poll()
        self.poller.register(fd, select.POLLIN)

    def next_line(self, seconds: float | None) -> dict[str, Any]:
        """The next line as a dict, or (after ``seconds``; None waits for ever) an empty dict."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while b"\n" not in self.buffer:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return {}
            if not self.poller.poll(None if left is None else int(left * 1000) + 1):
                continue
            chunk = os.read(self.fd, 4096)
            if not chunk:
                raise SandboxError(
                    f"the sandbox launcher stopped early: {self.buffer.decode(errors='replace')}"
                )
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        said: dict[str, Any] = json.loads(line)
        if "error" in said:
            raise SandboxError(f"the sandbox launcher failed: {said['error']}")
        return said


def _settle(proc: subprocess.Popen[bytes], grace_s: float = 2.0) -> None:
    """Reap the launcher (it exits once it has reaped everything of its run) and any left earlier.

    One still reaping after ``grace_s`` (a namespace init slow to die) is kept and reaped by a
    later call; it is our own direct child, so only we ever wait for it.
    """
    with _live_lock:
        pending = list(_lingering)
        _lingering.clear()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        pending.append(proc)
    keep = [p for p in pending if p.poll() is None]
    with _live_lock:
        _lingering.extend(keep)


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


def _values(lim: SandboxLimits | None) -> dict[str, float]:
    """Each limit's value in ``lim``, by limit name (none without ``lim``)."""
    if lim is None:
        return {}
    return {name: float(getattr(lim, field)) for name, (field, _) in _LIMIT_SETTINGS.items()}


def _configured() -> SandboxLimits | None:
    """The configured limits, or None when the settings cannot be read (the caller passed its own)."""
    try:
        return get_settings().sandbox
    except QimengError:
        return None


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


_LAUNCHER = Path(__file__).with_name("_sandbox_launch.py")
_cancelled = threading.Event()
_live_lock = threading.Lock()
_live: set[int] = set()  # sessions (bwrap pids) of the runs in progress, for cancel_all
_lingering: list[subprocess.Popen[bytes]] = []  # launchers still reaping when their call returned
