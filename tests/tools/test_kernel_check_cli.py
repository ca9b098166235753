"""The `sw check` / `sw bench` commands and native timing, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops.cmd_sw import app
from tools.errors import UsageError
from tools.kernels.machine import MachineInfo, MachinePeaks
from tools.kernels.refload import load_spec
from tools.kernels.timing import time_kernel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kernels"
runner = CliRunner()


def test_check_passes_a_correct_kernel_with_exit_0() -> None:
    result = runner.invoke(
        app, ["check", str(FIXTURES / "saxpy.c"), "--ref", str(FIXTURES / "saxpy_ref.py"), "--trust-ref"]
    )
    assert result.exit_code == 0, result.output
    assert "PASS saxpy" in result.output


def test_check_json_reports_failure_with_exit_1() -> None:
    args = [
        "check",
        str(FIXTURES / "bad" / "gemm_oob.c"),
        "--ref",
        str(FIXTURES / "gemm_ref.py"),
        "--trust-ref",
    ]
    result = runner.invoke(app, [*args, "--target", "riscv64", "--vlen", "128", "--json", "--seed", "3"])
    assert result.exit_code == 1
    verdict = json.loads(result.output)
    assert verdict["status"] == "out_of_bounds"
    assert verdict["check"]["seeds"][0] == 3


def test_usage_errors_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    ref = str(FIXTURES / "saxpy_ref.py")
    result = runner.invoke(
        app, ["check", str(FIXTURES / "saxpy.c"), "--ref", ref, "--trust-ref", "--target", "mips"]
    )
    assert result.exit_code == 2
    assert "unknown target 'mips'; known targets: aarch64, cuda, riscv64, x86_64" in result.output
    empty = tmp_path / "ref.py"
    empty.write_text("x = 1\n")
    result = runner.invoke(app, ["check", str(FIXTURES / "saxpy.c"), "--ref", str(empty), "--trust-ref"])
    assert result.exit_code == 2
    assert "must define SPEC as a KernelSpec (found nothing)" in result.output


def test_check_help_documents_the_ref_format() -> None:
    result = runner.invoke(app, ["check", "--help"])
    assert result.exit_code == 0
    assert "SPEC = KernelSpec(" in result.output


def _peaks() -> MachinePeaks:
    info = MachineInfo(cpu_model="test", arch="x86_64", cores=1, isa_flags=[], llc_bytes=1 << 20)
    return MachinePeaks(machine=info, fma_gflops=50.0, copy_gbs=20.0, dram_gbs=10.0)


def test_timing_reports_median_iqr_and_roofline_fraction() -> None:
    spec = load_spec(FIXTURES / "gemm_ref.py")
    result = time_kernel(
        (FIXTURES / "gemm.c").read_text(),
        spec,
        shapes=[{"M": 32, "N": 32, "K": 32}],
        peaks=_peaks(),
        samples=5,
    )
    (t,) = result.timings
    assert t.median_s > 0 and t.iqr_s >= 0 and t.samples == 5
    assert t.gflops is not None and t.fraction_of_roofline is not None
    assert t.rotating_sets > 1 and t.exceeds_llc


def test_results_faster_than_the_roofline_are_rejected() -> None:
    spec = load_spec(FIXTURES / "saxpy_ref.py").model_copy(update={"flops": "1000000*n"})
    result = time_kernel(
        (FIXTURES / "saxpy.c").read_text(), spec, shapes=[{"n": 4096}], peaks=_peaks(), samples=5
    )
    assert not result.ok
    assert result.timings[0].suspicious
    assert "exceeds the roofline" in result.check.summary


def test_emulated_targets_are_never_timed() -> None:
    spec = load_spec(FIXTURES / "saxpy_ref.py")
    with pytest.raises(UsageError, match="target 'riscv64' is emulated: its times are not speed"):
        time_kernel((FIXTURES / "saxpy.c").read_text(), spec, "riscv64")


def test_an_untrusted_reference_is_not_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    ref = tmp_path / "ref.py"
    ref.write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    for command in ("check", "bench"):
        result = runner.invoke(app, [command, str(FIXTURES / "saxpy.c"), "--ref", str(ref)])
        assert result.exit_code == 2
        assert "runs in this process with your privileges" in result.output
        assert "--trust-ref" in result.output
    assert not marker.exists()
