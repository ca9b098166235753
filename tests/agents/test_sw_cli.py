"""The ``sw design`` and ``eval kernels`` commands: JSON for scripts, exit 2 on usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops.cmd_eval_sw import app as eval_app
from ops.cmd_sw_design import app as design_app


@pytest.fixture(autouse=True)
def _run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))
    from tools.settings import get_settings

    get_settings.cache_clear()


@pytest.mark.parametrize("target", ["x86_64", "aarch64", "riscv64"])
def test_design_offline_json_gives_a_verified_kernel(target: str) -> None:
    result = CliRunner().invoke(
        design_app,
        ["design", "layernorm rows=5 cols=77", "--target", target, "--offline", "--json", "--budget", "1"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "verified" and data["kernel"] == "layernorm"
    assert "void layernorm(" in data["source"]
    assert {c["name"] for c in data["evidence"]["checks"]} >= {"compile", "difftest", "timing", "tune"}


def test_design_reads_the_request_from_a_file(tmp_path: Path) -> None:
    request = tmp_path / "req.txt"
    request.write_text("transpose 9x13\n")
    result = CliRunner().invoke(design_app, ["design", f"@{request}", "--offline", "--budget", "1"])
    assert result.exit_code == 0, result.output
    assert "transpose on x86_64: verified" in result.stdout


def test_design_usage_errors_exit_2_with_the_reason() -> None:
    result = CliRunner().invoke(design_app, ["design", "gemm 8x8x8 fp64", "--offline"])
    assert result.exit_code == 2
    assert "fp32 only" in " ".join(result.output.split())
    result = CliRunner().invoke(design_app, ["design", "@/nonexistent/req.txt", "--offline"])
    assert result.exit_code == 2 and "does not exist" in " ".join(result.output.split())


def test_eval_kernels_rejects_a_non_cpu_target() -> None:
    result = CliRunner().invoke(eval_app, ["kernels", "--target", "cuda"])
    assert result.exit_code == 2
    assert "'cuda' is not one of x86_64, aarch64, riscv64" in " ".join(result.output.split())


def test_help_teaches_with_examples() -> None:
    result = CliRunner().invoke(design_app, ["design", "--help"])
    assert result.exit_code == 0 and "gemm 512x512x512 fp32" in result.stdout
