"""Reading requests: the target ISA a request names, and whether its words are about software."""

from __future__ import annotations

import re

from tools.errors import UsageError
from tools.targets import TARGETS

_ALIASES = {"x86-64": "x86_64", "amd64": "x86_64", "arm64": "aarch64", "rv64": "riscv64", "risc-v": "riscv64"}
# ISAs people ask for that we do not build for: named so the error can say so instead of ignoring them.
_OTHER_ISAS = (
    "mips",
    "sparc",
    "powerpc",
    "ppc64",
    "ppc",
    "s390x",
    "loongarch",
    "ia64",
    "armv7",
    "avr",
    "xtensa",
)
SW_WORDS = re.compile(r"\b(kernel|kernels|simd|vectori[sz]ed|rvv|neon|avx|fp32)\b", re.I)


def find_target(text: str) -> str | None:
    """The target ISA the request names, if any.

    Raises:
        UsageError: for an ISA qimeng does not target (the message lists the known ones).
    """
    low = text.lower()
    for name in TARGETS:
        if re.search(rf"\b{re.escape(name)}\b", low):
            return name
    for alias, name in _ALIASES.items():
        if re.search(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", low):
            return name
    for other in _OTHER_ISAS:
        if re.search(rf"\b{other}\b", low):
            raise UsageError(f"unsupported target '{other}'; known targets: {', '.join(sorted(TARGETS))}")
    return None
