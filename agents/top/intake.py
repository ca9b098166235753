"""Intake: read a free-text request, split it into parts, match each part to a scenario, and catch
bad requests early.

``classify(text)`` is the pure part (testable alone); :func:`intake_node` is the graph node, which
asks the user (LangGraph ``interrupt``) to clarify an empty request or one that matches nothing.
A compound request ("an 8-bit counter ..., and a layernorm kernel ... for aarch64") becomes one part
per request; a part no scenario serves is kept, named as refused with the readers' reasons.
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.types import interrupt
from pydantic import BaseModel, Field

from agents import scenarios  # the module, not its names: agents.scenarios imports agents.top.state
from agents.hw.interpretation import Underspecified
from agents.hw.request import read_request
from agents.sw.request import parse_request
from agents.top.events import emit
from agents.top.state import Kind, Part, QimengState
from tools.errors import QimengError, UsageError

# Where a request joins two requests. Strong joins (';', ', and', ', plus', 'and also') always split,
# and a piece no scenario serves is refused; a weak join ('and' before an article) splits only when
# every piece is served ("a FIFO with a full flag and an empty flag" stays one block).
_STRONG = re.compile(r"\s*(?:;|,\s*(?:and|plus)\s+|\band also\b)\s*", re.I)
_HEADER = re.compile(r"\bmodule\s+\w+\s*[(#;]")
_WEAK = re.compile(r"\s+and\s+(?=(?:a|an|the)\s)", re.I)


class Intake(BaseModel):
    """What intake found in the request."""

    kind: Kind = Field(description="The single part's kind (hw, sw, codesign), 'compound' or 'free-form'.")
    target: str | None = Field(None, description="Target ISA named in the request (software).")
    details: dict[str, Any] = Field(default_factory=dict, description="The single part's details.")
    parts: list[Part] = Field(default_factory=list, description="The request's parts, in order.")


class Unclear(QimengError):
    """The request is empty or matches nothing the agents can build; ``question`` asks the user."""

    def __init__(self, question: str, keeps_request: bool = False) -> None:
        super().__init__(question)
        self.question = question
        self.keeps_request = keeps_request


def _why_not(text: str) -> str:
    """What the hardware and software readers said about ``text`` (both refused it)."""
    why = []
    readers = (
        ("as hardware", read_request, "qimeng hw design --help says what each builds"),
        ("as software", parse_request, "qimeng sw design --help lists the kernels"),
    )
    for label, read, more in readers:
        try:
            read(text)
        except UsageError as exc:
            why.append(f"{label}: {_one_line(str(exc), more)}")
    return "; ".join(why) or "no scenario serves it (both readers accept it, no scenario claims it)"


def _one_line(message: str, more: str) -> str:
    """``message`` in one line: a list that follows a line ending in ':' (one item a line, the
    item's name first, e.g. the generator catalog) becomes its names, with where to read more."""
    first, *rest = message.splitlines() or [""]
    names = [line.split()[0] for line in rest if line.strip()]
    if first.endswith(":") and names:
        return f"{first} {', '.join(names)} ({more})"
    return first


def _part(idx: int, text: str, free_form: bool) -> Part:
    found = scenarios.match(text)
    if found is not None:
        return Part(id=f"p{idx}", text=text, scenario=found[0], details=found[1])
    if free_form:  # the LLM planner decomposes it
        return Part(id=f"p{idx}", text=text)
    return Part(id=f"p{idx}", text=text, refused=_why_not(text))


def _pieces(pieces: list[str]) -> list[str]:
    return [p.strip(" ,.") for p in pieces if p.strip(" ,.")]


def _split_weak(piece: str) -> list[str]:
    """``piece`` split at weak joins when a scenario serves every sub-piece, else ``[piece]``."""
    subs = _pieces(_WEAK.split(piece))
    if len(subs) > 1 and all(scenarios.match(s) is not None for s in subs):
        return subs
    return [piece]


def split_parts(text: str, free_form: bool = False) -> list[Part]:
    """The parts of ``text``: one when a co-design scenario serves the whole text; else one per piece
    between joins (see ``_STRONG`` and ``_WEAK``), each matched to a scenario or refused with why.
    ``free_form`` (LLM mode) keeps a single unserved request for the LLM planner.

    Raises:
        UsageError: a scenario recognised a piece but a value in it is out of range.
    """
    whole = scenarios.match(text)
    if whole is not None and scenarios.SCENARIOS[whole[0]].kind == "codesign":
        return [Part(id="p1", text=text, scenario=whole[0], details=whole[1])]
    if _HEADER.search(text):  # a module header's ';' and a port list's ',' are not joins
        return [_part(1, text, free_form)]
    pieces = [sub for piece in _pieces(_STRONG.split(text)) for sub in _split_weak(piece)]
    if len(pieces) > 1:
        parts = [_part(i, p, free_form=False) for i, p in enumerate(pieces, 1)]
        if any(p.scenario for p in parts):
            return parts
    return [_part(1, text, free_form)]


def classify(text: str, free_form: bool = False) -> Intake:
    """Split ``text`` into parts and match each to a scenario; ``free_form`` (LLM mode) keeps a
    request no scenario serves for the LLM planner instead of asking.

    Raises:
        Unclear: empty text, or (offline) nothing in the text matches a scenario.
        UsageError: an unsupported target or an out-of-range parameter.
    """
    if not text.strip():
        raise Unclear(
            "the request is empty; what should I design? e.g. '8-bit counter with sync reset', "
            "'softmax kernel for riscv64', or 'dot-product accelerator under 6000 cells and the GEMM kernel that uses it'"
        )
    target = scenarios.find_target(text)
    parts = split_parts(text, free_form)
    if all(p.refused for p in parts):
        why = "\n".join(f"{p.text!r}: {p.refused}" if len(parts) > 1 else p.refused for p in parts)
        raise Unclear(
            f"I could not tell what to build from {text.strip()!r}.\n{why}\n"
            "Please rephrase, naming a circuit or a kernel (and a target)."
        )
    if len(parts) > 1:
        return Intake(kind="compound", target=target, parts=parts)
    only = parts[0]
    kind: Kind = scenarios.SCENARIOS[only.scenario].kind if only.scenario else "free-form"
    return Intake(kind=kind, target=target, details=only.details, parts=parts)


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
    offline = state.get("offline", True)
    while True:
        asking = ""  # the words of the part whose missing parameter is asked for (several parts)
        try:
            found = classify(text, free_form=not offline)
            if offline:
                for part in found.parts:
                    if part.scenario == "block":
                        asking = part.text if len(found.parts) > 1 else ""
                        _ask_for_missing(part.text)
            break
        except Unclear as exc:
            answer = str(interrupt({"kind": "clarify", "question": exc.question}) or "")
            # an answer to "which pattern?" adds to the request (to the part that asked, when there are
            # several); an answer to "what?" replaces it
            if not exc.keeps_request:
                text = answer
            elif asking:
                text = text.replace(asking, f"{asking} {answer}", 1)
            else:
                text = f"{text}\n{answer}"
    emit(
        "intake",
        "classified",
        kind=found.kind,
        target=found.target,
        parts=[f"{p.id}: {p.scenario or ('refused' if p.refused else 'free-form')}" for p in found.parts],
    )
    return {
        "request": text,
        "kind": found.kind,
        "details": {**found.details, "target": found.target},
        "parts": found.parts,
        "round": 0,
        "status": "running",
    }
