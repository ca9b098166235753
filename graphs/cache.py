"""A content-hash cache of tool results, so a resumed or repeated thread never redoes finished work.

Keys hash the full task input (spec, constraints, RTL, seed, a version tag); values are the JSON
results the workers publish. Files are written atomically, so a process killed mid-write leaves
no half entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_VERSION = "1"


def cache_key(kind: str, payload: Any) -> str:
    """Stable hash of ``payload`` (any JSON-able value) for results of ``kind``."""
    blob = json.dumps([CACHE_VERSION, kind, payload], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ToolCache:
    """Results under ``<root>/cache/<key>.json``."""

    def __init__(self, root: str | Path) -> None:
        self.dir = Path(root) / "cache"

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached result, or None (also for an unreadable entry, which is then recomputed)."""
        path = self.dir / f"{key}.json"
        try:
            value = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` atomically."""
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(value, sort_keys=True, default=str))
        os.replace(tmp, self.dir / f"{key}.json")
