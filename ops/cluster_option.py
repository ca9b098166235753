"""``--cluster ADDRESS`` for the design commands: where a session's tool calls run.

Without the option the ``ray_address`` setting (``QIMENG_RAY_ADDRESS``) decides; with neither,
tools run in-process and Ray is not even imported.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tools.executor import Executor
from tools.settings import get_settings

ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        metavar="ADDRESS",
        help="Run every tool call as a Ray task on this cluster (HOST:6379, ray://HOST:10001 or auto), "
        "placed on a node serving its target; default: QIMENG_RAY_ADDRESS, else in this process.",
    ),
]


def session_executor(address: str | None) -> Executor | None:
    """The Ray executor for ``address`` (or the setting), or None for in-process tool calls.

    Raises:
        ClusterUnreachable: when the cluster cannot be reached.
    """
    if not (address or get_settings().ray_address):
        return None
    from cluster.session_executor import tool_executor

    return tool_executor(address)
