"""Spec conformance: checks of a design against the request's own words, apart from any reference
model, each able to fail the design.

* ``interface``: when the request gives a module header or port list, the design's top module has
  exactly that name and those ports (names, directions, widths), read from the RTL by Yosys;
* ``accounting``: every fact of the text (a number, a bit pattern, a named behaviour such as an
  edge, a reset's kind or polarity, overlap, Moore/Mealy, signedness, wrap or saturate) is used by
  the interpretation, else the design is not verified and the unused facts are listed;
* ``directed``: the request's examples (a truth table over the ports) run on the candidate RTL
  before the random checks (:mod:`tools.hdl.directed`);
* ``power-on``: the design gives no register a power-on value (``initial``, an initialized
  ``reg``) unless the request speaks of one: a value after power-up is behaviour too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.hw import tool_calls
from agents.hw.generators._base import WORDS_SEP
from agents.hw.interface import Interface
from agents.hw.spec_examples import examples, selections, statement, waveforms
from tools.evidence import Check, Interpretation
from tools.hdl.directed import Example

__all__ = [
    "BEHAVIOURS",
    "Fact",
    "accounting_check",
    "directed_check",
    "examples",
    "facts",
    "interface_check",
    "power_on_check",
    "selections",
    "statement",
    "tested_words",
    "unread_facts",
    "waveforms",
]

# Named behaviours the accounting looks for: (kind, regex). Each occurrence is a fact.
BEHAVIOURS: tuple[tuple[str, str], ...] = (
    ("clock edge", r"\b(?:positive|negative|rising|falling|pos|neg)[\s-]*edges?\b|\b(?:pos|neg)edge\b"),
    ("reset kind", r"\b(?:a?synchronous(?:ly)?|a?sync)\b"),
    ("reset polarity", r"\bactive[\s-]*(?:high|low)\b"),
    ("overlap", r"\b(?:non[\s-]*)?overlapp?(?:ing|ed|s)?\b"),
    ("machine kind", r"\b(?:moore|mealy)\b"),
    ("signedness", r"\b(?:un)?signed\b|\b(?:two|2)'?s[\s-]*complement\b"),
    ("overflow", r"\b(?:overflows?|underflows?|wraps?(?:[\s-]*around)?|saturat\w*)\b"),
    ("holding", r"\bforever\b|\buntil\s+(?:a\s+|the\s+)?reset\b|\bsticky\b"),
    ("bit order", r"\b(?:msb|lsb|most significant|least significant)[\s-]*(?:bit\s+)?first\b"),
    ("encoding", r"\bone[\s-]*hot\b|\bgray\b|\bbcd\b|\bthermometer\b|\b(?:big|little)[\s-]*endian\b"),
    ("shift kind", r"\brotat\w*\b|\b(?:arithmetic|logical)(?:ly)?\s+shift\w*|\bsign[\s-]*extend\w*"),
    ("parity", r"\b(?:even|odd)\s+parity\b"),
    ("inversion", r"\binvert\w*\b|\bcomplement(?:ed|s)?\b|\bnegat\w+\b"),
    ("level", r"\blatch(?:es|ed)?\b|\blevel[\s-]*sensitive\b|\btoggl\w*\b"),
)
_NUMBER = re.compile(r"\d+'[bdhBDH][0-9a-fA-F_]+|0x[0-9a-fA-F]+|(?<![\w.])\d+(?!\w|\.\d|'s\b)")
# A sentence: up to . ! ? (not a decimal point) or a blank line; a table stays one "sentence".
_SENTENCE = re.compile(r"[^.!?\s](?:[^.!?\n]|\.\d|\n(?![ \t]*\n))*[.!?]?")
_ABOUT_INTERFACE = re.compile(r"\bmodule\b|\binterface\b|\bports?\b[^.]*\bbits?\b|\bone bit unless\b", re.I)
_BIT_SELECT = re.compile(r"\b([A-Za-z_]\w*)\s*\[[\d:\s]+\]")


@dataclass
class Fact:
    """One fact of the text: what kind, its words and where they are."""

    kind: str
    words: str
    start: int
    end: int


def _norm(words: str) -> str:
    return re.sub(r"[\s_-]+", " ", words.lower()).strip()


def facts(text: str, iface: Interface | None) -> list[Fact]:
    """Every number and named behaviour of the prose, minus port references (``a[7:0]``) that
    name a port of ``iface`` (the interface check covers those)."""
    prose = statement(text)
    ports = {p.name for p in iface.ports} if iface else set()
    covered = [(m.start(), m.end()) for m in _BIT_SELECT.finditer(prose) if m.group(1) in ports]
    found = []
    for kind, pattern in BEHAVIOURS:
        found += [Fact(kind, m.group(0), m.start(), m.end()) for m in re.finditer(pattern, prose, re.I)]
    for m in _NUMBER.finditer(prose):
        if not any(a <= m.start() < b for a, b in covered) and m.group(0):
            found.append(Fact("number", m.group(0), m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def unread_facts(
    text: str, interp: Interpretation, iface: Interface | None, tested: list[str] | None = None
) -> list[Fact]:
    """Facts of the text that no reading's words cover, nor the words of examples that ran as
    directed tests (``tested``); a sentence that no reading touches at all is a fact too (kind
    'sentence'), unless it is about the interface (the interface check covers it)."""
    prose = statement(text)
    spans: list[tuple[int, int]] = []
    for words in tested or []:
        for m in re.finditer(re.escape(words), prose):
            spans.append((m.start(), m.end()))
    for r in interp.readings:
        if r.source != "text" or not r.words:
            continue
        for piece in r.words.split(WORDS_SEP):
            for m in re.finditer(re.escape(piece), prose, re.I):
                spans.append((m.start(), m.end()))
    said = [_norm(w) for r in interp.readings if r.source == "text" for w in r.words.split(WORDS_SEP) if w]
    out = []
    for f in facts(text, iface):
        if any(a <= f.start and f.end <= b for a, b in spans):
            continue
        if f.kind != "number" and any(_norm(f.words) in w for w in said):
            continue  # the same behaviour said again in other words of the same form
        out.append(f)
    for m in _SENTENCE.finditer(prose):
        sentence = m.group(0).strip()
        if not re.search(r"[A-Za-z]{2}", sentence) or _ABOUT_INTERFACE.search(sentence):
            continue
        if not any(a < m.end() and b > m.start() for a, b in spans):
            out.append(Fact("sentence", " ".join(sentence.split())[:120], m.start(), m.end()))
    return sorted(out, key=lambda f: f.start)


def accounting_check(
    text: str, interp: Interpretation | None, iface: Interface | None, tested: list[str] | None = None
) -> Check:
    """``pass`` when the interpretation (or a directed test that ran on the design: ``tested``, the
    examples' words) uses every fact of the text; ``fail`` lists the rest.
    Without an account of the reading (an LLM tester that listed none: only the header's readings)
    the check is ``skipped``: there are no words to match."""
    if interp is None or (
        interp.by.startswith("llm:") and all(r.source == "header" for r in interp.readings)
    ):
        return Check(
            name="accounting",
            tool="qimeng",
            status="skipped",
            summary="no structured interpretation to account for",
        )
    left = unread_facts(text, interp, iface, tested)
    interp.unread = [f"{f.kind}: '{f.words}'" for f in left]
    if left:
        shown = ", ".join(f"'{f.words}'" for f in left[:6]) + (" ..." if len(left) > 6 else "")
        return Check(
            name="accounting",
            tool="qimeng",
            status="fail",
            summary=f"{len(left)} fact(s) of the spec are not used by the interpretation: {shown}",
            details={"unread": interp.unread},
        )
    return Check(
        name="accounting",
        tool="qimeng",
        status="pass",
        summary=f"every number and named behaviour of the spec is used ({len(facts(text, iface))} facts)",
    )


_POWER_ON_WORDS = re.compile(
    r"\binitial(?:ly|ized|ised|\s+value|\s+state)?\b|\bpowers?[\s-]*(?:on|up)\b|\bat\s+start[\s-]*up\b"
    r"|\bstarts?\s+(?:at|from|as)\b",
    re.I,
)
_INITIAL = re.compile(r"^\s*initial\b|\breg\b[^;()]*?\b\w+\s*=\s*[^=]", re.M)


def power_on_check(text: str, rtl: str) -> Check:
    """``fail`` when ``rtl`` sets power-on values (an ``initial`` block or an initialized ``reg``)
    that ``text`` never mentions; ``pass`` otherwise."""
    code = re.sub(r"//[^\n]*|/\*.*?\*/", " ", rtl, flags=re.S)
    hit = _INITIAL.search(code)
    if hit and not _POWER_ON_WORDS.search(text):
        return Check(
            name="power-on",
            tool="qimeng",
            status="fail",
            summary=f"the design sets a power-on value the spec does not state: '{hit.group(0).strip()}'",
        )
    return Check(name="power-on", tool="qimeng", status="pass", summary="no power-on value beyond the spec's")


def interface_check(iface: Interface | None, rtl: str, top: str) -> Check:
    """``pass`` when the RTL's top module has exactly ``iface``'s name and ports; ``skipped`` when
    the request gives no interface; ``fail`` lists every difference."""
    if iface is None:
        return Check(name="interface", tool="yosys", status="skipped", summary="the spec gives no interface")
    info, why, done = tool_calls.read_design(rtl, top)
    if info is None:
        return done.stamp(
            Check(name="interface", tool="yosys", status="fail", summary=f"cannot read the design: {why}")
        )
    problems = []
    if info.top != iface.module:
        problems.append(f"top module is '{info.top}', the spec names '{iface.module}'")
    got = {p.name: p for p in info.ports}
    for want in iface.ports:
        have = got.pop(want.name, None)
        if have is None:
            problems.append(f"no port '{want.name}'")
        elif (have.direction, have.width) != (want.direction, want.width):
            problems.append(
                f"port '{want.name}' is {have.direction} {have.width} bit(s), the spec says {want.direction} {want.width}"
            )
    problems += [f"extra port '{name}'" for name in got]
    if problems:
        return done.stamp(Check(name="interface", tool="yosys", status="fail", summary="; ".join(problems)))
    return done.stamp(
        Check(
            name="interface",
            tool="yosys",
            status="pass",
            summary=f"module {iface.module} with the spec's {len(iface.ports)} ports (names, directions, widths)",
        )
    )


def _directed(text: str, iface: Interface | None, clock: str | None) -> tuple[list[Example], list[str]]:
    if clock is not None:
        return waveforms(text, iface, clock)
    rows = examples(text, iface) + selections(text, iface)
    return rows, [e.words for e in rows]


def directed_check(text: str, iface: Interface | None, rtl: str, top: str, clock: str | None) -> Check:
    """The request's examples run on ``rtl``: truth-table rows and selection sentences for a
    combinational design, waveform tables with a ``clock`` column for a clocked one."""
    return tool_calls.run_examples(rtl, top, _directed(text, iface, clock)[0])


def tested_words(text: str, iface: Interface | None, clock: str | None) -> list[str]:
    """The words of the spec that :func:`directed_check` tests (for the accounting)."""
    return _directed(text, iface, clock)[1]
