"""Checking a GPU kernel's output: every element, fresh random inputs each round, poisoned outputs.

Device-agnostic torch: the same code checks CUDA kernels on the device and CPU tensors in tests.
A candidate is a runner ``run(inputs, out)``. Each round draws new random inputs from a new seed,
fills ``out`` with NaN (poison), runs the candidate, and compares every element with an fp32
reference. The verdict fails on NaN/inf (never passes), on unwritten (still-poisoned) elements, on
a relative norm error above the dtype's tolerance, on any single element far off (so skipping a
thin edge strip cannot hide inside the norm), on modified inputs, and on exceptions. Because the
inputs change between rounds, a kernel that replays an earlier answer fails the second round.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

NORM_TOLERANCE = {"bfloat16": 2e-2, "float16": 4e-3, "float32": 1e-4}
"""Largest allowed ||got - want|| / ||want|| by output dtype."""
ELEMENT_TOLERANCE = {"bfloat16": 0.08, "float16": 0.02, "float32": 1e-3}
"""Largest allowed |got - want| / (|want| + rms(want)) for any single element."""


@dataclass
class Comparison:
    """How one output compares with the reference; ``status`` is pass, nan, wrong or error."""

    status: str
    reason: str
    rel_error: float
    bad_elements: int


@dataclass
class CheckRecord:
    """The verdict of :func:`check_runner` with every round's seed and error."""

    status: str
    reason: str
    rounds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True only when every round passed."""
        return self.status == "pass"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def dtype_name(tensor: Any) -> str:
    """``bfloat16`` for ``torch.bfloat16`` etc."""
    return str(tensor.dtype).removeprefix("torch.")


Tolerance = tuple[float, float] | None
"""A problem's own (norm, element) bound, or None for the output dtype's default."""


def compare(got: Any, want: Any, tolerance: Tolerance = None) -> Comparison:
    """Compare ``got`` (any float dtype) with the fp32 reference ``want``, every element, against
    ``tolerance`` (norm, element) or, when None, the output dtype's default bound."""
    import torch

    name = dtype_name(got)
    if name not in NORM_TOLERANCE:
        known = ", ".join(sorted(NORM_TOLERANCE))
        return Comparison("error", f"output dtype {name} is not supported; known: {known}", math.inf, -1)
    if tuple(got.shape) != tuple(want.shape):
        return Comparison(
            "error", f"output shape {tuple(got.shape)} != expected {tuple(want.shape)}", math.inf, -1
        )
    got32 = got.float()
    want32 = want.float()
    finite = torch.isfinite(got32)
    if not bool(finite.all()):
        count = int((~finite).sum())
        first = [int(i) for i in torch.nonzero(~finite)[0].tolist()]
        return Comparison(
            "nan",
            f"{count} of {got.numel()} elements are NaN/inf (unwritten poison or computed NaN), "
            f"first at {first}",
            math.inf,
            count,
        )
    diff = (got32 - want32).abs()
    rel = float(torch.linalg.vector_norm(diff)) / max(float(torch.linalg.vector_norm(want32)), 1e-30)
    rms = float(torch.sqrt(torch.mean(want32 * want32)))
    tol, element = tolerance or (NORM_TOLERANCE[name], ELEMENT_TOLERANCE[name])
    limit = element * (want32.abs() + rms)
    bad = diff > limit
    count = int(bad.sum())
    if rel > tol or count:
        where = torch.nonzero(bad)
        first = [int(i) for i in where[0].tolist()] if count else []
        return Comparison(
            "wrong",
            f"relative error {rel:.3g} (tolerance {tol:g}); {count} of {got.numel()} elements "
            f"off by more than {element:g} x (|want| + rms)" + (f", first at {first}" if first else ""),
            rel,
            count,
        )
    return Comparison("pass", "", rel, 0)


def check_runner(
    run: Callable[[tuple[Any, ...], Any], None],
    make_inputs: Callable[[int], tuple[Any, ...]],
    reference: Callable[[tuple[Any, ...]], Any],
    make_output: Callable[[], Any],
    seeds: list[int],
    tolerance: Tolerance = None,
) -> CheckRecord:
    """Check ``run`` once per seed: fresh inputs, NaN-poisoned output, full comparison.

    ``make_inputs(seed)`` returns the input tensors, ``reference(inputs)`` the fp32 answer and
    ``make_output()`` an empty output tensor; ``tolerance`` as for :func:`compare`. Never raises
    for a bad candidate.
    """
    import torch

    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"need at least two distinct seeds (rounds with fresh inputs), got {seeds}")
    record = CheckRecord("pass", "")
    for seed in seeds:
        inputs = make_inputs(seed)
        before = [x.clone() for x in inputs]
        out = make_output()
        out.fill_(float("nan"))
        try:
            run(inputs, out)
            if out.is_cuda:
                torch.cuda.synchronize()
        except Exception as exc:  # a candidate's failure is a verdict, not a crash of the suite
            tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            record.rounds.append({"seed": seed, "status": "error", "reason": tail[:2000]})
            record.status, record.reason = "error", f"seed {seed}: {tail[:2000]}"
            return record
        if any(not same_bits(x, y) for x, y in zip(inputs, before, strict=True)):
            record.rounds.append({"seed": seed, "status": "input_modified"})
            record.status, record.reason = "input_modified", f"seed {seed}: the kernel wrote to an input"
            return record
        result = compare(out, reference(inputs), tolerance)
        record.rounds.append(
            {"seed": seed, "status": result.status, "rel_error": result.rel_error, "reason": result.reason}
        )
        if result.status != "pass":
            record.status, record.reason = result.status, f"seed {seed}: {result.reason}"
            return record
    return record


def same_bits(x: Any, y: Any) -> bool:
    """True when two tensors hold the same bits (FP8 tensors have no ``torch.equal``)."""
    import torch

    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    if x.element_size() == 1 and x.is_floating_point():
        return bool(torch.equal(x.view(torch.uint8), y.view(torch.uint8)))
    return bool(torch.equal(x, y))
