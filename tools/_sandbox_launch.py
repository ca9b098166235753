"""The launcher of one sandboxed run: a child subreaper between qimeng and bubblewrap.

Run by :mod:`tools.sandbox` as ``python -I -S _sandbox_launch.py REPORT_FD LIMITS_JSON -- BWRAP...``
(standard library only, no qimeng import: it starts in milliseconds). It

1. makes itself a child subreaper and dies with the thread that started it (``PR_SET_PDEATHSIG``,
   so bubblewrap's ``--die-with-parent`` then takes the sandbox down too);
2. forks bubblewrap into a session and process group of its own (the group qimeng kills on a
   timeout or Ctrl-C), with the run's resource limits, and writes ``{"pid": N}`` to REPORT_FD;
3. waits for bubblewrap, kills what is left of its group, reaps it, and writes
   ``{"status": S, "cpu_s": C}`` (its wait status and the CPU seconds of it and its children);
4. reaps every other process re-parented to it (bubblewrap's PID-namespace init, when bubblewrap
   was killed before it) until it has no child left, then exits 0.

So nothing a run leaves behind outlives it, and qimeng's own process never becomes a subreaper:
orphans of its other subprocesses go where they would without qimeng, and no exit status that
``subprocess`` or a library waits for is ever taken. A launch failure is one line
``{"error": "..."}`` on REPORT_FD.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_MIB = 1024 * 1024


def _say(fd: int, what: dict[str, object]) -> None:
    try:
        os.write(fd, (json.dumps(what) + "\n").encode())
    except OSError:
        pass  # qimeng stopped listening; the reaping below must still happen


def _exec_bwrap(argv: list[str], limits: dict[str, int]) -> None:
    """In the forked child: a session of its own, the run's limits, then bubblewrap (never returns)."""
    try:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits["memory_mb"] * _MIB, limits["memory_mb"] * _MIB))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize_mb"] * _MIB, limits["fsize_mb"] * _MIB))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits["nofile"], limits["nofile"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.umask(0o002)  # group-writable: caches shared by the range's uids
        # Python ignores SIGPIPE and SIGXFSZ, and ignored signals stay ignored across exec: restore
        # them (as subprocess does), or a program past the file-size limit loops on EFBIG instead of dying.
        for sig in (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        os.execv(argv[0], argv)
    except BaseException as exc:  # the child must never return into the launcher
        os.write(2, f"sandbox launcher: cannot start {argv[0]}: {exc}\n".encode())
    os._exit(127)


def main(args: list[str]) -> int:
    """Launch, wait, reap (see the module docstring); the exit code is 0 unless the launch failed."""
    report = int(args[0])
    limits = json.loads(args[1])
    argv = args[3:]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is qimeng's to handle, not ours
    os.set_inheritable(report, False)
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getppid()
    if (
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0
        or libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0
    ):
        _say(report, {"error": f"prctl failed: {os.strerror(ctypes.get_errno())}"})
        return 1
    if os.getppid() != parent:  # qimeng died before PDEATHSIG was armed
        return 1
    pid = os.fork()
    if pid == 0:
        _exec_bwrap(argv, limits)
    for fd in (0, 1, 2):  # the program's; holding stdin's pipe would block qimeng's feeder forever
        os.close(fd)
    _say(report, {"pid": pid})
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    try:
        os.killpg(pid, signal.SIGKILL)  # before reaping bwrap: until then its pid names the group
    except (ProcessLookupError, PermissionError):
        pass
    _, status, usage = os.wait4(pid, 0)
    _say(report, {"status": status, "cpu_s": usage.ru_utime + usage.ru_stime})
    os.close(report)
    while True:  # the namespace init, re-parented to us if bwrap died first
        try:
            os.wait()
        except ChildProcessError:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
