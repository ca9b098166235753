"""Runs inside the sandbox (see tools.cosim.run_driver): both popcount kernels on the same words.

The host generated the words and checks the counts itself; this script only calls the kernels.
"""

from typing import Any

from cffi import FFI


def main(lib_path: str, cdef: str, args: dict[str, Any]) -> dict[str, Any]:
    ffi = FFI()
    ffi.cdef(
        cdef
        + "long long popcount_software(const uint32_t*, int, long long*);"
        + "long long popcount_offload(const uint32_t*, int, int, long long*, long long*);"
    )
    lib: Any = ffi.dlopen(lib_path)
    words = args["data"]
    data = ffi.new("uint32_t[]", words)
    sw_ops, hw_ops, calls = ffi.new("long long*"), ffi.new("long long*"), ffi.new("long long*")
    software = lib.popcount_software(data, len(words), sw_ops)
    offload = lib.popcount_offload(data, len(words), args["width"], hw_ops, calls)
    return {
        "software_count": int(software),
        "software_ops": int(sw_ops[0]),
        "offload_count": int(offload),
        "offload_ops": int(hw_ops[0]),
        "unit_calls": int(calls[0]),
    }
