"""Each concurrent sandboxed run gets a uid of its own, claimed with a lock every process sees.

RLIMIT_NPROC counts the processes of a uid, not of a process tree: were every sandbox the same
uid, a fork bomb in one would leave no processes for the others (a correct program beside it
would fail with 'setpriv: failed to execute'). So the sandbox's uids are a range
``[base, base + slots)``; a run holds one of them, by an exclusive ``flock`` on a file per uid
under :data:`LOCK_DIR`, for as long as anything of it may live. Two threads of one process, or
two processes (two Ray workers), never hold the same uid. All the range shares one group (the
base uid), so writable caches bound into several sandboxes stay writable by each.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.errors import QimengError

LOCK_DIR = Path("/tmp/qimeng-sandbox-uids")
"""One lock file per uid; outside every sandbox (each has a fresh ``/tmp`` of its own)."""
_POLL_S = 0.02


class UidSlotError(QimengError):
    """The lock directory cannot be used."""


@contextmanager
def claim_uid(base: int, slots: int, cancelled: Callable[[], bool] = lambda: False) -> Iterator[int]:
    """Hold one uid of ``[base, base + slots)`` that no other holder has, waiting for one if needed.

    Args:
        base: first uid of the range (also the range's shared group).
        slots: how many uids the range has.
        cancelled: polled while waiting for a free uid; True stops the wait with
            ``KeyboardInterrupt``.

    Raises:
        UidSlotError: the lock directory exists but is not a directory of ours.
    """
    _lock_dir()
    start = random.randrange(slots)  # spread concurrent claimants over the range
    while True:
        for i in range(slots):
            uid = base + (start + i) % slots
            fd = os.open(LOCK_DIR / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield uid
            finally:
                os.close(fd)  # closing the descriptor drops the lock
            return
        if cancelled():
            raise KeyboardInterrupt
        time.sleep(_POLL_S)


def _lock_dir() -> None:
    try:
        LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    except FileExistsError:
        pass
    info = LOCK_DIR.lstat()
    if not LOCK_DIR.is_dir() or LOCK_DIR.is_symlink() or info.st_uid != os.geteuid():
        raise UidSlotError(
            f"{LOCK_DIR} must be a directory owned by uid {os.geteuid()} (it holds the sandbox's uid locks); "
            "remove it"
        )
