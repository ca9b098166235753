"""Hardware/software co-design: what an accelerator publishes, the GEMM kernel run on its Verilator
model, a critic that trades area against cycles with a stated prediction model, and the popcount
kernel that offloads to a popcount unit's model (the subgraph runs live in ``graphs.workers``; the
scenarios that plan and judge them in ``agents.scenarios``)."""

from agents.codesign.accelerator import AcceleratorResult, accelerator_spec
from agents.codesign.critic import Decision, LaneModel, Prediction, PredictionCheck, critique
from agents.codesign.kernel import KernelResult, run_gemm
from agents.codesign.offload import OffloadRun, run_popcount
from agents.codesign.request import CodesignRequest, read_codesign_request

__all__ = [
    "AcceleratorResult",
    "CodesignRequest",
    "Decision",
    "KernelResult",
    "LaneModel",
    "OffloadRun",
    "Prediction",
    "PredictionCheck",
    "accelerator_spec",
    "critique",
    "read_codesign_request",
    "run_gemm",
    "run_popcount",
]
