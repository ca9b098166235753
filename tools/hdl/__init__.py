"""Hardware checking tools: lint, simulation, ports, differential and formal equivalence, synthesis.

Every tool here runs iverilog, Verilator or Yosys (and untrusted Python reference models) inside
:func:`tools.sandbox.run_sandboxed` and returns pydantic records that turn into
:class:`tools.evidence.Check` evidence.
"""

from tools.hdl.diffcheck import PythonRef, VerilogRef, diff_check
from tools.hdl.formal import formal_check
from tools.hdl.lint import Diagnostic, LintReport, lint, parse_iverilog, parse_verilator
from tools.hdl.ports import DesignInfo, DesignReadError, Port, Reset, read_design
from tools.hdl.report import DiffReport, Mismatch, OutputStats
from tools.hdl.simulate import SimResult, simulate
from tools.hdl.synth import SynthError, SynthReport, synth

__all__ = [
    "DesignInfo",
    "DesignReadError",
    "Diagnostic",
    "DiffReport",
    "LintReport",
    "Mismatch",
    "OutputStats",
    "Port",
    "PythonRef",
    "Reset",
    "SimResult",
    "SynthError",
    "SynthReport",
    "VerilogRef",
    "diff_check",
    "formal_check",
    "lint",
    "parse_iverilog",
    "parse_verilator",
    "read_design",
    "simulate",
    "synth",
]
