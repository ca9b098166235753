"""``qimeng sw design ... --target cuda``: refused clearly without a GPU, and on a GPU machine the
GPU kit's checks and timing decide (that test skips elsewhere, saying why)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.sw.gpu import design_gpu_kernel, refusal
from agents.sw.gpu_request import parse_gpu_request
from ops.cmd_sw_design import app
from tools.errors import UsageError
from tools.targets.cuda_kit import kit_unavailable, record_checks

NO_KIT = kit_unavailable()


def test_reads_gemm_and_attention_requests() -> None:
    gemm = parse_gpu_request("gemm 1024x2048x512 bf16")
    assert (gemm.kernel, gemm.dims, gemm.dtype) == ("gemm", {"M": 1024, "N": 2048, "K": 512}, "bf16")
    square = parse_gpu_request("matmul 1000")
    assert square.dims == {"M": 1000, "N": 1000, "K": 1000}
    assert square.interpretation is not None
    assumed = {r.name for r in square.interpretation.readings if r.source == "assumed"}
    assert assumed == {"dtype"}
    attn = parse_gpu_request("attention seq=2048 d=64 causal bf16")
    assert attn.dims == {"batch": 4, "heads": 16, "seq": 2048, "dim": 64, "causal": 1}
    assert parse_gpu_request("attn seq=1024 non-causal").dims["causal"] == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("gemm 1024 fp32", "bf16 only"),
        ("softmax rows=64 cols=1000", "designs gemm and attention"),
        ("gemm 0x4x4 bf16", ">= 1"),
        ("attention 4096 128", "NAME=VALUE"),
        ("gemm 64 128 bf16", "order open"),
    ],
)
def test_refuses_what_the_kit_does_not_build(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_gpu_request(text)


@pytest.mark.skipif(NO_KIT is None, reason="this host has a GPU with torch and Triton: nothing to refuse")
def test_cli_refuses_without_a_cuda_device() -> None:
    result = CliRunner().invoke(app, ["design", "gemm 1024x1024x1024 bf16", "--target", "cuda", "--json"])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "no CUDA device here (" in text
    assert "targets served: " in text and "cuda" not in text.split("targets served: ")[1].split(".")[0]
    assert refusal() is not None


def test_an_unaccepted_tuned_kernel_is_not_verified() -> None:
    # The suite's record shape for a problem whose Triton kernel failed its check (poisoned output
    # left NaN): evidence must fail, baselines stay informational.
    record = {
        "name": "gemm_64x64x64",
        "candidates": [
            {"name": "cublas", "kind": "baseline", "accepted": True, "median_ms": 0.01, "tflops": 0.05},
            {"name": "triton_tuned", "kind": "tuned", "accepted": False, "reason": "check nan: output left NaN",
             "check": {"status": "nan", "reason": "output left NaN", "rounds": [{"seed": 3, "status": "nan"}]}},
        ],
    }  # fmt: skip
    checks = record_checks(record)
    assert [c.status for c in checks] == ["fail", "pass"]
    assert "output left NaN" in checks[0].summary and checks[0].seeds == [3]


def test_an_accepted_tuned_kernel_passes_with_its_rounds_and_ratios() -> None:
    rounds = [{"seed": s, "status": "pass", "rel_error": e} for s, e in ((1, 2e-3), (2, 4e-3))]
    record = {
        "name": "gemm_64x64x64",
        "candidates": [
            {"name": "cublas", "kind": "baseline", "accepted": False, "reason": "check wrong: off"},
            {"name": "triton_tuned", "kind": "tuned", "accepted": True, "median_ms": 0.02, "tflops": 0.03,
             "ratios": {"vs_cublas": 1.1}, "check": {"status": "pass", "reason": "", "rounds": rounds}},
        ],
    }  # fmt: skip
    checks = record_checks(record)
    assert [(c.name, c.status) for c in checks] == [
        ("gpu-check", "pass"),
        ("gpu-timing", "pass"),
        ("gpu-baseline-cublas", "skipped"),
    ]
    assert "2 round(s)" in checks[0].summary and "4.00e-03" in checks[0].summary
    assert "vs_cublas 1.10x" in checks[1].summary


@pytest.mark.gpu
@pytest.mark.skipif(NO_KIT is not None, reason=f"needs a CUDA GPU with torch and Triton: {NO_KIT}")
def test_designs_a_checked_and_timed_gemm_on_the_gpu(tmp_path: Path) -> None:
    design = design_gpu_kernel(
        "gemm 1024x1024x1024 bf16", budget_s=20.0, max_plans=8, reps=10, run_root=tmp_path
    )
    assert design.status == "verified", design.why_not
    assert [c.name for c in design.evidence.checks][:2] == ["gpu-check", "gpu-timing"]
    assert "@triton.jit" in design.source and design.timing is not None
    saved = json.loads((Path(design.run_dir) / "gpu_record.json").read_text())
    assert saved["record"]["name"] == "gemm_1024x1024x1024"
