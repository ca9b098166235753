"""The evaluator's verdict on one candidate: checked, timed, and checked again on the timed buffers.

:func:`evaluate` is the one path every candidate takes, vendor baselines included:

1. :func:`.checking.check_runner`: two rounds of fresh inputs into NaN-poisoned outputs, every
   element compared with the fp32 reference.
2. :func:`.timing.time_call` on the buffers that are timed. Before each rep the output is
   poisoned again (outside the events); after each rep two norms of what it wrote are queued.
   Every rep must leave the same answer: a rep that skipped work (lazy, early exit, a kernel that
   notices it is being timed) leaves poison or a different norm.
3. The timed output is compared with the reference of the timed inputs, every element.
4. The timed inputs are overwritten in place with fresh values, the output poisoned, the call
   made once more: an answer cached by buffer address is now stale.
5. The evaluator's own functions must be untouched (:mod:`.integrity`), the L2 persisting
   set-aside must not have grown, and the timing must pass :func:`.timing.judge`.

Any failure rejects the candidate with its reason; nothing here raises for a bad candidate.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from . import integrity
from .checking import check_runner, compare
from .problems import Problem
from .timing import judge, tflops, time_call

SEEDS = [1234, 98765]
NORM_AGREEMENT = 1e-3
"""Largest relative difference between one rep's output norms and the checked final output's."""

Bench = Callable[[tuple[Any, ...], Any], Callable[[], object]]


def evaluate(
    problem: Problem,
    name: str,
    kind: str,
    run: Any,
    bench: Bench,
    peak: float | None,
    reps: int,
    copy_gbs: float | None = None,
) -> dict[str, Any]:
    """Check, time and re-check one candidate (module docstring); returns its result row."""
    row: dict[str, Any] = {"name": name, "kind": kind, "accepted": False}
    persisting_before = integrity.l2_persisting_bytes()
    try:
        _evaluate(problem, row, run, bench, peak, reps, copy_gbs)
    except Exception as exc:  # recorded and the suite goes on
        row["reason"] = "error: " + traceback.format_exception_only(type(exc), exc)[-1].strip()[:800]
    changed = integrity.tampered()
    if changed:
        integrity.restore()
        row["accepted"] = False
        row["reason"] = f"integrity: the candidate replaced {', '.join(changed)} (checker/timer patching)"
    persisting = integrity.l2_persisting_bytes()
    if persisting is not None and persisting_before is not None and persisting > persisting_before:
        integrity.reset_l2_persistence(persisting_before)
        row["accepted"] = False
        row["reason"] = (
            f"integrity: the candidate reserved {persisting} bytes of persisting L2 (was {persisting_before})"
        )
    return row


def _evaluate(
    problem: Problem,
    row: dict[str, Any],
    run: Any,
    bench: Bench,
    peak: float | None,
    reps: int,
    copy_gbs: float | None,
) -> None:
    import torch

    check = check_runner(
        run, problem.make_inputs, problem.reference, problem.make_output, SEEDS, problem.tolerance
    )
    row["check"] = check.as_dict()
    if not check.ok:
        row["reason"] = f"check {check.status}: {check.reason}"[:500]
        return
    inputs = problem.make_inputs(SEEDS[0] + 31)
    out = problem.make_output()
    fn = bench(inputs, out)
    norms: list[Any] = []
    last: list[Any] = [out]

    def poison() -> None:
        out.fill_(float("nan"))

    def record_norms(result: object) -> None:
        last[0] = result if isinstance(result, torch.Tensor) else out
        norms.append(_norms(last[0]))

    timing = time_call(fn, problem.device, reps=reps, warmup=3, before_rep=poison, after_rep=record_norms)
    row["timing"] = timing.as_dict()
    row["median_ms"] = timing.median_ms
    row["tflops"] = tflops(problem.flops, timing.median_ms)
    if peak:
        row["fraction_of_peak"] = row["tflops"] / peak
    row["gbs"] = problem.bytes_moved / (timing.median_ms * 1e-3) / 1e9
    if copy_gbs:
        row["fraction_of_copy_bw"] = row["gbs"] / copy_gbs
    if out.is_cuda:
        torch.cuda.synchronize()
    # out now holds the last call of the back-to-back loop; a returned tensor, the last rep's
    timed = _timed_buffer_check(problem, inputs, last[0], norms)
    row["timed_check"] = timed
    if timed:
        row["reason"] = f"timed-buffer check: {timed}"[:500]
        return
    stale = _fresh_inputs_in_place(problem, inputs, out, fn)
    if stale:
        row["reason"] = f"fresh inputs in the timed buffers: {stale}"[:500]
        return
    ok, reason = judge(timing, problem.flops, peak)
    row["accepted"], row["reason"] = ok, reason


def _norms(x: Any) -> Any:
    import torch

    return torch.stack(
        [
            torch.linalg.vector_norm(x, ord=1, dtype=torch.float32),
            torch.linalg.vector_norm(x, ord=2, dtype=torch.float32),
        ]
    )


def _timed_buffer_check(problem: Problem, inputs: tuple[Any, ...], final: Any, norms: list[Any]) -> str:
    """'' when the timed output is right and every timed rep wrote the same answer, else why."""
    import torch

    result = compare(final, problem.reference(inputs), problem.tolerance)
    if result.status != "pass":
        return f"the output of the timed calls is {result.status}: {result.reason}"
    want = _norms(final).cpu()
    got = torch.stack(norms).cpu()
    scale = want.abs().clamp_min(1e-30)
    off = ((got - want).abs() / scale).max(dim=1).values
    bad = [i for i, v in enumerate(off.tolist()) if not v <= NORM_AGREEMENT]
    if bad:
        return (
            f"{len(bad)} of {len(norms)} timed reps left a different answer (first: rep {bad[0]}, "
            f"norms {got[bad[0]].tolist()} vs {want.tolist()}): work was skipped while timed"
        )
    return ""


def _fresh_inputs_in_place(
    problem: Problem, inputs: tuple[Any, ...], out: Any, fn: Callable[[], object]
) -> str:
    """Overwrite the timed inputs with new values, poison, call once; '' when still right."""
    import torch

    fresh = problem.make_inputs(SEEDS[1] + 57)
    for dst, src in zip(inputs, fresh, strict=True):
        dst.copy_(src)
    out.fill_(float("nan"))
    result = fn()
    if out.is_cuda:
        torch.cuda.synchronize()
    written = result if isinstance(result, torch.Tensor) else out
    check = compare(written, problem.reference(inputs), problem.tolerance)
    if check.status != "pass":
        return f"{check.status}: {check.reason} (an answer cached by buffer address?)"
    return ""
