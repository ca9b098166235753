"""The software agent on the CUDA target: a GPU kernel through the kit's search, checks and timing.

``qimeng sw design "<gemm or attention request>" --target cuda`` comes here (from
:func:`graphs.sw.design_kernel`). The request is read by :mod:`agents.sw.gpu_request`; the work is
one tool call, ``tools.targets.cuda_kit:design_task``, placed on a node serving ``cuda`` (this
process when it has a GPU with torch and Triton, or a cluster's GPU worker). That task runs the
device suite's own code for the one problem, so a design session's kernel passes the same checks
and is timed the same way as the suite's. Where nothing serves ``cuda`` the request is refused
before any work: "no CUDA device here ...; targets served: ..." (on a cluster, the executor's
"no node in the Ray cluster serves target(s) cuda ...; targets served: ...").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agents.sw.design import SwDesign
from agents.sw.gpu_request import parse_gpu_request
from agents.sw.progress import Progress
from tools.errors import UsageError
from tools.evidence import Evidence
from tools.executor import call_tool, current_executor, local_targets
from tools.kernels.timing import Timing
from tools.runstore import new_run
from tools.targets.cuda_kit import kit_unavailable, record_checks

DESIGN_TASK = "tools.targets.cuda_kit:design_task"


def refusal() -> str | None:
    """Why this process cannot run a CUDA design itself, or None when it can or when a cluster
    executor places the call (which fails at once, naming the targets served, when no node
    declares ``target_cuda``)."""
    if current_executor().targets() is not None:
        return None
    why = kit_unavailable()
    if why is None:
        return None
    have = ", ".join(sorted(local_targets() - {"cuda"})) or "none"
    return (
        f"no CUDA device here ({why}); targets served: {have}. Run on a GPU machine, or pass "
        "--cluster ADDRESS of a cluster with a target_cuda worker"
    )


def design_gpu_kernel(
    request: str,
    *,
    budget_s: float = 60.0,
    max_plans: int = 24,
    reps: int = 30,
    run_root: str | Path | None = None,
    store: bool = True,
    progress: Progress | None = None,
) -> SwDesign:
    """Design, check and time one bf16 GPU kernel for ``request`` (see the module docstring).

    Raises:
        UsageError: for a request the kit cannot serve, or when nothing here serves ``cuda``.
        QimengError: the kit failed on its node in a way the user can act on.
    """
    parsed = parse_gpu_request(request)
    why = refusal()
    if why is not None:
        raise UsageError(why)
    dims = {k: v for k, v in parsed.dims.items() if k != "causal"}
    if progress is not None:
        shape = "x".join(str(v) for v in dims.values())
        progress("spec", f"{parsed.kernel} {shape} bf16{' causal' if parsed.dims.get('causal') else ''}")
    args: dict[str, Any] = {
        "kernel": parsed.kernel,
        "dims": dims,
        "causal": bool(parsed.dims.get("causal")),
        "budget_s": budget_s,
        "max_plans": max_plans,
        "reps": reps,
    }
    result = call_tool(DESIGN_TASK, args, key=f"gpu-{parsed.kernel}", target="cuda")
    value = result.unwrap()
    record = value["record"]
    checks = [result.stamp(c) for c in record_checks(record)]
    evidence = Evidence(checks=checks, interpretation=parsed.interpretation)
    tuned: dict[str, Any] = next((c for c in record.get("candidates", []) if c.get("kind") == "tuned"), {})
    if progress is not None:
        trials = record.get("search", {}).get("trials", [])
        progress("tune", f"{len(trials)} plan(s) tried; {checks[0].summary}")
    design = SwDesign(
        request=request,
        kernel=parsed.kernel,
        target="cuda",
        source=value.get("source", ""),
        origin="offline:gpu-kit:triton",
        params=_params(tuned),
        dims=dims,
        timing=_timing(tuned, dims, record),
        evidence=evidence,
        why_not="" if evidence.verified else "; ".join(c.summary for c in evidence.failures()),
    )
    if store:
        design = design.model_copy(update={"run_dir": _write_run(design, value, run_root)})
    if progress is not None:
        progress("finish", f"{design.status}{'; files ' + design.run_dir if design.run_dir else ''}")
    return design


def _params(tuned: dict[str, Any]) -> dict[str, int]:
    plan = (tuned.get("plan") or {}).get("plan") or {}
    return {k: int(v) for k, v in plan.items() if isinstance(v, int | bool)}


def _timing(tuned: dict[str, Any], dims: dict[str, int], record: dict[str, Any]) -> Timing | None:
    if not tuned.get("accepted"):
        return None
    t = tuned["timing"]
    median_s = float(t["median_ms"]) * 1e-3
    said = ", ".join(f"{k} {v:.2f}x" for k, v in sorted(tuned.get("ratios", {}).items()))
    return Timing(
        shape=dict(dims),
        median_s=median_s,
        iqr_s=(float(t["p80_ms"]) - float(t["p20_ms"])) * 1e-3,  # p20-p80 spread: the kit's
        samples=int(t["reps"]),
        calls_per_sample=1,
        rotating_sets=1,
        working_set_bytes=0,
        exceeds_llc=bool(t.get("flushed_bytes")),
        gflops=float(tuned["tflops"]) * 1e3,
        gbs=float(tuned["gbs"]) if tuned.get("gbs") else None,
        fraction_of_roofline=tuned.get("fraction_of_peak"),
        note=f"CUDA events, L2 flushed ({t.get('flushed_bytes', 0)} bytes) before each rep; {said}",
        timed_check=str(tuned.get("timed_check") or ""),
    )


def _write_run(design: SwDesign, value: dict[str, Any], root: str | Path | None) -> str:
    run = new_run(f"sw design {design.request!r} --target cuda", root=Path(root) if root else None)
    run.write(f"{design.kernel}_cuda.py", design.source, "kernel", target="cuda", status=design.status)
    run.write_json("evidence.json", design.evidence, "evidence")
    run.write_json(
        "gpu_record.json", {k: value[k] for k in ("record", "environment", "peak_tflops")}, "report"
    )
    run.write_json("design.json", design.model_dump(mode="json", exclude={"source"}), "report")
    run.finish(
        "done" if design.status == "verified" else "failed", outcome=design.status, kernel=design.kernel
    )
    return str(run.path)
