# Runs inside the sandbox (see tools.cosim.run_driver): LIB, CDEF and ARGS are given; sets RESULT.
# The host generated A and B and checks C itself; this script only calls the kernel.
import numpy as np
from cffi import FFI

ffi = FFI()
ffi.cdef(CDEF + "long long gemm_accel(const int32_t*, const int32_t*, int64_t*, int, int, int, int, int);")
lib = ffi.dlopen(LIB)
A = np.ascontiguousarray(np.array(ARGS["a"], dtype=np.int32))
B = np.ascontiguousarray(np.array(ARGS["b"], dtype=np.int32))
M, K = A.shape
N = B.shape[1]
C = np.full((M, N), -7, dtype=np.int64)  # poisoned: every element must be written
cycles = lib.gemm_accel(
    ffi.cast("int32_t*", A.ctypes.data), ffi.cast("int32_t*", B.ctypes.data), ffi.cast("int64_t*", C.ctypes.data),
    M, N, K, ARGS["lanes"], ARGS["width"],
)
RESULT = {"cycles": int(cycles), "c": C.tolist()}
