"""Runs inside the sandbox (see tools.cosim.run_driver): calls the GEMM kernel on the accelerator.

The host generated A and B and checks C itself; this script only calls the kernel.
"""

from typing import Any

import numpy as np
from cffi import FFI


def main(lib_path: str, cdef: str, args: dict[str, Any]) -> dict[str, Any]:
    ffi = FFI()
    ffi.cdef(
        cdef + "long long gemm_accel(const int32_t*, const int32_t*, int64_t*, int, int, int, int, int);"
    )
    lib: Any = ffi.dlopen(lib_path)
    a = np.ascontiguousarray(np.array(args["a"], dtype=np.int32))
    b = np.ascontiguousarray(np.array(args["b"], dtype=np.int32))
    m, k = a.shape
    n = b.shape[1]
    c = np.full((m, n), -7, dtype=np.int64)  # poisoned: every element must be written
    cycles = lib.gemm_accel(
        ffi.cast("int32_t*", a.ctypes.data),
        ffi.cast("int32_t*", b.ctypes.data),
        ffi.cast("int64_t*", c.ctypes.data),
        m,
        n,
        k,
        args["lanes"],
        args["width"],
    )
    return {"cycles": int(cycles), "c": c.tolist()}
