"""sw-design campaigns: kernel requests through the software agent, placed by target on a local Ray.

The x86_64 campaign runs everywhere (gcc and bubblewrap, as the software agent needs); the cuda one
only on a host with an NVIDIA GPU, torch with CUDA and Triton (the device machine), and skips
elsewhere naming what is missing.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cluster.campaign import CampaignError, load_campaign, plan
from cluster.launch import execute, open_campaign
from cluster.ray_executor import RayExecutor
from cluster.report import build_report
from tools.evidence import Evidence


@pytest.fixture
def ray_tmp() -> Iterator[None]:
    tmp = tempfile.mkdtemp(prefix="rsw-", dir="/tmp")  # short: Ray's socket paths have a length limit
    old = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = tmp
    yield
    if old is None:
        os.environ.pop("RAY_TMPDIR", None)
    else:
        os.environ["RAY_TMPDIR"] = old


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sw.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: s\nbenchmark:\n  kind: sw-design\n  requests: [softmax 64x512 fp32]\n",
            "sw.yaml:3: targets: a sw-design campaign names the targets",
        ),
        (
            "name: s\nbenchmark:\n  kind: sw-design\n  requests:\n    - gemm 64x64x64 bf16\n"
            "    - softmax 64x512 fp32\ntargets: [cuda]\n",
            "sw.yaml:6: benchmark.requests.1 on cuda: no GPU kernel named",
        ),
        (
            "name: s\nbenchmark:\n  kind: sw-design\n  requests: []\ntargets: [x86_64]\n",
            "sw.yaml:4: benchmark.requests: List should have at least 1 item",
        ),
        (
            "name: s\nbenchmark: {kind: sw-design, requests: [fft 64], budget: 0}\ntargets: [x86_64]\n",
            "sw.yaml:2: benchmark.budget: Input should be greater than 0",
        ),
        (
            "name: s\nbenchmark:\n  kind: sw-design\n  requests:\n    - gemm 64x64x64\n"
            "    - {request: gemm 64x64x64, targets: [riscv64]}\ntargets: [cuda, x86_64]\n",
            "sw.yaml:6: benchmark.requests.1.targets: 'riscv64' is not one of the campaign's targets",
        ),
        (
            "name: s\nbenchmark:\n  kind: sw-design\n  requests:\n    - 5\ntargets: [x86_64]\n",
            "sw.yaml:5: benchmark.requests.0: a request is text or a mapping {request: TEXT, targets:",
        ),
        (
            "name: s\nbenchmark: {kind: sw-desing, requests: [x]}\n",
            "unknown benchmark kind; known kinds: hw-design, sw-design, synthetic, verilog-eval",
        ),
    ],
)
def test_bad_sw_design_campaigns_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CampaignError) as err:
        load_campaign(write(tmp_path, text))
    assert message in str(err.value)


def test_sw_design_plan_places_each_request_on_each_target(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: s\nbenchmark:\n  kind: sw-design\n  budget: 3\n  requests:\n    - gemm 64x64x64\n"
        "    - {request: attention seq=1024 dim=64 causal, targets: [cuda]}\ntargets: [x86_64, cuda]\n",
    )
    specs = plan(load_campaign(path)[0])
    assert [(s.key, s.task, s.target) for s in specs] == [
        ("req000@x86_64", "sw-design-sample", "x86_64"),
        ("req000@cuda", "sw-design-sample", "cuda"),
        ("req001@cuda", "sw-design-sample", "cuda"),  # designed for the targets it names only
    ]
    assert specs[1].args == {"request": "gemm 64x64x64", "budget": 3, "target": "cuda"}


def test_sw_design_campaign_on_ray_records_verified_kernels_and_resumes(
    tmp_path: Path, ray_tmp: None
) -> None:
    path = write(
        tmp_path,
        "name: sw-x86\nbenchmark: {kind: sw-design, requests: [softmax 64x512 fp32], budget: 1}\n"
        "samples: 2\ntargets: [x86_64]\nretries: 0\n",
    )
    executor = RayExecutor(num_cpus=2, targets={"x86_64"}, retries=0)
    try:
        opened = open_campaign(path, root=tmp_path / "runs")
        outcome = execute(opened, executor)
        assert (outcome.recorded, outcome.errors) == (2, 0)
        rows = opened.store.rows()
        assert [(r.task, r.sample, r.status, r.passed) for r in rows] == [
            ("req000@x86_64", 0, "ok", True),
            ("req000@x86_64", 1, "ok", True),
        ]
        value = rows[0].value
        assert value is not None and value["status"] == "verified" and value["kernel"] == "softmax"
        evidence = Evidence.model_validate(value["evidence"])
        assert evidence.verified and {"compile", "difftest", "timing"} <= {c.name for c in evidence.checks}
        assert value["median_s"] > 0 and value["timing"]["shape"] == {"rows": 64, "cols": 512}
        assert (Path(value["run_dir"]) / "manifest.json").is_file()
        assert rows[0].node_id not in ("", "local")  # a Ray node ran it
        opened.store.close()

        # a driver that died before recording sample 1: the resumed run does that sample alone
        db = sqlite3.connect(opened.run.path / "results.sqlite")
        db.execute("DELETE FROM samples WHERE sample = 1")
        db.commit()
        db.close()
        again = open_campaign(path, resume=opened.run.id, root=tmp_path / "runs")
        resumed = execute(again, executor)
        assert (resumed.recorded, resumed.already_done, resumed.errors) == (1, 1, 0)
        assert [r.sample for r in again.store.rows()] == [0, 1]
        report = build_report(again.run, again.store, plots=False)
        assert report.pass_at == {"1": 1.0} and report.status.state == "done"
        again.store.close()
    finally:
        executor.close()


def gpu_missing() -> str | None:
    """Why this host cannot run the cuda campaign (None when it can)."""
    from tools.targets.cuda_kit import kit_unavailable

    why = kit_unavailable()
    if why is not None:
        return why
    import torch

    if not torch.cuda.is_available():
        return "torch.cuda.is_available() is False"
    if importlib.util.find_spec("triton") is None:
        return "triton is not installed"
    return None


def test_cuda_sw_design_campaign_runs_on_the_gpu_worker(tmp_path: Path, ray_tmp: None) -> None:
    why = gpu_missing()
    if why is not None:
        pytest.skip(f"needs a CUDA GPU with torch and Triton: {why}")
    path = write(
        tmp_path,
        "name: sw-cuda\nbenchmark: {kind: sw-design, requests: [gemm 512x512x512 bf16], budget: 1}\n"
        "targets: [cuda]\nretries: 0\n",
    )
    executor = RayExecutor(num_cpus=2, targets={"cuda"}, retries=0)
    try:
        opened = open_campaign(path, root=tmp_path / "runs")
        outcome = execute(opened, executor)
        (row,) = opened.store.rows()
        assert outcome.recorded == 1 and row.status == "ok", row.error
        value = row.value
        assert value is not None and value["target"] == "cuda" and value["kernel"] == "gemm"
        evidence = Evidence.model_validate(value["evidence"])
        assert row.passed is True and value["status"] == "verified" and evidence.verified, value["why_not"]
        assert "gpu-check" in {c.name for c in evidence.checks}
        assert value["median_s"] > 0 and value["ratios"]["vs_cublas"] > 0
        opened.store.close()
    finally:
        executor.close()
