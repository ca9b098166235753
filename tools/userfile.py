"""Reading a file a user names on the command line: one clear error for every way it can be wrong.

Every command that takes a text file (``@FILE`` requests, RTL, kernels, references, campaign files)
reads it through :func:`read_user_text`, so a directory, a binary file, a file in another encoding or
a huge file gives the same one-line :class:`~tools.errors.UsageError` everywhere, never a traceback.
"""

from __future__ import annotations

import stat
from pathlib import Path

from tools.errors import UsageError

MAX_TEXT_BYTES = 4 * 2**20
"""Largest text file a command reads (4 MiB): specs, sources and campaign files are far smaller."""


def read_user_text(path: Path, what: str = "file", *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of ``path``.

    ``what`` names the file in errors ("spec file", "reference", ...).

    Raises:
        UsageError: the path does not exist, is a directory or not a regular file, is empty, is larger
            than ``max_bytes``, holds binary data (a NUL byte) or is not UTF-8; the message names the
            file and what is allowed.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist; give an existing text file") from None
    except OSError as exc:
        raise UsageError(f"{what} {path} cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{what} {path} is a directory; give a text file")
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{what} {path} is not a regular file (device, FIFO or socket); give a text file")
    if info.st_size > max_bytes:
        raise UsageError(
            f"{what} {path} is {info.st_size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB "
            "limit for text inputs"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{what} {path} cannot be read: {exc.strerror}") from None
    if b"\0" in data:
        raise UsageError(f"{what} {path} is a binary file; give UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{what} {path} is not UTF-8 text (bad byte at offset {exc.start}); convert it to UTF-8"
        ) from None
    if not text.strip():
        raise UsageError(f"{what} {path} is empty")
    return text


def read_at_arg(value: str, what: str = "request file") -> str:
    """``value`` itself, or the text of the file it names when it starts with ``@`` (see
    :func:`read_user_text`)."""
    return read_user_text(Path(value[1:]), what) if value.startswith("@") else value
