"""Contract suite: every CPU target compiles, runs and checks the same kernels with the same verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.errors import UsageError
from tools.kernels import KernelArg, KernelSpec, check_kernel
from tools.kernels.refload import load_spec
from tools.settings import SandboxLimits
from tools.targets import CPU_TARGETS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kernels"
GEMM = load_spec(FIXTURES / "gemm_ref.py")
SAXPY = load_spec(FIXTURES / "saxpy_ref.py")
SHORT = SandboxLimits(wall_s=3.0, cpu_s=5)

# bad kernel -> the verdicts a user may see for it (never "pass")
BAD = {
    "gemm_tile_edge.c": {"unwritten", "wrong"},
    "gemm_uninit.c": {"unwritten", "nan", "wrong"},
    "gemm_stride.c": {"wrong"},
    "gemm_cached.c": {"wrong"},
    "gemm_ones.c": {"wrong"},
    "gemm_oob.c": {"out_of_bounds"},
    "gemm_hang.c": {"timeout"},
    "gemm_nan.c": {"nan"},
    "gemm_syntax.c": {"compile_error"},
    "gemm_crash.c": {"crash"},
    "gemm_clobber.c": {"input_modified"},
    "gemm_signature.c": {"compile_error"},
}


@pytest.mark.parametrize("target", CPU_TARGETS)
@pytest.mark.parametrize(("kernel", "spec"), [("saxpy.c", SAXPY), ("gemm.c", GEMM)])
def test_correct_kernel_passes_on_every_target(target: str, kernel: str, spec: KernelSpec) -> None:
    verdict = check_kernel((FIXTURES / kernel).read_text(), spec, target, seed=7)
    assert verdict.ok, verdict.reason
    assert verdict.check.status == "pass"
    # every shape ran twice with fresh inputs, and every seed is recorded
    assert len(verdict.trials) == 2 * len(spec.shapes)
    assert len(set(verdict.seeds)) == len(verdict.seeds) == len(verdict.trials)
    assert verdict.emulated is (target != "x86_64")
    assert all(err <= 1e-4 for t in verdict.trials for err in t.rel_errors.values())


@pytest.mark.parametrize("target", CPU_TARGETS)
@pytest.mark.parametrize("kernel", sorted(BAD))
def test_wrong_kernel_is_rejected_with_its_reason(target: str, kernel: str) -> None:
    verdict = check_kernel((FIXTURES / "bad" / kernel).read_text(), GEMM, target, seed=11, limits=SHORT)
    assert not verdict.ok
    assert verdict.status in BAD[kernel], verdict.reason
    assert verdict.check.status in ("fail", "error")
    assert verdict.reason


def test_cached_answer_is_caught_in_the_fresh_input_round() -> None:
    verdict = check_kernel((FIXTURES / "bad" / "gemm_cached.c").read_text(), GEMM, "x86_64", seed=3)
    assert verdict.status == "wrong"
    assert "round 1" in verdict.reason
    assert all(t.status == "pass" for t in verdict.trials if t.round == 0)


def test_reasons_name_what_went_wrong() -> None:
    oob = check_kernel((FIXTURES / "bad" / "gemm_oob.c").read_text(), GEMM, "x86_64", seed=1)
    assert "wrote outside 'C'" in oob.reason
    sig = check_kernel((FIXTURES / "bad" / "gemm_signature.c").read_text(), GEMM, "x86_64", seed=1)
    assert "conflicting types" in sig.reason
    hang = check_kernel((FIXTURES / "bad" / "gemm_hang.c").read_text(), GEMM, "x86_64", seed=1, limits=SHORT)
    assert "wall limit" in hang.reason


def test_same_seed_gives_same_inputs_and_verdict() -> None:
    src = (FIXTURES / "bad" / "gemm_ones.c").read_text()
    a = check_kernel(src, GEMM, "x86_64", seed=5)
    b = check_kernel(src, GEMM, "x86_64", seed=5)
    assert a.seeds == b.seeds
    assert a.reason == b.reason


def test_integer_kernel_must_match_exactly() -> None:
    spec = KernelSpec(
        name="add_i32",
        args=[
            KernelArg(name="n", role="scalar", dtype="i32"),
            KernelArg(name="a", role="in", dtype="i32", shape=["n"]),
            KernelArg(name="b", role="out", dtype="i32", shape=["n"]),
        ],
        reference=lambda n, a: {"b": a + 1},
        shapes=[{"n": 1}, {"n": 31}],
    )
    good = (
        "void add_i32(int n, const int32_t* a, int32_t* b) { for (int i = 0; i < n; i++) b[i] = a[i] + 1; }"
    )
    off = "void add_i32(int n, const int32_t* a, int32_t* b) { for (int i = 0; i < n; i++) b[i] = a[i] + (i == 7); }"
    assert check_kernel(good, spec, "x86_64").ok
    bad = check_kernel(off, spec, "x86_64", seed=2)
    assert bad.status == "wrong"


def test_bad_shapes_and_options_are_usage_errors() -> None:
    src = (FIXTURES / "gemm.c").read_text()
    with pytest.raises(UsageError, match="does not set the integer scalar 'K'"):
        check_kernel(src, GEMM, "x86_64", shapes=[{"M": 2, "N": 2}])
    with pytest.raises(
        UsageError, match="unknown target 'mips'; known targets: aarch64, cuda, riscv64, x86_64"
    ):
        check_kernel(src, GEMM, "mips")
    with pytest.raises(UsageError, match="rounds must be at least 1"):
        check_kernel(src, GEMM, "x86_64", rounds=0)


def test_reference_failure_is_an_error_verdict_not_a_crash() -> None:
    spec = SAXPY.model_copy(update={"reference": lambda n, a, x, y: {"z": y}})
    verdict = check_kernel((FIXTURES / "saxpy.c").read_text(), spec, "x86_64", seed=1)
    assert verdict.status == "error"
    assert "the reference returned no 'y'" in verdict.reason
