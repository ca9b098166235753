"""Hardware/software co-design: what an accelerator publishes, the GEMM kernel run on its Verilator
model, and a critic that trades area against cycles (the subgraph runs live in ``graphs.workers``)."""

from agents.codesign.accelerator import AcceleratorResult, accelerator_spec
from agents.codesign.critic import Decision, critique
from agents.codesign.kernel import KernelResult, run_gemm
from agents.codesign.request import CodesignRequest, read_codesign_request

__all__ = [
    "AcceleratorResult",
    "CodesignRequest",
    "Decision",
    "KernelResult",
    "accelerator_spec",
    "critique",
    "read_codesign_request",
    "run_gemm",
]
