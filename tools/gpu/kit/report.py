"""Rendering a results dict (the suite's JSON) as a Markdown table. Standard library only."""

from __future__ import annotations

from typing import Any

SCHEMA = "qimeng.gpu.results/1"


def render_markdown(results: dict[str, Any]) -> str:
    """A Markdown report: environment, measured peak, one row per candidate per problem."""
    env = results.get("env", {})
    peak = results.get("peak", {})
    copy = results.get("copy_bandwidth", {})
    fp8 = results.get("peak_fp8")
    lines = [
        "# qimeng GPU kernel suite" + (" (dry run, CPU, tiny shapes)" if results.get("dry_run") else ""),
        "",
        f"- device: {env.get('device_name')} (driver {env.get('driver')})",
        f"- torch {env.get('torch')}, triton {env.get('triton')}, CUDA {env.get('cuda')}, "
        f"cuDNN {env.get('cudnn')}",
        f"- measured peak: {_num(peak.get('tflops'))} TFLOP/s ({peak.get('source', '')})",
        f"- measured copy bandwidth: {_num(copy.get('gbs'))} GB/s ({copy.get('source', '')})",
        f"- wall time: {_num(results.get('wall_s'))} s",
        "",
        "Every row was checked before timing and again on the timed buffers (each timed rep's",
        "output, the last one element by element, then fresh inputs in place). Odd GEMM shapes",
        "have two baselines: plain cuBLAS and cublas_pad8 (K and N padded to multiples of 8, copies",
        "timed); `vs_best_baseline` is the ratio against the faster of the problem's baselines.",
        "Skinny GEMMs (M <= 64) are memory bound: judge them by GB/s against the copy bandwidth.",
        "FP8 GEMMs (e4m3, per-tensor scales, bf16 out) are checked against the fp32 product of the",
        "dequantized operands within their stated bound (norm 2^-9 + (K/32) 2^-14, element twice",
        "that); their `% peak` is of the FP8 roofline"
        + (f" ({_num(fp8.get('tflops'))} TFLOP/s: {fp8.get('source', '')})." if fp8 else "."),
        "",
        "| problem | candidate | status | ms (median) | TFLOP/s | % peak | GB/s | % copy bw | vs baselines |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for problem in results.get("problems", []):
        for cand in problem.get("candidates", []):
            ratios = ", ".join(f"{k} {v:.2f}x" for k, v in cand.get("ratios", {}).items())
            status = "ok" if cand.get("accepted") else f"rejected: {cand.get('reason', '')}"
            lines.append(
                f"| {problem['name']} | {cand['name']} | {status[:120]} | "
                f"{_num(cand.get('median_ms'), 4)} | {_num(cand.get('tflops'))} | "
                f"{_num(_pct(cand.get('fraction_of_peak')))} | {_num(cand.get('gbs'), 0)} | "
                f"{_num(_pct(cand.get('fraction_of_copy_bw')))} | {ratios} |"
            )
    return "\n".join(lines) + "\n"


def _pct(x: Any) -> float | None:
    return None if x is None else 100.0 * float(x)


def _num(x: Any, digits: int = 1) -> str:
    if x is None:
        return "-"
    return f"{float(x):.{digits}f}"
