"""The executor a design session's tool calls go to: in this process, or a Ray cluster.

``qimeng design``, ``qimeng chat``, ``qimeng hw design`` and ``qimeng sw design`` take
``--cluster ADDRESS``; without it, the ``ray_address`` setting (``QIMENG_RAY_ADDRESS``) decides.
With neither, every tool runs in-process, exactly as before the seam existed.
"""

from __future__ import annotations

from tools.executor import Executor, InProcessExecutor
from tools.settings import get_settings

TOOL_RETRIES = 2
"""Times a tool call is resubmitted after its worker or node died (its own errors are final)."""


def tool_executor(address: str | None = None) -> Executor:
    """An executor for a session's tool calls.

    Args:
        address: a Ray cluster (``HOST:6379``, ``ray://HOST:10001`` or ``auto``); None falls back
            to the ``ray_address`` setting, and without one to :class:`InProcessExecutor`.

    Raises:
        ClusterUnreachable: when the address cannot be reached.
    """
    where = address or get_settings().ray_address
    if not where:
        return InProcessExecutor()
    from cluster.ray_executor import RayExecutor

    return RayExecutor(where, retries=TOOL_RETRIES, retry_exceptions=False)
