"""Everything that runs an external program: the sandbox, simulators, Yosys, compilers, QEMU,
targets, plus the shared records (settings, evidence, run store) the other rooms build on."""

from tools.errors import QimengError, ToolMissing, UsageError
from tools.evidence import Check, Evidence
from tools.sandbox import SandboxError, SandboxResult, run_sandboxed
from tools.settings import ConfigError, SandboxLimits, Settings, get_settings, load_settings

__all__ = [
    "Check",
    "ConfigError",
    "Evidence",
    "QimengError",
    "SandboxError",
    "SandboxLimits",
    "SandboxResult",
    "Settings",
    "ToolMissing",
    "UsageError",
    "get_settings",
    "load_settings",
    "run_sandboxed",
]
