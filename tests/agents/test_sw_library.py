"""The template library: every template renders, compiles and passes the differential checker on
every CPU target (aarch64 and riscv64 under QEMU); parameters are validated with clear errors."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from agents.sw.library import CPU_TARGETS, TEMPLATES, get_template
from agents.sw.specs import kernel_spec
from tools.errors import UsageError
from tools.kernels import check_kernel
from tools.kernels.inproc import load_in_process
from tools.targets.cpu import RiscV64


@pytest.mark.parametrize("target", CPU_TARGETS)
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_is_verified_on_every_cpu_target(name: str, target: str) -> None:
    spec = kernel_spec(name, emulated=True)  # small shapes only: keeps QEMU runs short
    verdict = check_kernel(get_template(name).render(target), spec, target, seed=11)
    assert verdict.ok, f"{name} on {target}: {verdict.status}: {verdict.reason}"
    assert len(verdict.seeds) == 2 * len(spec.shapes)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_has_a_cuda_version_with_the_same_entry_point(name: str) -> None:
    source = get_template(name).render("cuda")
    assert f'extern "C" void {name}(' in source
    assert "__global__" in source


def test_riscv_template_uses_rvv_intrinsics_at_the_chosen_lmul() -> None:
    source = get_template("softmax").render("riscv64", {"lmul": 4})
    assert "#include <riscv_vector.h>" in source
    assert "__riscv_vsetvl_e32m4" in source


def test_x86_gemm_uses_an_avx512_micro_kernel() -> None:
    source = get_template("gemm").render("x86_64", {"mr": 14})
    assert "_mm512_fmadd_ps" in source and "#define QM_MR 14" in source


def test_a_wrong_kernel_fails_the_check_so_the_check_can_fail() -> None:
    spec = kernel_spec("softmax", emulated=True)
    good = get_template("softmax").render("x86_64")
    broken = good.replace("qm_scale_shift(yr, yr, 1.0f / ", "qm_scale_shift(yr, yr, 0.5f / ")
    assert broken != good
    verdict = check_kernel(broken, spec, "x86_64", seed=3)
    assert verdict.status == "wrong"


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(
        UsageError, match=r"unknown kernel template 'fft3d'; known templates: attention, conv2d"
    ):
        get_template("fft3d")


def test_out_of_range_parameter_says_what_is_allowed() -> None:
    with pytest.raises(UsageError, match=r"gemm.mr=5 is out of range; allowed: 6, 8, 12, 14"):
        get_template("gemm").render("x86_64", {"mr": 5})


def test_parameter_of_another_target_is_rejected() -> None:
    with pytest.raises(UsageError, match=r"template 'gemm' has no parameter 'lmul' on x86_64"):
        get_template("gemm").render("x86_64", {"lmul": 2})


def test_unknown_target_lists_the_known_ones() -> None:
    with pytest.raises(
        UsageError, match=r"unknown target 'mips'; known targets: aarch64, cuda, riscv64, x86_64"
    ):
        get_template("gemm").space("mips")


THREADED = sorted(n for n, t in TEMPLATES.items() if "threads" in t.space("x86_64"))


@pytest.mark.parametrize("target", ["x86_64", "aarch64"])
def test_threaded_templates_stay_correct_on_two_threads(target: str) -> None:
    assert {"gemm", "conv2d", "attention", "softmax", "layernorm"} <= set(THREADED)
    for name in THREADED:
        source = get_template(name).render(target, {"threads": 2})
        assert "#define QM_THREADS 2" in source
        verdict = check_kernel(source, kernel_spec(name, emulated=True), target, seed=13)
        assert verdict.ok, f"{name} on {target} with 2 threads: {verdict.status}: {verdict.reason}"


@pytest.mark.parametrize("vlen", [128, 512])
def test_rewritten_templates_are_correct_at_other_riscv_vector_lengths(vlen: int) -> None:
    target = RiscV64(vlen=vlen)
    for name, params in (("gemm", {"lmul": 4}), ("conv2d", {"lmul": 1}), ("attention", {}), ("softmax", {})):
        source = get_template(name).render("riscv64", {**params, "threads": 2})
        verdict = check_kernel(source, kernel_spec(name, emulated=True), target, seed=13)
        assert verdict.ok, f"{name} at VLEN {vlen}: {verdict.status}: {verdict.reason}"


def test_a_threaded_kernel_runs_in_process_through_cffi(tmp_path: Path) -> None:
    spec = kernel_spec("softmax", {"rows": 64, "cols": 300})
    source = get_template("softmax").render("x86_64", {"threads": 2})
    verdict = check_kernel(source, spec, "x86_64", seed=5)
    assert verdict.ok, verdict.reason
    kernel = load_in_process(source, spec, verdict, cache=tmp_path)
    x = np.random.default_rng(5).standard_normal((64, 300)).astype(np.float32)
    y = np.full_like(x, np.nan)
    kernel(x=x, y=y, rows=64, cols=300)
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    assert np.abs(y - e / e.sum(axis=1, keepdims=True)).max() < 1e-6


def test_threaded_gemm_in_process_from_several_threads_and_after_fork(tmp_path: Path) -> None:
    """The x86_64 GEMM's worker pool serves one caller at a time (others run alone), and a forked
    child, which has no workers, still gets the right answer."""
    spec = kernel_spec("gemm", {"M": 300, "N": 257, "K": 129})
    source = get_template("gemm").render("x86_64", {"threads": 2})
    verdict = check_kernel(source, spec, "x86_64", seed=5)
    assert verdict.ok, verdict.reason
    kernel = load_in_process(source, spec, verdict, cache=tmp_path)

    def errors(calls: int, seed: int) -> list[float]:
        rng = np.random.default_rng(seed)
        bad = []
        for _ in range(calls):
            a = rng.standard_normal((300, 129)).astype(np.float32)
            b = rng.standard_normal((129, 257)).astype(np.float32)
            c = np.full((300, 257), np.nan, dtype=np.float32)
            kernel(A=a, B=b, C=c, M=300, N=257, K=129)
            err = float(np.abs(c - a.astype(np.float64) @ b).max())
            if not err < 1e-3:
                bad.append(err)
        return bad

    results: list[list[float]] = [[] for _ in range(3)]
    workers = [threading.Thread(target=lambda i=i: results[i].extend(errors(40, i))) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [[], [], []]
    rng = np.random.default_rng(9)
    a = rng.standard_normal((300, 129)).astype(np.float32)
    b = rng.standard_normal((129, 257)).astype(np.float32)
    want = a.astype(np.float64) @ b  # before the fork: the child calls only the kernel
    pid = os.fork()
    if pid == 0:
        c = np.full((300, 257), np.nan, dtype=np.float32)
        kernel(A=a, B=b, C=c, M=300, N=257, K=129)
        os._exit(0 if float(np.abs(c - want).max()) < 1e-3 else 1)
    deadline = time.monotonic() + 60
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child did not finish within 60 s")
    assert os.waitstatus_to_exitcode(done[1]) == 0
