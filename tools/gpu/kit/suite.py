"""The device suite: bf16 and FP8 GEMM, attention; tuned Triton kernels against the vendor libraries.

Run ``python -m kit.suite OUTDIR`` with ``tools/gpu`` on ``sys.path`` (``ops/gpu/run_device.sh``
does this), or ``--dry-run`` on a CPU with tiny shapes. Every candidate, vendor baselines
included, is checked (fresh inputs, poisoned outputs, every element) and timed (events, L2 flush,
median; events vs wall clock; roofline). One failing candidate never stops the others. Results go
to ``OUTDIR/results.json`` and ``OUTDIR/results.md`` after every problem.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import integrity  # noqa: F401  (records the evaluator's originals before any candidate)
from .lower import launch_summary, lower_attention, lower_gemm
from .lower_fp8 import SAFE_FP8, fp8_gemm_space, lower_gemm_fp8
from .plan import SAFE_GEMM, attention_space, gemm_space, safe_attention
from .problems import AttentionProblem, Fp8GemmProblem, GemmProblem, Problem
from .report import SCHEMA, render_markdown
from .runtime import attention_runner, fp8_gemm_runner, gemm_runner, triton_missing, triton_version
from .timing import measure_copy_bandwidth, tflops, time_call
from .verdict import SEEDS, evaluate

FP8_RATE = 2.0
"""FP8 problems are held to this multiple of the measured bf16 peak (their roofline)."""


def _log(msg: str) -> None:
    print(msg, flush=True)


def environment(device: str) -> dict[str, Any]:
    """Card, driver and library versions."""
    import torch

    env: dict[str, Any] = {
        "device": device,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "triton": triton_version(),
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "device_name": platform.processor() or platform.machine(),
        "driver": None,
    }
    if device.startswith("cuda"):
        env["device_name"] = torch.cuda.get_device_name(0)
        props = torch.cuda.get_device_properties(0)
        env["sm_count"] = props.multi_processor_count
        env["capability"] = f"{props.major}.{props.minor}"
        try:  # trusted probe of the driver version
            proc = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=20, check=False,
            )  # fmt: skip
            env["driver"] = proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else None
        except (OSError, subprocess.TimeoutExpired) as exc:
            env["driver"] = f"unknown ({exc})"
    return env


def measure_peak(device: str, size: int, reps: int) -> dict[str, Any]:
    """Best cuBLAS bf16 rate at ``size``^3 (min over reps), the suite's roofline."""
    problem = GemmProblem(size, size, size, device)
    inputs = problem.make_inputs(7)
    out = problem.make_output()
    base = problem.baselines()[0]
    timing = time_call(base.bench(inputs, out), device, reps=reps, warmup=5)
    return {
        "tflops": tflops(problem.flops, timing.min_ms),
        "median_tflops": tflops(problem.flops, timing.median_ms),
        "shape": [size, size, size],
        "source": f"cuBLAS bf16 {size}^3, best of {reps} reps" if device != "cpu" else "CPU torch",
    }


def run_problem(
    problem: Problem,
    peak: float | None,
    reps: int,
    budget_s: float,
    max_plans: int,
    quick_reps: int,
    copy_gbs: float | None = None,
) -> dict[str, Any]:
    """Baselines and the tuned Triton kernel for one problem, with ratios."""
    from .tuner import tune

    _log(f"== {problem.name} ({problem.flops / 1e9:.1f} GFLOP)")
    record: dict[str, Any] = {"name": problem.name, "op": problem.op, "shape": problem.shape()}
    record["flops"] = problem.flops
    cands: list[dict[str, Any]] = []
    for base in problem.baselines():
        row = evaluate(problem, base.name, "baseline", base.run, base.bench, peak, reps, copy_gbs)
        _log(f"  {base.name:10s} {row.get('median_ms')} ms  {row.get('tflops')} TF  {row.get('reason', '')}")
        cands.append(row)
    missing = triton_missing()
    if missing:
        cands.append({"name": "triton_tuned", "kind": "tuned", "accepted": False,
                      "reason": f"skipped: {missing}"})  # fmt: skip
    else:
        if isinstance(problem, GemmProblem):
            gp = problem
            plans = gemm_space(gp.m, gp.n, gp.k)
            result = tune(
                problem, plans, lambda p: lower_gemm(p, gp.m, gp.n, gp.k), gemm_runner,
                fallback=SAFE_GEMM, budget_s=budget_s, max_plans=max_plans,
                quick_reps=quick_reps, seeds=SEEDS, log=_log,
            )  # fmt: skip
        elif isinstance(problem, Fp8GemmProblem):
            fp = problem
            result = tune(
                problem, fp8_gemm_space(fp.m, fp.n, fp.k), lambda p: lower_gemm_fp8(p, fp.m, fp.n, fp.k),
                fp8_gemm_runner, fallback=SAFE_FP8, budget_s=budget_s, max_plans=max_plans,
                quick_reps=quick_reps, seeds=SEEDS, log=_log,
            )  # fmt: skip
        else:
            ap = problem
            plans = attention_space(ap.dim, ap.causal)
            result = tune(
                problem, plans, lambda p: lower_attention(p, ap.seq, ap.dim, ap.causal),
                attention_runner, fallback=safe_attention(ap.dim, ap.causal), budget_s=budget_s,
                max_plans=max_plans, quick_reps=quick_reps, seeds=SEEDS, log=_log,
            )  # fmt: skip
        record["search"] = {"trials": result.trials, "spent_s": result.spent_s}
        if result.runner is None or result.kernel is None:
            why = result.check.reason if result.check else "every plan failed"
            cands.append({"name": "triton_tuned", "kind": "tuned", "accepted": False, "reason": why})
        else:
            runner = result.runner

            def bench(inputs: tuple[Any, ...], out: Any) -> Any:
                return lambda: runner(inputs, out)

            row = evaluate(problem, "triton_tuned", "tuned", runner, bench, peak, reps, copy_gbs)
            row["plan"] = launch_summary(result.kernel)
            cands.append(row)
            _log(f"  triton     {row.get('median_ms')} ms  {row.get('tflops')} TF  {result.plan}")
    base_ms = {c["name"]: c["median_ms"] for c in cands if c["kind"] == "baseline" and c["accepted"]}
    for cand in cands:
        if cand.get("accepted") and cand.get("median_ms"):
            cand["ratios"] = {
                f"vs_{k}": v / cand["median_ms"] for k, v in base_ms.items() if k != cand["name"]
            }
            if cand["kind"] == "tuned" and base_ms:
                best = min(base_ms, key=lambda k: base_ms[k])
                cand["ratios"]["vs_best_baseline"] = base_ms[best] / cand["median_ms"]
                record["best_baseline"] = best
    record["candidates"] = cands
    return record


