"""The kernel suite: the evaluator's references agree with the designer's specs, and a small suite
runs end to end (designed, judged by the evaluator's own references, raced against NumPy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.sw.specs import kernel_spec
from evals._kernel_problems import PROBLEMS, Problem, _focal_split, _gemm
from evals.kernels import run_suite
from tools.kernels.inputs import make_trial


@pytest.fixture(autouse=True)
def _run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))
    from tools.settings import get_settings

    get_settings.cache_clear()


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p.id for p in PROBLEMS])
def test_evaluator_reference_agrees_with_the_designer_spec(problem: Problem) -> None:
    spec = kernel_spec(problem.kernel, problem.dims, emulated=True)
    shape = spec.shapes[-1]
    trial = make_trial(spec, shape, np.random.default_rng(4))
    inputs = {**trial.scalars, **{a.name: trial.arrays[a.name] for a in spec.arrays if a.role == "in"}}
    ours, theirs = spec.reference(**inputs), problem.oracle(**inputs)
    for out in spec.outputs:
        want = np.asarray(theirs[out.name]).reshape(-1)
        got = np.asarray(ours[out.name]).reshape(-1)
        assert np.linalg.norm(got - want) <= 1e-9 * max(np.linalg.norm(want), 1.0), out.name


def test_small_suite_runs_on_native_and_emulated_targets() -> None:
    small = [
        Problem("gemm-64", "gemm 64x64x64 fp32", "gemm", {"M": 64, "N": 64, "K": 64}, _gemm),
        Problem("focal-20x30", "focal split 20x30", "focal_split", {"H": 20, "W": 30}, _focal_split),
    ]
    report = run_suite(["x86_64", "aarch64"], budget=1, problems=small, roofline=False)
    assert [(r.target, r.oracle) for r in report.rows] == [
        ("x86_64", "pass"),
        ("x86_64", "pass"),
        ("aarch64", "pass"),
        ("aarch64", "pass"),
    ]
    native = [r for r in report.rows if r.target == "x86_64"]
    assert all(r.median_s and r.numpy_env_s and r.numpy_clean_s for r in native)
    assert all(r.speedup_clean and r.speedup_clean > 0 for r in native)
    assert report.blas_clean and report.blas_clean[0]["num_threads"] == 1
    assert all(r.median_s is None for r in report.rows if r.target == "aarch64")
