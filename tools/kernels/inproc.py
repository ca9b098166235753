"""Native kernels loaded into this process through cffi, for fast repeated checks and timing.

Only a kernel that already passed the sandboxed differential check may be loaded: the caller
hands over the passing :class:`~tools.kernels.check.KernelVerdict` as proof, and loading refuses
anything else. The extension is built in cffi's API mode with ``-O3 -march=native -fno-wrapv``;
CPython's own flags carry ``-fwrapv``, which stops GCC from vectorizing loops with signed indices,
so ``-fno-wrapv`` comes last and wins.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from tools.errors import QimengError, UsageError
from tools.kernels.check import KernelVerdict
from tools.kernels.spec import C_TYPES, KernelSpec
from tools.settings import get_settings

COMPILE_ARGS = ["-O3", "-march=native", "-fopenmp", "-fno-wrapv"]
"""Flags for the in-process build, in this order (the last -f[no-]wrapv wins)."""


class InProcessError(QimengError):
    """The kernel could not be built or loaded in-process."""


class InProcessTiming(BaseModel):
    """Median seconds per call of an in-process kernel."""

    median_s: float
    calls: int


class InProcessKernel:
    """A checked kernel callable with NumPy arrays and scalars by argument name."""

    def __init__(self, spec: KernelSpec, module: Any) -> None:
        self.spec = spec
        self._ffi = module.ffi
        self._fn = getattr(module.lib, spec.name)

    def __call__(self, **values: Any) -> None:
        """Call the kernel; arrays must be C-contiguous and of the argument's dtype (checked)."""
        self._fn(*self._args(values))

    def _args(self, values: dict[str, Any]) -> list[Any]:
        out = []
        for arg in self.spec.args:
            if arg.name not in values:
                raise UsageError(f"missing argument '{arg.name}' for {self.spec.name}")
            value = values[arg.name]
            if arg.role == "scalar":
                out.append(value)
                continue
            if (
                not isinstance(value, np.ndarray)
                or value.dtype != arg.np_dtype
                or not value.flags.c_contiguous
            ):
                raise UsageError(f"argument '{arg.name}' must be a C-contiguous {arg.np_dtype} array")
            out.append(self._ffi.cast(f"{C_TYPES[arg.dtype]}*", value.ctypes.data))
        return out

    def time(self, values: dict[str, Any], calls: int = 50, warmup: int = 3) -> InProcessTiming:
        """Median wall time per call over ``calls`` calls after ``warmup`` calls."""
        args = self._args(values)
        for _ in range(warmup):
            self._fn(*args)
        samples = []
        for _ in range(calls):
            start = time.perf_counter()
            self._fn(*args)
            samples.append(time.perf_counter() - start)
        return InProcessTiming(median_s=float(np.median(samples)), calls=calls)


def load_in_process(
    source: str, spec: KernelSpec, proof: KernelVerdict, cache: Path | None = None
) -> InProcessKernel:
    """Build ``source`` as a cffi extension (cached by content) and load it.

    Raises:
        UsageError: when ``proof`` is not a passing x86_64 check of this very source and spec.
        InProcessError: when the build fails (with the compiler's first lines).
    """
    if (
        not proof.ok
        or proof.target != "x86_64"
        or proof.source_sha256 != _sha(source)
        or proof.kernel != spec.name
    ):
        raise UsageError(
            "only a kernel that passed the sandboxed check on x86_64 can be loaded in-process; "
            "run tools.kernels.check_kernel on this exact source first"
        )
    from cffi import FFI

    digest = _sha(source + spec.prototype() + " ".join(COMPILE_ARGS))[:16]
    name = f"_qimeng_kernel_{spec.name}_{digest}"
    where = (cache or get_settings().run_dir / ".cache" / "inproc").resolve()
    where.mkdir(parents=True, exist_ok=True)
    built = next(where.glob(f"{name}*.so"), None)
    if built is None:
        ffi = FFI()
        ffi.cdef(spec.prototype() + ";")
        ffi.set_source(name, source, extra_compile_args=COMPILE_ARGS, extra_link_args=["-fopenmp"])
        try:
            built = Path(ffi.compile(tmpdir=str(where), verbose=False))
        except Exception as exc:  # cffi raises distutils/setuptools errors of several kinds
            raise InProcessError(f"in-process build of {spec.name} failed: {str(exc)[:400]}") from None
    module_spec = importlib.util.spec_from_file_location(name, built)
    if module_spec is None or module_spec.loader is None:
        raise InProcessError(f"cannot load {built}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return InProcessKernel(spec, module)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
