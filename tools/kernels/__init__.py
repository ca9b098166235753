"""Software kernels: the shared kernel description (:class:`KernelSpec`), the generated C harness,
differential checking against a NumPy reference on every target, and native timing with a
roofline from measured machine peaks."""

from tools.kernels.check import KernelVerdict, Status, TrialResult, check_kernel
from tools.kernels.spec import DEFAULT_TOLERANCE, KernelArg, KernelSpec, eval_expr

__all__ = [
    "DEFAULT_TOLERANCE",
    "KernelArg",
    "KernelSpec",
    "KernelVerdict",
    "Status",
    "TrialResult",
    "check_kernel",
    "eval_expr",
]
