"""The software-design agent: the offline kernel template library (C/intrinsics per CPU target and
CUDA), the kernel specs it implements, request parsing, the measurement-driven auto-tuner, the
LLM designer/tester roles (:class:`SwRoles`), the software subgraph's node functions and its
result, :class:`SwDesign` (its front door is :func:`graphs.sw.design_kernel`)."""

from agents.sw.design import SwDesign
from agents.sw.library import ALL_TARGETS, CPU_TARGETS, TEMPLATES, KernelTemplate, Param, get_template
from agents.sw.llm_roles import KernelDesigner, KernelTester, LlmDesigner, LlmTester
from agents.sw.request import KernelRequest, parse_request
from agents.sw.roles import SwRoles
from agents.sw.specs import kernel_dims, kernel_names, kernel_spec
from agents.sw.state import SwState
from agents.sw.tuner import Candidate, TuneResult, tune

__all__ = [
    "ALL_TARGETS",
    "CPU_TARGETS",
    "TEMPLATES",
    "Candidate",
    "KernelDesigner",
    "KernelRequest",
    "KernelTemplate",
    "KernelTester",
    "LlmDesigner",
    "LlmTester",
    "Param",
    "SwDesign",
    "SwRoles",
    "SwState",
    "TuneResult",
    "get_template",
    "kernel_dims",
    "kernel_names",
    "kernel_spec",
    "parse_request",
    "tune",
]
