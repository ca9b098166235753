"""Agent events for ``graph.stream(stream_mode=["updates", "custom"])``: which agent, what it did."""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer


def emit(agent: str, event: str, **data: Any) -> None:
    """Send ``{"agent", "event", **data}`` to the custom stream; a no-op outside a graph run."""
    try:
        writer = get_stream_writer()
    except RuntimeError:  # called as a plain function (tests), not inside a graph step
        return
    writer({"agent": agent, "event": event, **data})
