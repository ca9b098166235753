"""A content-hash cache of tool results, so a resumed or repeated thread never redoes finished work.

Keys hash the full task input (spec, constraints, RTL, seed, a version tag); values are the JSON
results the workers publish, and (:class:`CachedExecutor`) each tool call's result. Files are written atomically, so a process killed mid-write leaves
no half entry behind.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tools.calls import Call, CallResult
from tools.executor import Executor

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


class CachedExecutor:
    """An executor that answers a call this thread already ran from its cache (by content hash of
    the task, its arguments and what it needs), so a thread killed mid-task and resumed redoes no
    finished tool call, whichever executor ran it. Successful calls are stored (a tool's failing
    verdict is a result too); failed calls are not, they are tried again.

    A cached result keeps the node, labels and tool versions of the run that made it.
    """

    def __init__(self, inner: Executor, cache: ToolCache) -> None:
        self.inner = inner
        self.cache = cache

    def targets(self) -> set[str] | None:
        return self.inner.targets()

    def toolsets(self) -> set[str] | None:
        return self.inner.toolsets()

    def _key(self, call: Call) -> str:
        return cache_key("call", [call.task, call.args, call.target, call.toolset])

    def _hit(self, call: Call) -> CallResult | None:
        found = self.cache.get(self._key(call))
        return CallResult.model_validate(found | {"key": call.key}) if found is not None else None

    def _keep(self, call: Call, result: CallResult) -> CallResult:
        if result.ok:
            self.cache.put(self._key(call), result.model_dump(mode="json", exclude={"metrics"}))
        return result

    def run(self, call: Call) -> CallResult:
        hit = self._hit(call)
        return hit if hit is not None else self._keep(call, self.inner.run(call))

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        todo: dict[str, Call] = {}
        for call in calls:
            hit = self._hit(call)
            if hit is not None:
                yield hit
            else:
                todo[call.key] = call
        for result in self.inner.map(todo.values()):
            yield self._keep(todo[result.key], result)

    def close(self) -> None:
        self.inner.close()
