"""Guarding the evaluator's own code against candidates that run in its process.

A candidate runner is Python that runs next to the checker and the timer, so it could replace
them: patch ``torch.cuda.Event.elapsed_time`` or ``time.perf_counter`` (timer patching), the
problem's reference or :func:`.checking.compare` (checker patching), or ``torch.matmul`` (which
the cuBLAS baseline and the fp32 reference call). :data:`ORIGINAL` records the identity of each
watched attribute when the kit is imported, before any candidate is loaded; :func:`tampered`
names every attribute that differs now, :func:`restore` puts the originals back. The timer binds
its clocks at import too (:mod:`.timing`), so a patch changes nothing measured; the evaluator
rejects the candidate that tried. :func:`l2_persisting_bytes` reads the L2 set-aside for
persisting accesses, which a candidate could reserve to keep its operands cached across the
flush (cudaLimitPersistingL2CacheSize; it must not grow while a candidate runs).
"""

from __future__ import annotations

import importlib
from typing import Any

_WATCHED: list[tuple[str, str]] = [
    ("time", "perf_counter"),
    ("time", "perf_counter_ns"),
    ("time", "time"),
    ("torch", "matmul"),
    ("torch", "equal"),
    ("torch", "isfinite"),
    ("torch", "softmax"),
    ("torch", "nonzero"),
    ("torch", "sqrt"),
    ("torch", "mean"),
    ("torch.linalg", "vector_norm"),
    ("torch.Tensor", "float"),
    ("torch.Tensor", "__matmul__"),
    ("torch.Tensor", "fill_"),
    ("torch.Tensor", "copy_"),
    ("torch.Tensor", "clone"),
    ("torch.nn.functional", "scaled_dot_product_attention"),
    ("torch.cuda", "synchronize"),
    ("torch.cuda.Event", "record"),
    ("torch.cuda.Event", "elapsed_time"),
    ("torch.cuda.Event", "synchronize"),
    ("kit.checking", "compare"),
    ("kit.checking", "check_runner"),
    ("kit.timing", "time_call"),
    ("kit.timing", "judge"),
    ("kit.problems.GemmProblem", "reference"),
    ("kit.problems.GemmProblem", "make_inputs"),
    ("kit.problems.AttentionProblem", "reference"),
    ("kit.problems.AttentionProblem", "make_inputs"),
]
"""(owner, attribute) pairs whose identity must not change while candidates run. ``kit.`` names
resolve to this package whatever it is imported as (``kit`` on the device, ``tools.gpu.kit`` here)."""


def _owner(path: str) -> Any:
    if path.startswith("kit."):
        path = __package__ + path[3:]
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def snapshot() -> dict[str, tuple[Any, Any]]:
    """``{"owner.attr": (owner, value)}`` for every watched attribute that exists here."""
    snap: dict[str, tuple[Any, Any]] = {}
    for owner_path, attr in _WATCHED:
        try:
            owner = _owner(owner_path)
        except (ImportError, AttributeError):
            continue  # torch absent, or no CUDA module: nothing to watch there
        if hasattr(owner, attr):
            # raw __dict__ entries, so staticmethod/function wrappers compare by identity
            value = owner.__dict__.get(attr, getattr(owner, attr))
            snap[f"{owner_path}.{attr}"] = (owner, value)
    return snap


ORIGINAL = snapshot()
"""The watched attributes as they were when the kit was imported."""


def tampered(snap: dict[str, tuple[Any, Any]] | None = None) -> list[str]:
    """Names of watched attributes that no longer hold their original object."""
    changed = []
    for name, (owner, value) in (snap or ORIGINAL).items():
        attr = name.rsplit(".", 1)[1]
        now = owner.__dict__.get(attr, getattr(owner, attr, None))
        if now is not value:
            changed.append(name)
    return changed


def restore(snap: dict[str, tuple[Any, Any]] | None = None) -> None:
    """Put every watched attribute back (after a candidate that patched some was rejected)."""
    for name, (owner, value) in (snap or ORIGINAL).items():
        setattr(owner, name.rsplit(".", 1)[1], value)


def l2_persisting_bytes() -> int | None:
    """The device's persisting-L2 set-aside in bytes, or None where it cannot be read."""
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        return None
    err, value = cudart.cudaDeviceGetLimit(cudart.cudaLimit.cudaLimitPersistingL2CacheSize)
    return int(value) if int(err) == 0 else None


def reset_l2_persistence(limit: int = 0) -> None:
    """Set the persisting-L2 set-aside back to ``limit`` and demote persisting lines to normal."""
    try:
        from cuda.bindings import runtime as cudart
    except ImportError:
        return
    cudart.cudaDeviceSetLimit(cudart.cudaLimit.cudaLimitPersistingL2CacheSize, limit)
    cudart.cudaCtxResetPersistingL2Cache()
