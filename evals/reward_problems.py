"""Turning a posted item into a :class:`ResolvedItem`: validation, the golden looked up, the seeds
fixed per problem, and the cache key.

Seeds depend only on the problem (the golden's text, or the kernel and its size), so every
worker and every retry checks an item on the same stimulus. The cache key is the SHA-256 of the
golden, the completion, the options that change the verdict and :func:`checker_version`, which
hashes the checkers' own source: a change to a checker invalidates what it cached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals.reward_models import (
    DEFAULT_TIMEOUT_S,
    MAX_COMPLETION_CHARS,
    MAX_GOLDEN_CHARS,
    ResolvedItem,
    RewardItem,
    RewardResult,
    invalid,
)
from tools.hdl.ports import module_names

_ROOT = Path(__file__).resolve().parents[1]
CHECKER_SOURCES = (
    "tools/hdl",
    "tools/kernels",
    "tools/sandbox.py",
    "evals/reward.py",
    "evals/reward_extract.py",
)
"""Sources whose text makes up the checker version."""
VERILOG_EVAL_TOP = "TopModule"
VERILOG_EVAL_REF = "RefModule"
SEEDS_PER_PROBLEM = 3


@cache
def checker_version() -> str:
    """``reward-1:<sha12>`` over the checkers' source files (see :data:`CHECKER_SOURCES`)."""
    digest = hashlib.sha256()
    for name in CHECKER_SOURCES:
        path = _ROOT / name
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for f in files:
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    return f"reward-1:{digest.hexdigest()[:12]}"


def problem_seeds(problem_text: str) -> list[int]:
    """Seeds fixed by the problem's own text (the golden, or the kernel and its size)."""
    base = int(hashlib.sha256(problem_text.encode()).hexdigest()[:8], 16) % 1_000_000
    return [base + 1 + k for k in range(SEEDS_PER_PROBLEM)]


def resolve(
    index: int, raw: Any, data_dirs: Sequence[Path], timeout_s: float = DEFAULT_TIMEOUT_S
) -> ResolvedItem | RewardResult:
    """Validate the ``index``-th posted item and look up its golden; its checks get ``timeout_s``.

    Returns the resolved item, or an ``invalid`` :class:`RewardResult` saying what is wrong
    (not an object, a missing or unknown field, an oversized completion or golden, a problem id
    that no data directory holds, an unknown kernel).
    """
    item_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
    if not isinstance(raw, dict):
        return invalid(index, "bad_item", f"item {index} is {type(raw).__name__}, expected an object")
    for field, cap in (("completion", MAX_COMPLETION_CHARS), ("golden", MAX_GOLDEN_CHARS)):
        value = raw.get(field)
        if isinstance(value, str) and len(value) > cap:
            return invalid(
                index,
                "oversized",
                f"item {index}: '{field}' has {len(value)} characters, at most {cap}",
                item_id,
            )
    try:
        item = RewardItem.model_validate(raw)
    except ValidationError as exc:
        return invalid(index, "bad_item", f"item {index}: {_first_error(exc)}", item_id)
    found = _verilog(index, item, data_dirs) if item.kind == "verilog" else _kernel(index, item)
    if isinstance(found, RewardResult):
        return found
    options = json.dumps({"timeout_s": timeout_s})
    return found.model_copy(
        update={"timeout_s": timeout_s, "cache_key": _cache_key("", found.cache_key, options, {})}
    )


def _verilog(index: int, item: RewardItem, data_dirs: Sequence[Path]) -> ResolvedItem | RewardResult:
    if item.golden is not None:
        golden = item.golden
        key = "golden:" + hashlib.sha256(golden.encode()).hexdigest()[:12]
    else:
        assert item.problem is not None
        path = _find_ref(item.problem, data_dirs)
        if path is None:
            where = (
                ", ".join(str(d) for d in data_dirs) or "no data directory (start the service with --data)"
            )
            return invalid(
                index, "unknown_problem", f"item {index}: no problem '{item.problem}' in {where}", item.id
            )
        golden, key = path.read_text(encoding="utf-8"), item.problem
    names = module_names(golden)
    golden_top = VERILOG_EVAL_REF if VERILOG_EVAL_REF in names else (names[0] if len(names) == 1 else None)
    top = item.top or (VERILOG_EVAL_TOP if golden_top == VERILOG_EVAL_REF else golden_top or "")
    if not names:
        return invalid(index, "golden", f"item {index}: the golden declares no module", item.id)
    if not top:
        return invalid(
            index,
            "bad_item",
            f"item {index}: the golden declares {len(names)} modules ({', '.join(names[:5])}); "
            "say which one the completion must define with 'top'",
            item.id,
        )
    options = {"top": top, "golden_top": golden_top}
    return ResolvedItem(
        kind="verilog",
        problem=key,
        completion=item.completion,
        golden=golden,
        golden_top=golden_top,
        top=top,
        seeds=problem_seeds(golden),
        cache_key=_cache_key("verilog", golden, item.completion, options),
    )


def _kernel(index: int, item: RewardItem) -> ResolvedItem | RewardResult:
    from agents.sw.specs import kernel_spec
    from tools.errors import UsageError
    from tools.targets import TARGETS

    assert item.problem is not None
    if item.target not in TARGETS:
        known = ", ".join(sorted(TARGETS))
        return invalid(
            index, "bad_item", f"item {index}: unknown target '{item.target}'; known: {known}", item.id
        )
    try:
        kernel_spec(item.problem, item.dims)
    except UsageError as exc:
        return invalid(index, "unknown_problem", f"item {index}: {exc}", item.id)
    dims = dict(item.dims or {})
    problem_text = json.dumps({"kernel": item.problem, "dims": dims}, sort_keys=True)
    options = {"target": item.target, "speed": item.speed}
    return ResolvedItem(
        kind="kernel",
        problem=item.problem + "".join(f",{k}={v}" for k, v in sorted(dims.items())),
        completion=item.completion,
        top=item.problem,
        dims=dims,
        target=item.target,
        speed=item.speed,
        seeds=problem_seeds(problem_text),
        cache_key=_cache_key("kernel", problem_text, item.completion, options),
    )


def _find_ref(problem: str, data_dirs: Sequence[Path]) -> Path | None:
    if not problem or "/" in problem or problem.startswith("."):
        return None
    for data in data_dirs:
        path = data / f"{problem}_ref.sv"
        if path.is_file():
            return path
    return None


def _cache_key(kind: str, golden: str, completion: str, options: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for part in (kind, golden, completion, json.dumps(options, sort_keys=True), checker_version()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part.encode())
    return digest.hexdigest()


def _first_error(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = f"missing field '{where}'"
        elif err["type"] == "extra_forbidden":
            msg = f"unknown field '{where}'; fields: {', '.join(RewardItem.model_fields)}"
        elif where:
            msg = f"{where}: {msg}"
        problems.append(msg)
    return "; ".join(problems)
