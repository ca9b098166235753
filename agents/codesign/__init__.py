"""Hardware/software co-design: an accelerator designed by the hardware agent, a kernel run on
its Verilator model by the software agent, and a critic that trades area against cycles."""

from agents.codesign.accelerator import AcceleratorResult, build_accelerator
from agents.codesign.critic import Decision, critique
from agents.codesign.kernel import KernelResult, run_gemm
from agents.codesign.request import CodesignRequest, read_codesign_request

__all__ = [
    "AcceleratorResult",
    "CodesignRequest",
    "Decision",
    "KernelResult",
    "build_accelerator",
    "critique",
    "read_codesign_request",
    "run_gemm",
]
