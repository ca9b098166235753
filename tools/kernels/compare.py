"""Comparing a kernel's outputs with the reference: relative norm error, unwritten elements, NaN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.kernels.inputs import is_poison
from tools.kernels.spec import KernelArg

_TINY = 1e-30


@dataclass
class Comparison:
    """How one output array compares with the reference.

    ``status`` is ``pass``, ``wrong``, ``unwritten``, ``nan`` or ``error`` (reference unusable).
    """

    status: str
    reason: str
    rel_error: float
    max_abs_error: float


def compare_output(arg: KernelArg, got: np.ndarray[Any, Any], ref: Any, tolerance: float) -> Comparison:
    """Compare ``got`` with the reference value for ``arg`` at ``tolerance`` (relative norm error)."""
    try:
        want = np.asarray(ref)
        want = want.reshape(got.shape) if want.size == got.size else want
    except (TypeError, ValueError) as exc:
        return Comparison(
            "error", f"reference output '{arg.name}' is not an array: {exc}", float("nan"), float("nan")
        )
    if want.shape != got.shape:
        return Comparison(
            "error",
            f"reference output '{arg.name}' has shape {want.shape}; the spec says {got.shape}",
            float("nan"),
            float("nan"),
        )
    want64 = want.astype(np.float64)
    if not np.all(np.isfinite(want64)):
        return Comparison(
            "error", f"reference output '{arg.name}' contains NaN or inf", float("nan"), float("nan")
        )
    got64 = got.astype(np.float64)
    diff = got64 - want64
    unwritten = is_poison(arg, got) & (diff != 0)
    if unwritten.any():
        first = _index(np.argwhere(unwritten)[0])
        count = int(unwritten.sum())
        return Comparison(
            "unwritten",
            f"'{arg.name}': {count} of {got.size} elements never written (first at {first})",
            float("inf"),
            float("inf"),
        )
    bad = ~np.isfinite(got64)
    if bad.any():
        first = _index(np.argwhere(bad)[0])
        return Comparison(
            "nan",
            f"'{arg.name}': {int(bad.sum())} of {got.size} elements are NaN or inf (first at {first})",
            float("inf"),
            float("inf"),
        )
    if got.size == 0:
        return Comparison("pass", "", 0.0, 0.0)
    norm = float(np.linalg.norm(diff.ravel()))
    rel = norm / max(float(np.linalg.norm(want64.ravel())), _TINY)
    max_abs = float(np.max(np.abs(diff)))
    if rel > tolerance or (tolerance == 0 and max_abs != 0):
        worst = np.abs(diff) > max(tolerance * float(np.max(np.abs(want64))), 0.0)
        where = np.argwhere(worst)
        first = (
            _index(where[0])
            if len(where)
            else _index(np.unravel_index(int(np.argmax(np.abs(diff))), diff.shape))
        )
        idx = tuple(int(i) for i in np.atleast_1d(first))
        return Comparison(
            "wrong",
            f"'{arg.name}': relative error {rel:.3g} > tolerance {tolerance:.3g}; "
            f"{int(worst.sum())} of {got.size} elements differ, first at {list(idx)}: "
            f"got {float(got64[idx]):.6g}, want {float(want64[idx]):.6g}",
            rel,
            max_abs,
        )
    return Comparison("pass", "", rel, max_abs)


def _index(where: Any) -> tuple[int, ...]:
    return tuple(int(i) for i in np.atleast_1d(where))
