"""The GPU suite end to end: a CPU dry run writes a results file that the schema accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from evals.gpu import GOALS, goals, load_results
from tools.errors import UsageError
from tools.gpu.kit import suite

DATA = Path(__file__).parents[2] / "evals" / "gpu" / "data"
RECORDED = DATA / "h200_results.json"


def test_dry_run_writes_valid_results_and_a_markdown_table(tmp_path: Path) -> None:
    assert suite.main([str(tmp_path), "--dry-run", "--reps", "3"]) == 0
    results = load_results(tmp_path / "results.json")
    assert results.dry_run and results.env.device == "cpu"
    names = [p.name for p in results.problems]
    assert names == [
        "gemm_64x64x64",
        "gemm_33x65x47",
        "gemm_4x96x128",
        "fp8gemm_64x48x256",
        "attn_b1h2s64d16_full",
        "attn_b1h2s80d32_causal",
    ]
    for prob in results.problems:
        base = prob.candidates[0]
        assert base.kind == "baseline" and base.accepted, base.reason
        assert base.check is not None and len(base.check["rounds"]) == 2
        tuned = prob.candidates[-1]
        assert tuned.kind == "tuned" and not tuned.accepted and tuned.reason.startswith("skipped:")
    odd = next(p for p in results.problems if p.name == "gemm_33x65x47")
    assert [c.name for c in odd.candidates[:2]] == ["cublas", "cublas_pad8"]
    assert all(c.accepted for c in odd.candidates[:2])
    fp8 = next(p for p in results.problems if p.op == "gemm_fp8")
    assert fp8.candidates[0].name == "dequant_fp32"  # a CPU path; torch._scaled_mm needs a GPU
    rounds = fp8.candidates[0].check["rounds"] if fp8.candidates[0].check else []
    assert all(r["rel_error"] < 2.0**-9 + (256 / 32) * 2.0**-14 for r in rounds) and rounds
    table = (tmp_path / "results.md").read_text()
    assert "| gemm_33x65x47 | cublas | ok |" in table
    assert "| gemm_33x65x47 | cublas_pad8 | ok |" in table


@pytest.mark.parametrize("card", ["h100", "h200"])
def test_recorded_device_runs_are_complete_and_checked(card: str) -> None:
    """The committed device results parse, every kernel passed its check, and every goal has a ratio.

    Whether the ratios meet the goals is a benchmark result, reported in the results file and the
    issue notes, not asserted here."""
    results = load_results(DATA / f"{card}_results.json")
    assert not results.dry_run and results.env.device_name.startswith("NVIDIA")
    assert all(c.accepted for p in results.problems for c in p.candidates), "every candidate passed"
    got = goals(results)
    assert set(got) == set(GOALS)
    # the H100 run predates the padded baseline and the bandwidth figures
    measured = set(GOALS) if card == "h200" else {"attention_vs_flash", "attention_vs_cudnn"}
    figures = [got[name] for name in measured]
    assert all(f is not None and f > 0 for f in figures), got


def test_load_results_names_the_file_and_the_expected_schema(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"schema": "other/1"}))
    with pytest.raises(UsageError, match="schema 'other/1', expected 'qimeng.gpu.results/1'"):
        load_results(path)
    data = json.loads(RECORDED.read_text())
    del data["peak"]
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError, match="does not match the GPU results schema"):
        load_results(path)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_tuned_triton_kernels_pass_the_check_on_the_device(tmp_path: Path) -> None:
    assert suite.main([str(tmp_path), "--reps", "5", "--max-plans", "2", "--only", "gemm_1000"]) == 0
    tuned = load_results(tmp_path / "results.json").candidate("gemm_1000x1000x1000", "triton_tuned")
    assert tuned is not None and tuned.accepted, tuned.reason if tuned else "missing"
