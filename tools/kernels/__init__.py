"""Software kernels: the shared kernel description (:class:`KernelSpec`), the generated C harness,
differential checking against a NumPy reference on every target, and native timing with a
roofline from measured machine peaks."""

from tools.kernels.check import KernelVerdict, Status, TrialResult, check_kernel
from tools.kernels.machine import MachineInfo, MachinePeaks, machine_info, machine_peaks
from tools.kernels.refload import load_spec
from tools.kernels.spec import DEFAULT_TOLERANCE, KernelArg, KernelSpec, eval_expr
from tools.kernels.timing import BenchResult, Timing, time_kernel

__all__ = [
    "DEFAULT_TOLERANCE",
    "BenchResult",
    "KernelArg",
    "KernelSpec",
    "KernelVerdict",
    "MachineInfo",
    "MachinePeaks",
    "Status",
    "Timing",
    "TrialResult",
    "check_kernel",
    "eval_expr",
    "load_spec",
    "machine_info",
    "machine_peaks",
    "time_kernel",
]
