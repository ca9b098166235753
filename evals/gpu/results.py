"""The GPU suite's results file: schema, loading, and the stretch goals read from it.

``ops/gpu/run_device.sh`` writes ``results.json`` with plain dicts (the device has no pydantic);
:func:`load_results` validates it against these models so reports and dashboards can trust it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tools.errors import UsageError
from tools.gpu import SCHEMA


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Environment(_Open):
    """Where the suite ran."""

    device: str = Field(description="cuda or cpu (dry run).")
    device_name: str = Field(description="Card name, e.g. NVIDIA H100 80GB HBM3.")
    driver: str | None = Field(description="NVIDIA driver version.")
    torch: str = Field(description="torch version.")
    triton: str | None = Field(description="Triton version; None when absent.")
    cuda: str | None = Field(description="CUDA version torch was built with.")
    cudnn: int | None = Field(description="cuDNN version number.")


class Peak(_Open):
    """The measured roofline: best cuBLAS bf16 rate at 8192^3 in the same run."""

    tflops: float = Field(description="Best TFLOP/s over the reps.")
    shape: list[int] = Field(description="M, N, K of the peak measurement.")
    source: str = Field(description="How it was measured.")


class CandidateResult(_Open):
    """One implementation of one problem: check, timing and verdict."""

    name: str = Field(
        description="cublas, cublas_pad8, scaled_mm, scaled_mm_fast, flash, cudnn, math or triton_tuned."
    )
    kind: Literal["baseline", "tuned"] = Field(description="Vendor baseline or generated kernel.")
    accepted: bool = Field(description="Passed the check and the timing judgement.")
    reason: str = Field("", description="Why it was rejected; empty when accepted.")
    check: dict[str, Any] | None = Field(None, description="Check record: status, rounds, seeds.")
    timing: dict[str, Any] | None = Field(None, description="Timing record.")
    median_ms: float | None = Field(None, description="Median milliseconds per call.")
    tflops: float | None = Field(None, description="TFLOP/s at the median.")
    fraction_of_peak: float | None = Field(None, description="tflops / measured peak.")
    ratios: dict[str, float] = Field(default_factory=dict, description="Baseline time / this time.")
    plan: dict[str, Any] | None = Field(None, description="The tuned TilePlan and launch options.")


class ProblemResult(_Open):
    """Every candidate of one problem, plus the tuner's search record."""

    name: str = Field(description="e.g. gemm_4096x4096x4096 or attn_b4h16s1024d64_causal.")
    op: Literal["gemm", "gemm_fp8", "attention"] = Field(description="Problem family.")
    shape: dict[str, int | bool] = Field(description="Problem sizes.")
    flops: float = Field(description="Floating-point operations per call.")
    candidates: list[CandidateResult] = Field(description="Baselines and the tuned kernel.")
    search: dict[str, Any] | None = Field(None, description="Tuner trials and seconds spent.")


class GpuResults(_Open):
    """The whole results file."""

    schema_: str = Field(alias="schema", description=f"Always {SCHEMA}.")
    dry_run: bool = Field(description="True for a CPU dry run with tiny shapes.")
    env: Environment
    peak: Peak
    problems: list[ProblemResult]
    wall_s: float = Field(description="Seconds the suite took.")

    def candidate(self, problem: str, name: str) -> CandidateResult | None:
        """The named candidate of the named problem, if present."""
        for prob in self.problems:
            if prob.name == problem:
                return next((c for c in prob.candidates if c.name == name), None)
        return None


def load_results(path: Path) -> GpuResults:
    """Read and validate a results.json; raise UsageError naming the file and the first problem."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read GPU results {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        got = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise UsageError(f"{path} is not a GPU results file: schema {got!r}, expected {SCHEMA!r}")
    try:
        return GpuResults.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"{path} does not match the GPU results schema: {exc}") from exc


GOALS: dict[str, float] = {
    "gemm_aligned_vs_best_baseline": 1.0,
    "gemm_medium_vs_best_baseline": 1.0,
    "gemm_odd_vs_best_baseline": 1.3,
    "skinny_fraction_of_copy_bw": 0.8,
    "attention_vs_flash": 1.0,
    "attention_vs_cudnn": 1.0,
    "fp8_gemm_vs_best_baseline": 1.0,
}
"""Issue 19's goal for each figure :func:`goals` reads (met when the figure is at least this)."""


def goals(results: GpuResults) -> dict[str, float | None]:
    """Worst figure of the tuned kernels per goal of :data:`GOALS` (None when not measured).

    GEMM ratios are against the problem's best baseline (for odd shapes the faster of plain
    cuBLAS and cublas_pad8): aligned large (every dim a multiple of 1024, M > 64), medium (1000^3,
    1024^3), odd (4097x4095x4099). Skinny GEMMs (M <= 64) count their fraction of the measured
    copy bandwidth. Attention counts its ratio to SDPA's FLASH and cuDNN backends; FP8 GEMM its
    ratio to the faster ``torch._scaled_mm`` (exact or fast accumulation). Results files written
    before a baseline or figure existed give None for it.
    """
    found: dict[str, list[float]] = {name: [] for name in GOALS}
    for prob in results.problems:
        tuned = next((c for c in prob.candidates if c.kind == "tuned" and c.accepted), None)
        if tuned is None:
            continue
        if prob.op == "gemm":
            m, n, k = (int(prob.shape[d]) for d in ("M", "N", "K"))
            best = tuned.ratios.get("vs_best_baseline")
            extra = tuned.model_extra or {}
            if m <= 64:
                if extra.get("fraction_of_copy_bw") is not None:
                    found["skinny_fraction_of_copy_bw"].append(float(extra["fraction_of_copy_bw"]))
            elif best is None:
                continue
            elif all(d % 1024 == 0 for d in (m, n, k)) and max(m, n, k) >= 4096:
                found["gemm_aligned_vs_best_baseline"].append(best)
            elif max(m, n, k) <= 1024:
                found["gemm_medium_vs_best_baseline"].append(best)
            elif any(d % 8 for d in (m, n, k)):
                found["gemm_odd_vs_best_baseline"].append(best)
        if prob.op == "gemm_fp8" and "vs_best_baseline" in tuned.ratios:
            found["fp8_gemm_vs_best_baseline"].append(tuned.ratios["vs_best_baseline"])
        if prob.op == "attention":
            for base in ("flash", "cudnn"):
                if f"vs_{base}" in tuned.ratios:
                    found[f"attention_vs_{base}"].append(tuned.ratios[f"vs_{base}"])
    return {name: min(values) if values else None for name, values in found.items()}
