"""Errors that are part of the interface: each says what was wrong and what is allowed.

The CLI prints them without a traceback: :class:`UsageError` exits 2, any other
:class:`QimengError` exits 1.
"""

from __future__ import annotations


class QimengError(Exception):
    """A failure the user can understand and act on."""


class UsageError(QimengError):
    """The user asked for something malformed or unknown (exit code 2)."""


class ToolMissing(QimengError):
    """An external program the command needs is not installed."""
