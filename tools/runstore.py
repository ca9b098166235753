"""The run store: every command that produces artifacts writes them under one run directory.

Layout: ``$QIMENG_RUN_DIR/<run-id>/`` with ``manifest.json`` (command, times, status, and every
artifact with its kind and SHA-256) next to the artifacts, so nothing computed is lost and a later
command can find it. The manifest is rewritten atomically after each change.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.errors import UsageError
from tools.settings import get_settings

RunStatus = Literal["running", "done", "failed", "interrupted"]


class Artifact(BaseModel):
    """A file produced by a run."""

    path: str = Field(description="Path relative to the run directory.")
    kind: str = Field(description="What it is: rtl, kernel, report, testbench, plot, log, ...")
    sha256: str
    meta: dict[str, Any] = Field(default_factory=dict)


class Manifest(BaseModel):
    """The machine-readable record of one run."""

    id: str
    command: str
    created: str
    updated: str
    status: RunStatus = "running"
    summary: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[Artifact] = Field(default_factory=list)


class Run:
    """One run directory and its manifest."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest

    @property
    def id(self) -> str:
        return self.manifest.id

    def write(self, relpath: str, content: str | bytes, kind: str, **meta: Any) -> Path:
        """Write an artifact and record it in the manifest (replacing an entry at the same path)."""
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        entry = Artifact(path=relpath, kind=kind, sha256=hashlib.sha256(data).hexdigest(), meta=meta)
        self.manifest.artifacts = [a for a in self.manifest.artifacts if a.path != relpath] + [entry]
        self._save()
        return target

    def write_json(self, relpath: str, obj: Any, kind: str, **meta: Any) -> Path:
        """Write a JSON artifact (pydantic models are dumped with ``model_dump``)."""
        if isinstance(obj, BaseModel):
            obj = obj.model_dump(mode="json")
        return self.write(relpath, json.dumps(obj, indent=2, sort_keys=True, default=str), kind, **meta)

    def finish(self, status: RunStatus = "done", **summary: Any) -> None:
        """Mark the run finished with a summary."""
        self.manifest.status = status
        self.manifest.summary.update(summary)
        self._save()

    def _save(self) -> None:
        self.manifest.updated = _now()
        tmp = self.path / "manifest.json.tmp"
        tmp.write_text(self.manifest.model_dump_json(indent=2))
        os.replace(tmp, self.path / "manifest.json")


_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def safe_id(value: str, what: str = "run id") -> str:
    """``value`` when it is safe to use as one path component, else UsageError saying what is allowed.

    Every id a user supplies (run ids, thread ids) passes here before any path is built from it."""
    if not _SAFE_ID.fullmatch(value) or ".." in value:
        raise UsageError(
            f"invalid {what} {value!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit (no '/' and no '..')"
        )
    return value


def new_run(command: str, root: Path | None = None, run_id: str | None = None) -> Run:
    """Create ``<root>/<run-id>/`` with a fresh manifest; the id sorts by creation time.

    Raises:
        UsageError: ``run_id`` is not a safe id (see :func:`safe_id`).
    """
    base = root if root is not None else get_settings().run_dir
    rid = safe_id(run_id) if run_id else None
    rid = rid or time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)
    path = base / rid
    path.mkdir(parents=True, exist_ok=False)
    now = _now()
    run = Run(path, Manifest(id=rid, command=command, created=now, updated=now))
    run._save()
    return run


def record_run(path: Path, command: str) -> Run:
    """The run at ``path``, a directory another part names (a design thread's folder): its manifest
    when it has one, else a fresh manifest there (the directory is created when missing)."""
    manifest_path = path / "manifest.json"
    if manifest_path.is_file():
        return Run(path, Manifest.model_validate_json(manifest_path.read_text()))
    path.mkdir(parents=True, exist_ok=True)
    now = _now()
    run = Run(path, Manifest(id=path.name, command=command, created=now, updated=now))
    run._save()
    return run


def open_run(run_id: str, root: Path | None = None) -> Run:
    """Open an existing run; FileNotFoundError names the directory that was looked for.

    Raises:
        UsageError: ``run_id`` is not a safe id (see :func:`safe_id`).
    """
    base = root if root is not None else get_settings().run_dir
    path = base / safe_id(run_id)
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"no run '{run_id}' under {base} (looked for {manifest_path})")
    return Run(path, Manifest.model_validate_json(manifest_path.read_text()))


def list_runs(root: Path | None = None) -> list[Manifest]:
    """All runs under the run directory, oldest first."""
    base = root if root is not None else get_settings().run_dir
    if not base.is_dir():
        return []
    found = []
    for child in sorted(base.iterdir()):
        mf = child / "manifest.json"
        if mf.is_file():
            found.append(Manifest.model_validate_json(mf.read_text()))
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
