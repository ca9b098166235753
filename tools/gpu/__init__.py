"""GPU kernels: the TilePlan IR, its lowering to Triton, and the device kit that checks and times.

Everything here lives in :mod:`tools.gpu.kit`, which imports nothing of qimeng so that a bare GPU
host can run it (``bash ops/gpu/run_device.sh OUTDIR``); this package re-exports its CPU-safe parts.
"""

from tools.gpu.kit import (
    SAFE_GEMM,
    SCHEMA,
    LoweredKernel,
    PlanError,
    TilePlan,
    attention_space,
    gemm_space,
    launch_summary,
    lower_attention,
    lower_gemm,
    render_markdown,
    safe_attention,
)

__all__ = [
    "SAFE_GEMM",
    "SCHEMA",
    "LoweredKernel",
    "PlanError",
    "TilePlan",
    "attention_space",
    "gemm_space",
    "launch_summary",
    "lower_attention",
    "lower_gemm",
    "render_markdown",
    "safe_attention",
]
