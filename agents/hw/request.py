"""Reading a hardware request: which generator, which parameters, which interface to honor."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from agents.hw.binding import header_params
from agents.hw.generators._base import Found, Generator, as_found
from agents.hw.interface import Interface, parse_interface
from agents.hw.interpretation import Underspecified, interpret
from agents.hw.library import GENERATORS, catalog, get_generator
from tools.errors import UsageError
from tools.evidence import Interpretation


class HwRequest(BaseModel):
    """What the user asked for, after reading the text."""

    text: str = Field(description="The request as given.")
    generator: str | None = Field(description="Library entry chosen; None when none matched (LLM mode only).")
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters read from the text.")
    interface: Interface | None = Field(
        None, description="Interface to honor exactly, if the text gives one."
    )
    module: str = Field("top", description="Top module name.")
    scores: dict[str, int] = Field(
        default_factory=dict, description="Keyword score (characters matched) per generator."
    )
    area_budget: float | None = Field(None, description="Cell-count budget from the text, if any.")
    context: str = Field("", description="Retrieved documents, marked as untrusted data, for LLM prompts.")
    interpretation: Interpretation | None = Field(
        None, description="How the generator read the text: every parameter and where it came from."
    )
    missing: list[str] = Field(
        default_factory=list,
        description="Behaviour-deciding parameters nobody stated, and places where the text and the "
        "header disagree: the offline designer refuses (or asks) while this is not empty.",
    )

    def refuse_if_unread(self) -> None:
        """Raise :class:`Underspecified` when the request leaves the generator guessing."""
        if self.missing and self.generator is not None:
            raise Underspecified(self.generator, self.missing, [])


def _score(gen: Generator, text: str) -> int:
    """Characters of the text its keywords cover: a long specific phrase beats a generic word."""
    return sum(len(m.group(0)) for k in gen.keywords for m in re.finditer(k, text, re.I))


def _prose(text: str) -> str:
    """The request without its module header or port bullets (port names must not vote)."""
    text = re.sub(r"\bmodule\b.*?\)\s*;", " ", text, flags=re.S)
    text = re.sub(r"^[ \t]*[-*][ \t]*(input|output)\b.*$", " ", text, flags=re.M | re.I)
    # how the clock works is not what the block does
    return re.sub(_CLOCK_EDGE, " ", text, flags=re.I)


_CLOCK_EDGE = r"\b(positive|negative|rising|falling|pos|neg)[\s-]*edges?\s+of\s+(the\s+)?(clock|clk)\b|\b(pos|neg)edge\s+\w+"


def _read_clock_edge(gen: Generator, text: str, found: Found) -> None:
    """A generator with a ``clock_edge`` parameter reads it here: the prose its extract sees has
    the clock's edge phrases removed (they must not vote for edge detectors)."""
    if "clock_edge" not in gen.params.model_fields or "clock_edge" in found:
        return
    edge = re.search(_CLOCK_EDGE, text, re.I)
    if edge:
        falling = re.match(r"neg|fall", edge.group(0), re.I) is not None
        found.put("clock_edge", "falling" if falling else "rising", edge.group(0))


def read_request(
    text: str,
    generator: str | None = None,
    params: dict[str, Any] | None = None,
    *,
    require_generator: bool = True,
) -> HwRequest:
    """Choose a generator and read its parameters from ``text``.

    ``generator`` and ``params`` override what the text says. Raises UsageError on an empty
    request, or on one no generator recognizes while ``require_generator`` (the message lists
    the library); without it such a request comes back with ``generator=None``.
    """
    if not text.strip():
        raise UsageError(
            "empty hardware request; describe the circuit, e.g. 'an 8-bit up counter with enable'"
        )
    iface = parse_interface(text)
    prose = _prose(text)
    scores = {name: _score(g, prose) for name, g in GENERATORS.items()}
    if generator is None:
        best = max(scores.values())
        if best == 0 and not require_generator:
            return HwRequest(
                text=text,
                generator=None,
                interface=iface,
                module=iface.module if iface else _module_name(prose) or "top",
            )
        if best == 0:
            raise UsageError(
                "no generator in the offline library matches this request; it can build:\n" + catalog()
            )
        generator = next(n for n, s in scores.items() if s == best)
    gen = get_generator(generator)
    found = as_found(gen.extract(prose), prose)
    _read_clock_edge(gen, text, found)
    user = dict(params or {})
    try:
        header = header_params(gen, {**found.values, **user}, iface) if iface else {}
    except UsageError:
        if require_generator:
            raise
        header = {}
    understood = interpret(gen, text, found, header, user)
    budget = re.search(
        r"\barea\s*(?:budget|limit)?\s*(?:of|<=?|:|under|below)?\s*(\d+)\s*cells?", prose, re.I
    )
    module = iface.module if iface else _module_name(prose) or gen.name
    return HwRequest(
        text=text,
        generator=gen.name,
        params={**found.values, **user},
        interface=iface,
        module=module,
        scores={k: v for k, v in scores.items() if v},
        area_budget=float(budget.group(1)) if budget else None,
        interpretation=understood.interpretation,
        missing=understood.missing + understood.conflicts,
    )


def _module_name(text: str) -> str | None:
    m = re.search(r"\bmodule\s+(?:named|called)\s+([A-Za-z_][A-Za-z0-9_]*)", text, re.I)
    return m.group(1) if m else None
