"""One line per step of the software subgraph, for a user watching ``qimeng sw design``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Progress = Callable[[str, str], None]
"""Called with a node's name and one line saying what it did."""


def describe_step(node: str, delta: Mapping[str, Any] | None) -> str | None:
    """What ``node`` did, read from its state update ``delta``; None when it said nothing new.

    A step that added a check reports that check (name, status, summary); ``spec`` the kernel and its
    sizes, ``candidate`` where the source came from, ``finish`` the verdict and the run directory.
    """
    delta = delta or {}
    if node == "spec" and "kernel" in delta:
        dims = " ".join(f"{k}={v}" for k, v in (delta.get("dims") or {}).items())
        return f"kernel {delta['kernel']} {dims}".rstrip()
    if node == "candidate" and "origin" in delta:
        params = delta.get("params") or {}
        return f"candidate from {delta['origin']}" + (f" {params}" if params else "")
    if node == "finish" and "design" in delta:
        design = delta["design"]
        where = getattr(design, "run_dir", None)
        return f"{getattr(design, 'status', '?')}" + (f" -> {where}" if where else "")
    checks = delta.get("checks") or []
    if checks:
        last = checks[-1]
        return f"{last.get('name')} {last.get('status')}: {last.get('summary', '')}"
    return None
