"""The self-contained GPU kernel kit: TilePlan IR, lowering to Triton, checking, timing, tuning.

Runs on a GPU host with only the standard library, torch, Triton and numpy: its modules import
each other relatively and nothing else of qimeng, so ``ops/gpu/run_device.sh`` can put
``tools/gpu`` on ``sys.path`` and run ``python -m kit.suite``. Modules that need torch import it
lazily, so the plan and lowering logic also work where torch is absent.
"""

from .lower import LoweredKernel, launch_summary, lower_attention, lower_gemm
from .plan import (
    SAFE_GEMM,
    PlanError,
    TilePlan,
    attention_space,
    gemm_space,
    safe_attention,
)
from .report import SCHEMA, render_markdown

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
