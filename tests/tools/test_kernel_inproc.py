"""A checked native kernel runs in-process through cffi, built without -fwrapv so it vectorizes."""

from __future__ import annotations

import subprocess
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from tools.errors import UsageError
from tools.kernels import check_kernel
from tools.kernels.inproc import COMPILE_ARGS, load_in_process
from tools.kernels.refload import load_spec

FIXTURES = Path(__file__).parents[1] / "fixtures" / "kernels"


def test_checked_kernel_runs_in_process_and_matches_numpy(tmp_path: Path) -> None:
    spec = load_spec(FIXTURES / "saxpy_ref.py")
    source = (FIXTURES / "saxpy.c").read_text()
    verdict = check_kernel(source, spec, "x86_64", seed=7)
    assert verdict.ok, verdict.reason
    kernel = load_in_process(source, spec, verdict, cache=tmp_path)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(1003).astype(np.float32)
    y = rng.standard_normal(1003).astype(np.float32)
    want = 2.5 * x + y
    kernel(n=1003, a=np.float32(2.5), x=x, y=y)
    assert np.linalg.norm(y - want) / np.linalg.norm(want) < 1e-6  # FMA contraction may differ per element
    assert kernel.time({"n": 1003, "a": np.float32(1.0), "x": x, "y": y}, calls=5).median_s > 0


def test_refuses_a_kernel_without_a_passing_check(tmp_path: Path) -> None:
    spec = load_spec(FIXTURES / "saxpy_ref.py")
    source = (FIXTURES / "saxpy.c").read_text()
    verdict = check_kernel(source, spec, "x86_64", seed=7)
    with pytest.raises(UsageError, match="only a kernel that passed the sandboxed check"):
        load_in_process(source + "\n/* edited after the check */\n", spec, verdict, cache=tmp_path)


def test_python_flags_carry_fwrapv_and_ours_undo_it(tmp_path: Path) -> None:
    """Why -fno-wrapv: with CPython's -fwrapv a signed-index loop does not vectorize."""
    assert "-fwrapv" in (sysconfig.get_config_var("CFLAGS") or "")
    assert COMPILE_ARGS[-1] == "-fno-wrapv"
    src = tmp_path / "k.c"
    src.write_text(
        "void f(int n, float* restrict y, const float* restrict x) {\n"
        "  for (int i = 0; i < n; i += 1) y[i * 2] += 3.0f * x[i * 2];\n}\n"
    )

    def vectorized(flags: list[str]) -> bool:
        res = subprocess.run(
            ["gcc", "-c", "-fopt-info-vec-optimized", *flags, str(src), "-o", str(tmp_path / "k.o")],
            capture_output=True,
            text=True,
            check=True,
        )
        return "vectorized" in res.stderr

    assert not vectorized(["-O3", "-march=native", "-fwrapv"])
    assert vectorized(["-O3", "-march=native", "-fwrapv", *COMPILE_ARGS])
