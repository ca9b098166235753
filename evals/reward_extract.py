"""Answer extraction from an RL completion, as CodeV-R1 does it, and the format reward.

CodeV-R1's completions look like ``<think>...</think><answer>...</answer>``, the answer holding the
code in a fenced block. The code judged is the last fenced block of the ``<answer>`` section when
there is one, else the last fenced block of the whole completion (a block tagged with the kind's
language, e.g. ```` ```verilog ````, or an untagged one). The format reward is separate from the
correctness reward: 1.0 only when the completion is exactly one think section followed by one
answer section whose code was found, else 0.0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

CodeKind = Literal["verilog", "kernel"]
ExtractedFrom = Literal["answer", "fence", "none"]

LANGUAGES: dict[str, tuple[str, ...]] = {
    "verilog": ("verilog", "systemverilog", "sv", "v"),
    "kernel": ("c", "cpp", "c++", "cuda", "cu"),
}
"""Fence tags accepted per kind (an untagged fence is accepted for either)."""

_FENCE = re.compile(r"```[ \t]*([A-Za-z+]*)[^\n]*\n(.*?)```", re.S)
_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|\Z)", re.S)
_FORMAT = re.compile(r"\A\s*<think>.*?</think>\s*<answer>.*?</answer>\s*\Z", re.S)


@dataclass(frozen=True)
class Extraction:
    """What was found in a completion."""

    code: str | None
    """The code to judge, or None when the completion has no code block."""
    source: ExtractedFrom
    """Where it came from: the ``<answer>`` section, a fenced block elsewhere, or nowhere."""
    format_reward: float
    """1.0 when the completion is ``<think>...</think><answer>...</answer>`` with code in the answer."""


def _last_block(text: str, kind: CodeKind) -> str | None:
    wanted = LANGUAGES[kind]
    found = [body for tag, body in _FENCE.findall(text) if tag.lower() in (*wanted, "")]
    return found[-1].strip() if found else None


def extract(completion: str, kind: CodeKind) -> Extraction:
    """The code of ``completion`` for a ``kind`` problem (see the module docstring).

    An ``<answer>`` section without a fence counts as code when it declares a module (Verilog)
    or defines a function body (kernel), as CodeV-R1 accepts bare answers.
    """
    answers = _ANSWER.findall(completion)
    code: str | None = None
    source: ExtractedFrom = "none"
    if answers:
        answer = answers[-1]
        code = _last_block(answer, kind)
        if code is None and _looks_like_code(answer, kind):
            code = answer.strip()
        if code is not None:
            source = "answer"
    if code is None:
        code = _last_block(completion, kind)
        source = "fence" if code is not None else "none"
    well_formed = bool(_FORMAT.match(completion)) and len(answers) == 1 and source == "answer"
    return Extraction(code or None, source if code else "none", 1.0 if well_formed else 0.0)


def _looks_like_code(text: str, kind: CodeKind) -> bool:
    if kind == "verilog":
        return re.search(r"\bmodule\b[\s\S]*\bendmodule\b", text) is not None
    return re.search(r"\)\s*\{[\s\S]*\}", text) is not None
