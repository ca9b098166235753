"""The one mapping from qimeng's errors to exit codes and a one-line message.

:class:`tools.errors.UsageError` (a user mistake) exits 2, any other :class:`tools.errors.QimengError`
(a failure the user can act on) exits 1, each printed as ``error: <message>`` on stderr without a
traceback. Every command group is a :class:`QimengGroup`, so a command just raises, whether it runs
under ``qimeng`` or alone (typer's test runner on one group). Ctrl-C (``KeyboardInterrupt``, or
:class:`tools.sandbox.SandboxCancelled` from a sandboxed step it stopped) prints one ``interrupted``
line and exits 130, unless the command already said so itself (then it raised ``typer.Exit(130)``).
A command run with ``--json`` also gets its error as JSON on stdout (``{"error", "kind", "exit_code"}``),
so a script reading stdout sees why there is no result.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from tools.errors import QimengError, UsageError
from tools.sandbox import SandboxCancelled

_err = Console(stderr=True)


def exit_code(exc: QimengError) -> int:
    """2 for a usage error, 1 for any other qimeng error."""
    return 2 if isinstance(exc, UsageError) else 1


def interrupted() -> int:
    """Print that the command was interrupted (Ctrl-C); return its exit code, 130."""
    _err.print("interrupted; finished work is in the run directory", highlight=False)
    return 130


def report(exc: QimengError, as_json: bool = False) -> int:
    """Print ``exc`` as one line on stderr (and, with ``as_json``, as a JSON object on stdout);
    return its exit code."""
    _err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    code = exit_code(exc)
    if as_json:
        kind = "usage" if code == 2 else "failure"
        typer.echo(json.dumps({"error": str(exc), "kind": kind, "exit_code": code}))
    return code


class QimengGroup(TyperGroup):
    """A command group whose commands' qimeng errors end in :func:`report` and its exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]  # typer's own click
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]  # the group's invoke consumes them
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, SandboxCancelled):
            raise typer.Exit(interrupted()) from None
        except QimengError as exc:
            raise typer.Exit(report(exc, as_json="--json" in args)) from None