def problems_for(device: str, dry_run: bool) -> tuple[list[Problem], int]:
    """The suite's problems and the peak-measurement size."""
    if dry_run:
        gemms = [(64, 64, 64), (33, 65, 47), (4, 96, 128)]
        attns = [(1, 2, 64, 16, False), (1, 2, 80, 32, True)]
        fp8s = [(64, 48, 256)]
        peak_size = 128
    else:
        gemms = [(4096, 4096, 4096), (8192, 8192, 8192), (4096, 14336, 4096), (4097, 4095, 4099)]
        gemms += [(1000, 1000, 1000), (1024, 1024, 1024)]
        gemms += [(m, n, k) for m in (1, 16, 64) for n, k in ((4096, 4096), (14336, 4096), (4096, 14336))]
        attns = [(4, 16, s, d, c) for s in (1024, 4096) for d in (64, 128) for c in (False, True)]
        attns += [(1, 16, 16384, d, c) for d in (64, 128) for c in (False, True)]
        fp8s = [(4096, 4096, 4096), (8192, 8192, 8192), (4096, 14336, 4096)]
        peak_size = 8192
    probs: list[Problem] = [GemmProblem(m, n, k, device) for m, n, k in gemms]
    probs += [Fp8GemmProblem(m, n, k, device) for m, n, k in fp8s]
    probs += [AttentionProblem(b, h, s, d, c, device) for b, h, s, d, c in attns]
    return probs, peak_size


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 even when some kernels were rejected)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="CPU, tiny shapes, no Triton")
    parser.add_argument("--reps", type=int, default=50, help="timed reps per candidate")
    parser.add_argument("--budget-s", type=float, default=25.0, help="search seconds per problem")
    parser.add_argument("--max-plans", type=int, default=8, help="plans tried per problem")
    parser.add_argument("--only", default="", help="comma-separated name prefixes to run")
    args = parser.parse_args(argv)
    import torch

    device = "cpu" if args.dry_run or not torch.cuda.is_available() else "cuda"
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # the fp32 references must be true fp32
        torch.backends.cudnn.allow_tf32 = False
    args.outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    results: dict[str, Any] = {"schema": SCHEMA, "dry_run": device == "cpu", "started": t0}
    results["env"] = environment(device)
    _log(f"env: {json.dumps(results['env'])}")
    probs, peak_size = problems_for(device, args.dry_run)
    if args.only:
        probs = [p for p in probs if any(p.name.startswith(x) for x in args.only.split(","))]
    results["peak"] = measure_peak(device, peak_size, reps=max(args.reps, 10))
    _log(f"peak: {results['peak']}")
    # a dry run tests the harness, not speed: a CPU's peak, measured on a busy machine, is no roofline
    peak: float | None = float(results["peak"]["tflops"]) if device == "cuda" else None
    if peak is not None:
        results["peak_fp8"] = {
            "tflops": FP8_RATE * peak,
            "source": f"{FP8_RATE:g} x the measured bf16 peak (Hopper's FP8 tensor-core rate is twice its bf16 rate)",
        }
    results["copy_bandwidth"] = measure_copy_bandwidth(device)
    _log(f"copy bandwidth: {results['copy_bandwidth']}")
    copy_gbs = float(results["copy_bandwidth"]["gbs"])
    results["problems"] = []
    for problem in probs:
        budget = args.budget_s if problem.op == "attention" else args.budget_s * 1.4
        roof = FP8_RATE * peak if peak is not None and problem.op == "gemm_fp8" else peak
        results["problems"].append(
            run_problem(problem, roof, args.reps, budget, args.max_plans, max(5, args.reps // 5), copy_gbs)
        )
        results["wall_s"] = time.time() - t0
        _write(args.outdir, results)
        if device == "cuda":
            torch.cuda.empty_cache()
    results["finished"] = time.time()
    results["wall_s"] = time.time() - t0
    _write(args.outdir, results)
    _log(render_markdown(results))
    return 0


def _write(outdir: Path, results: dict[str, Any]) -> None:
    (outdir / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (outdir / "results.md").write_text(render_markdown(results))


if __name__ == "__main__":
    sys.exit(main())
