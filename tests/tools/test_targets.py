"""Targets: the registry, each target's tools, RVV at several VLENs, NEON, and CUDA without a GPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import UsageError
from tools.kernels import check_kernel
from tools.kernels.refload import load_spec
from tools.targets import CPU_TARGETS, TARGETS, RiscV64, get_target, gpu_present

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kernels"
SAXPY = load_spec(FIXTURES / "saxpy_ref.py")


def test_registry_lists_every_target_and_rejects_unknown_names() -> None:
    assert set(TARGETS) == {"x86_64", "aarch64", "riscv64", "cuda"}
    with pytest.raises(UsageError) as err:
        get_target("mips")
    assert str(err.value) == "unknown target 'mips'; known targets: aarch64, cuda, riscv64, x86_64"
    with pytest.raises(UsageError, match="target 'x86_64' does not take the option"):
        get_target("x86_64", vlen=128)


@pytest.mark.parametrize("name", CPU_TARGETS)
def test_cpu_targets_are_available_with_versions(name: str) -> None:
    avail = get_target(name).availability()
    assert avail.can_compile and avail.can_run, avail.reason
    assert avail.tools


def test_only_native_timings_are_real() -> None:
    assert get_target("x86_64").emulated is False
    assert get_target("aarch64").emulated is True
    assert get_target("riscv64").emulated is True


def test_riscv_vlen_is_validated() -> None:
    with pytest.raises(UsageError, match="VLEN 100 is not supported; use one of 128, 256, 512, 1024"):
        RiscV64(vlen=100)
    assert "vlen=512" in " ".join(RiscV64(vlen=512).run_argv("./k", []))


@pytest.mark.parametrize("vlen", [128, 512])
def test_rvv_intrinsics_kernel_runs_vectorized_under_qemu(vlen: int) -> None:
    src = (FIXTURES / "saxpy_rvv.c").read_text()
    verdict = check_kernel(src, SAXPY, get_target("riscv64", vlen=vlen), seed=4)
    assert verdict.ok, verdict.reason


def test_vlen_dependent_bug_shows_up_only_at_other_vlens() -> None:
    src = (FIXTURES / "bad" / "saxpy_rvv_vlen.c").read_text()
    assert check_kernel(src, SAXPY, RiscV64(vlen=128), seed=4).ok
    assert check_kernel(src, SAXPY, RiscV64(vlen=256), seed=4).status == "wrong"


class _RiscV64NoVector(RiscV64):
    """A real riscv64 target whose emulated CPU lacks the V extension."""

    def run_argv(self, binary: str, args: list[str]) -> list[str]:
        return ["qemu-riscv64", "-cpu", "rv64,v=false", binary, *args]


def test_rvv_binary_really_executes_vector_instructions() -> None:
    src = (FIXTURES / "saxpy_rvv.c").read_text()
    verdict = check_kernel(src, SAXPY, _RiscV64NoVector(), seed=1)
    assert verdict.status == "crash"
    assert "SIGILL" in verdict.reason or "Illegal instruction" in verdict.reason


def test_rvv_intrinsics_do_not_compile_for_x86() -> None:
    verdict = check_kernel((FIXTURES / "saxpy_rvv.c").read_text(), SAXPY, "x86_64", seed=1)
    assert verdict.status == "compile_error"
    assert "riscv_vector.h" in verdict.reason


def test_neon_kernel_passes_on_aarch64() -> None:
    verdict = check_kernel((FIXTURES / "saxpy_neon.c").read_text(), SAXPY, "aarch64", seed=9)
    assert verdict.ok, verdict.reason


@pytest.mark.skipif(gpu_present(), reason="this test is about hosts without a GPU")
def test_cuda_without_gpu_reports_no_device_and_never_passes() -> None:
    cuda = get_target("cuda")
    avail = cuda.availability()
    assert not avail.can_run
    assert avail.reason.startswith(("no device", "compile unavailable"))
    verdict = check_kernel((FIXTURES / "saxpy.cu").read_text(), SAXPY, cuda, seed=1)
    assert verdict.status == "unavailable"
    assert verdict.check.status == "unsupported"
    assert "no device" in verdict.reason or "compile unavailable" in verdict.reason
