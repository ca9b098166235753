"""Defaults for a thread started with only a request, as LangGraph Studio or a ``langgraph_sdk``
client may start one under ``langgraph dev``: where its artifacts go. A :class:`graphs.session.Session`
always gives ``run_root``, so for its threads this node changes nothing."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig

from agents.top.state import QimengState
from tools.runstore import safe_id
from tools.settings import get_settings

SERVED_RUNS = "langgraph"
"""Folder under the settings' run directory for threads started without a ``run_root``."""


def inputs_node(state: QimengState, config: RunnableConfig) -> QimengState:
    """``run_root`` = ``<run_dir>/langgraph/<thread id>`` and ``cache_root`` = ``<run_dir>/langgraph``
    when the input gave no ``run_root``; else nothing.

    Raises:
        UsageError: the thread id is not a safe folder name.
    """
    if state.get("run_root"):
        return {}
    thread = str((config.get("configurable") or {}).get("thread_id") or "no-thread")
    root = get_settings().run_dir / SERVED_RUNS
    return {"run_root": str(root / safe_id(thread, "thread id")), "cache_root": str(root)}
