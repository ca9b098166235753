"""Intake: read a free-text request, decide what kind of work it is, and catch bad requests early.

``classify(text)`` is the pure part (testable alone); :func:`intake_node` is the graph node, which
asks the user (LangGraph ``interrupt``) to clarify an empty request or one that matches nothing.
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.types import interrupt
from pydantic import BaseModel, Field

from agents.codesign.request import is_codesign, read_codesign_request
from agents.hw.interpretation import Underspecified
from agents.hw.request import read_request
from agents.sw.request import parse_request
from agents.top.events import emit
from agents.top.state import Kind, QimengState
from tools.errors import QimengError, UsageError
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
_SW_WORDS = re.compile(r"\b(kernel|kernels|simd|vectori[sz]ed|rvv|neon|avx|fp32)\b", re.I)


class Intake(BaseModel):
    """What intake found in the request."""

    kind: Kind = Field(description="hw, sw or codesign.")
    target: str | None = Field(None, description="Target ISA named in the request (software).")
    details: dict[str, Any] = Field(
        default_factory=dict, description="Parsed parameters (co-design request)."
    )


class Unclear(QimengError):
    """The request is empty or matches nothing the agents can build; ``question`` asks the user."""

    def __init__(self, question: str, keeps_request: bool = False) -> None:
        super().__init__(question)
        self.question = question
        self.keeps_request = keeps_request


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


def classify(text: str) -> Intake:
    """Decide whether ``text`` asks for hardware, software, or both (co-design).

    Raises:
        Unclear: empty text, or nothing in the hardware or software library matches it.
        UsageError: an unsupported target or an out-of-range co-design parameter.
    """
    if not text.strip():
        raise Unclear(
            "the request is empty; what should I design? e.g. '8-bit counter with sync reset', "
            "'softmax kernel for riscv64', or 'dot-product accelerator under 6000 cells and the GEMM kernel that uses it'"
        )
    target = find_target(text)
    if is_codesign(text):
        req = read_codesign_request(text)
        return Intake(kind="codesign", target=target, details=req.model_dump())
    sw_error = hw_error = ""
    try:
        parse_request(text)
        sw_ok = True
    except UsageError as exc:
        sw_ok, sw_error = False, str(exc)
    try:
        read_request(text)
        hw_ok = True
    except UsageError as exc:
        hw_ok, hw_error = False, str(exc)
    if sw_ok and (target is not None or _SW_WORDS.search(text) or not hw_ok):
        return Intake(kind="sw", target=target or "x86_64")
    if hw_ok:
        return Intake(kind="hw", target=target)
    raise Unclear(
        f"I could not tell what to build from {text.strip()!r}.\n"
        f"As hardware: {hw_error.splitlines()[0]}\nAs software: {sw_error}\n"
        "Please rephrase, naming a circuit or a kernel (and a target)."
    )


def _ask_for_missing(text: str) -> None:
    """Raise :class:`Unclear` (keeping the request) when the offline designer would have to guess a
    behaviour-deciding parameter (a detector's pattern, a table) or the text and header disagree."""
    req = read_request(text)
    if req.missing and req.generator is not None:
        raise Unclear(Underspecified(req.generator, req.missing, []).question, keeps_request=True)


def intake_node(state: QimengState) -> QimengState:
    """Classify the request; ask the user (interrupt) until it is clear. Raises UsageError on a
    request that names an unsupported target or an impossible parameter."""
    text = state.get("request", "")
    while True:
        try:
            found = classify(text)
            if found.kind == "hw" and state.get("offline", True):
                _ask_for_missing(text)
            break
        except Unclear as exc:
            answer = interrupt({"kind": "clarify", "question": exc.question})
            # an answer to "which pattern?" adds to the request; an answer to "what?" replaces it
            text = f"{text}\n{answer or ''}" if exc.keeps_request else str(answer or "")
    emit("intake", "classified", kind=found.kind, target=found.target)
    return {
        "request": text,
        "kind": found.kind,
        "details": {**found.details, "target": found.target},
        "round": 0,
        "tried": [],
        "status": "running",
    }
