"""How the offline designer read a request: every parameter of the chosen generator with where it
came from (the text's words, the module header, the user, or assumed), what it could not find, and
where the text and the header disagree.

The rule it serves: a parameter that decides behaviour is never defaulted silently. A generator's
``required`` parameters that nobody stated make the request *underspecified* (the designer refuses or
asks); other unstated parameters are shown as '(assumed)'.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from agents.hw.generators._base import WORDS_SEP, Found, Generator
from tools.errors import UsageError
from tools.evidence import Interpretation, Reading

_CLOCK_EDGE = re.compile(
    r"\b(positive|negative|rising|falling|pos|neg)[\s-]*edges?\s+of\s+(?:the\s+)?(?:clock|clk)\b|\b(pos|neg)edge\s+clk\b",
    re.I,
)


# Never guessed for a clocked generator with a reset (SeqParams): whether the reset waits for the
# clock. (Its polarity, unsaid and without a header, shows as assumed active-high: the port is then
# named rst.)
_ALWAYS_REQUIRED = {"reset_async": "the reset's kind (synchronous or asynchronous)"}


class Underspecified(UsageError):
    """The request leaves a behaviour-deciding parameter unstated, or states it twice differently.

    ``missing`` names what could not be found; ``question`` asks the user for it (one line).
    """

    def __init__(self, generator: str, missing: list[str], conflicts: list[str]) -> None:
        parts = []
        if missing:
            parts.append("could not find " + "; ".join(missing))
        parts.extend(conflicts)
        super().__init__(f"{generator}: " + "; ".join(parts) + " in the request; say it explicitly")
        self.generator = generator
        self.missing = missing
        self.conflicts = conflicts
        what = "; ".join(missing + conflicts)
        self.question = f"To build the {generator} I need: {what}. Please state it."


@dataclass
class Understanding:
    """An interpretation with the parameters it leads to (internal record)."""

    interpretation: Interpretation
    params: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def interpret(
    gen: Generator, text: str, found: Found, header: dict[str, Any], user: dict[str, Any]
) -> Understanding:
    """Combine what the text, the header and the user said into parameters and an interpretation.

    The user overrides everything; the header overrides the text, but a header value that disagrees
    with a value read from the text is recorded as a conflict (the request says two things).
    """
    params = {**found.values, **header, **user}
    conflicts = [
        f"the text says {name} {found.values[name]!r} ('{found.words.get(name, '')}') but the module "
        f"header says {value!r}"
        for name, value in header.items()
        if name in found.values and found.values[name] != value and name not in user
    ]
    chose = [
        m.group(0)
        for k in gen.keywords
        for m in re.finditer(k, text, re.I)
        if not re.search(r"\d", m.group(0))
    ]
    readings = [
        Reading(name="generator", value=gen.name, source="text", words=WORDS_SEP.join(dict.fromkeys(chose)))
        if chose
        else Reading(name="generator", value=gen.name, source="assumed")
    ]
    missing = []
    for name, info in gen.params.model_fields.items():
        behaviour = name not in gen.architecture
        if name in user:
            readings.append(Reading(name=name, value=user[name], source="user", decides_behaviour=behaviour))
        elif name in header and found.values.get(name, header[name]) == header[name] and name in found.values:
            readings.append(
                Reading(
                    name=name,
                    value=header[name],
                    source="text",
                    words=found.words.get(name, ""),
                    decides_behaviour=behaviour,
                )
            )
        elif name in header:
            readings.append(
                Reading(
                    name=name,
                    value=header[name],
                    source="header",
                    words="module header",
                    decides_behaviour=behaviour,
                )
            )
        elif name in found.values:
            readings.append(
                Reading(
                    name=name,
                    value=found.values[name],
                    source="text",
                    words=found.words.get(name, ""),
                    decides_behaviour=behaviour,
                )
            )
        elif name in gen.required or info.is_required() or (gen.clocked and name in _ALWAYS_REQUIRED):
            missing.append(
                _ALWAYS_REQUIRED.get(name) or (f"{name} ({info.description})" if info.description else name)
            )
        elif info.default is not None:  # None: follows from the others (e.g. a counter's hi = 2**width-1)
            readings.append(
                Reading(name=name, value=info.default, source="assumed", decides_behaviour=behaviour)
            )
    for name, (value, words) in found.notes.items():
        readings.append(Reading(name=name, value=value, source="text" if words else "assumed", words=words))
    missing.extend(found.lacking)
    if gen.clocked and "clock_edge" not in gen.params.model_fields:  # else a parameter reads it
        edge = _CLOCK_EDGE.search(text)
        if edge:
            value = _edge(edge.group(0))
            readings.append(Reading(name="clock", value=value, source="text", words=edge.group(0)))
            if value != "rising edge":
                conflicts.append(f"'{edge.group(0)}' ({gen.name} works on the clock's rising edge)")
    interp = Interpretation(by=f"offline:{gen.name}", readings=readings)
    return Understanding(interpretation=interp, params=params, missing=missing, conflicts=conflicts)


def readings_of_tester(answer: str, text: str) -> list[Reading]:
    """An LLM tester's own account of how it read ``text``: the ```json list in its ``answer`` of
    ``{"name", "value", "words"}``. A reading whose words are not in the text counts as assumed
    (a model cannot claim the spec says what it does not). No list, or one that is not valid JSON,
    gives no readings (the accounting is then skipped, not passed)."""
    block = re.search(r"```json[^\n]*\n(.*?)```", answer, re.S | re.I)
    if block is None:
        return []
    try:
        items = json.loads(block.group(1))
    except json.JSONDecodeError:
        return []
    flat = " ".join(text.split()).lower()
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        words = " ".join(str(item.get("words") or "").split())
        said = bool(words) and words.lower() in flat
        out.append(
            Reading(
                name=item["name"],
                value=item.get("value"),
                source="text" if said else "assumed",
                words=words if said else "",
            )
        )
    return out


def _edge(words: str) -> str:
    return "falling edge" if re.match(r"(negative|falling|neg)", words, re.I) else "rising edge"
