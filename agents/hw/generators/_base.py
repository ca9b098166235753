"""What a generator is: typed parameters, a port list by role, a text matcher, and two emitters
written apart from each other (Verilog RTL and a plain-Python reference model).

A model source defines ``class _Core`` with ``reset()``, ``outputs(ins)`` and ``clock(ins)`` over
role-named ports; :mod:`agents.hw.binding` wraps it into the checker's ``class Model`` contract,
renaming ports and handling the reset input, so cores never read the reset themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.hw.interface import Port


class Params(BaseModel):
    """Base of every generator's parameters: frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SeqParams(Params):
    """Parameters shared by clocked generators: how the reset behaves."""

    reset_async: bool = Field(False, description="Asynchronous reset (else synchronous).")
    reset_low: bool = Field(False, description="Active-low reset named rst_n (else active-high rst).")


WORDS_SEP = " | "
"""Separates several places of the text that said the same thing, in one reading's words."""


@dataclass
class Found:
    """What a generator's ``extract`` read from a request: each value with the words it came from.

    ``words`` are the request's own characters that decided the value (a regex match), so a
    reader can see why, and the accounting check knows which facts of the text were used.
    """

    values: dict[str, Any] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    notes: dict[str, tuple[Any, str]] = field(default_factory=dict)
    lacking: list[str] = field(default_factory=list)

    def note(self, name: str, value: Any, words: str) -> None:
        """Record a fact the text states that the generator honors without a parameter (e.g. that
        the output is Moore-style): it joins the interpretation but not the parameters."""
        self.notes[name] = (value, words.strip())

    def lack(self, what: str) -> None:
        """Record something behaviour-deciding the generator needs from the text and did not find
        (or found in a form it cannot build): the designer refuses or asks."""
        self.lacking.append(what)

    def put(self, name: str, value: Any, words: str = "") -> None:
        """Record ``name = value`` read from ``words``."""
        self.values[name] = value
        self.words[name] = words.strip()

    def search(self, name: str, text: str, pattern: str, value: Any = None) -> re.Match[str] | None:
        """Record ``name`` when ``pattern`` occurs in ``text`` (case-insensitive): ``value`` when
        given, else the first non-empty group of the first match, else True; the words are every
        match, joined by :data:`WORDS_SEP`. Returns the first match (None: nothing recorded)."""
        hits = list(re.finditer(pattern, text, re.I))
        if not hits:
            return None
        m = hits[0]
        if value is None:
            value = next((g for g in m.groups() if g), True)
        self.put(name, value, WORDS_SEP.join(dict.fromkeys(h.group(0).strip() for h in hits)))
        return m

    def update(self, other: Found | Mapping[str, Any]) -> Found:
        """Take every reading of ``other`` (a plain mapping records no words); returns self."""
        if isinstance(other, Found):
            self.values.update(other.values)
            self.words.update(other.words)
            self.notes.update(other.notes)
            self.lacking.extend(other.lacking)
        else:
            for k, v in other.items():
                self.put(k, v)
        return self

    def __contains__(self, name: object) -> bool:
        return name in self.values


Extract = Callable[[str], "dict[str, Any] | Found"]


def as_found(result: dict[str, Any] | Found, text: str) -> Found:
    """A generator's extract result as :class:`Found`. A plain dict (the older contract) counts as
    read from the text; its words are the first place the value's digits or bits appear, if any."""
    if isinstance(result, Found):
        return result
    found = Found()
    for name, value in result.items():
        words = ""
        if isinstance(value, int | str) and not isinstance(value, bool) and str(value):
            m = re.search(rf"(?<![\w]){re.escape(str(value))}(?![\w])", text)
            words = m.group(0) if m else ""
        found.put(name, value, words)
    return found


@dataclass(frozen=True)
class Generator:
    """One entry of the library.

    Attributes:
        name: registry key, e.g. 'adder'.
        summary: one line for listings and error messages.
        params: the pydantic parameter model (defaults and ranges).
        keywords: regexes over the lower-cased request; each hit scores one point.
        extract: reads parameter values from the request text, only keys it found: a
            :class:`Found` (each value with the words it came from), or a plain dict (older
            contract, read as :func:`as_found` does).
        ports: the role-named ports for a parameter setting, in declaration order.
        rtl: emits Verilog for (params, module name) with role-named ports.
        model: emits Python source defining ``class _Core``.
        aliases: other port names accepted for each role when binding a given header.
        flags: optional role -> boolean parameter that is true when the role is present.
        width_params: role -> (parameter, width -> value) to read parameters from a header.
        required: parameters that decide behaviour and have no safe default: when neither the
            text, the header nor the user gives one, the designer refuses (or asks) instead of
            using the default (a detector's pattern, an ALU's operation table).
        architecture: parameters that change no observable behaviour (how, not what); every
            other parameter decides behaviour and shows as '(assumed)' when not read.
        positional: roles a header port may take by position when its name matches no role;
            None (the default) allows every role. Generators whose port names come from the
            text (a truth table's variables) list none or few, so a header that names other
            signals does not bind by guesswork.
    """

    name: str
    summary: str
    params: type[Params]
    keywords: tuple[str, ...]
    extract: Extract
    ports: Callable[[Any], list[Port]]
    rtl: Callable[[Any, str], str]
    model: Callable[[Any], str]
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    width_params: dict[str, tuple[str, Callable[[int], Any]]] = field(default_factory=dict)
    area_variants: Callable[[Any], list[dict[str, Any]]] | None = None
    required: tuple[str, ...] = ()
    architecture: tuple[str, ...] = ()
    positional: tuple[str, ...] | None = None

    @property
    def clocked(self) -> bool:
        """True when the generator has a clock and a reset."""
        return issubclass(self.params, SeqParams)


def inp(name: str, width: int = 1, signed: bool = False) -> Port:
    """An input port."""
    return Port(name=name, direction="input", width=width, signed=signed)


def out(name: str, width: int = 1, signed: bool = False) -> Port:
    """An output port."""
    return Port(name=name, direction="output", width=width, signed=signed)


def clock_ports(p: SeqParams) -> list[Port]:
    """``clk`` and the reset port (``rst`` or ``rst_n``)."""
    return [inp("clk"), inp(reset_name(p))]


def reset_name(p: SeqParams) -> str:
    """Role name of the reset port."""
    return "rst_n" if p.reset_low else "rst"


def always_ff(p: SeqParams) -> str:
    """The ``always`` line of a clocked process honoring the reset kind."""
    if not p.reset_async:
        return "always @(posedge clk)"
    edge = "negedge rst_n" if p.reset_low else "posedge rst"
    return f"always @(posedge clk or {edge})"


def reset_active(p: SeqParams) -> str:
    """The Verilog condition that is true while reset is asserted."""
    return "!rst_n" if p.reset_low else "rst"


def clog2(n: int) -> int:
    """Bits needed to index ``n`` items (at least 1)."""
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


def vrange(width: int) -> str:
    """``[w-1:0] `` or nothing for one bit."""
    return f"[{width - 1}:0] " if width > 1 else ""


# ---- text extraction helpers shared by the matchers -------------------------------------------

_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}


def find_int(text: str, patterns: tuple[str, ...]) -> int | None:
    """First integer captured by any of ``patterns`` (group 1), words one..eight accepted."""
    for pat in patterns:
        m = re.search(pat, text, re.I)
        if m:
            raw = m.group(1).lower()
            return _NUM_WORDS[raw] if raw in _NUM_WORDS else int(raw)
    return None


def find_width(text: str) -> int | None:
    """A data width such as '8-bit', '16 bit', 'width 32', 'WIDTH=4', '8 bits wide'."""
    return find_int(text, _WIDTH_PATTERNS)


_WIDTH_PATTERNS = (
    r"\b(\d+)[\s-]*bits?\b",
    r"\bwidth\s*(?:of|=|:)?\s*(\d+)",
    r"\b(\d+)\s*b\b",
)


def find_reset(text: str) -> dict[str, Any]:
    """Reset kind from words: 'asynchronous'/'async', 'active-low', 'rst_n'/'reset_n'/'resetn'."""
    found: dict[str, Any] = {}
    if re.search(r"\basync(hronous(ly)?)?\b|\bareset\b|\barst", text, re.I):
        found["reset_async"] = True
    if re.search(r"active[\s-]*low|\brst_?n\b|\breset_?n\b|\bnreset\b", text, re.I):
        found["reset_low"] = True
    return found


def read_int(found: Found, name: str, text: str, patterns: tuple[str, ...]) -> int | None:
    """Like :func:`find_int`, recording ``name`` with its words in ``found``."""
    for pat in patterns:
        m = re.search(pat, text, re.I)
        if m:
            raw = m.group(1).lower()
            value = _NUM_WORDS[raw] if raw in _NUM_WORDS else int(raw)
            found.put(name, value, m.group(0))
            return value
    return None


def read_width(found: Found, text: str, name: str = "width") -> int | None:
    """Like :func:`find_width`, recording ``name`` with its words in ``found``."""
    return read_int(found, name, text, _WIDTH_PATTERNS)


_ASYNC = r"\basync(hronous(ly)?)?\b|\bareset\b|\barst"
_SYNC = r"\bsync(hronous(ly)?)?\b"
_LOW = r"active[\s-]*low|\brst_?n\b|\breset_?n\b|\bnreset\b|\bnegative[\s-]*(edge[\s-]*triggered\s+)?(asynchronous\s+)?reset"
_HIGH = r"active[\s-]*high"


def read_reset(found: Found, text: str) -> None:
    """Reset kind and polarity from words, each recorded with its words: 'asynchronous'/'async'/
    'areset' (else 'synchronous'/'sync' reads as synchronous), 'active-low'/'rst_n'/'reset_n'
    (else 'active-high' reads as active-high). Unsaid ones are left unread."""
    if found.search("reset_async", text, _ASYNC, True) is None:
        found.search("reset_async", text, _SYNC, False)
    if found.search("reset_low", text, _LOW, True) is None:
        found.search("reset_low", text, _HIGH, False)


def has(text: str, pattern: str) -> bool:
    """True when ``pattern`` occurs (case-insensitive)."""
    return re.search(pattern, text, re.I) is not None


SEQ_HEAD = '''
class _Core:
    """State machine in plain Python; the wrapper handles the reset input."""

    def __init__(self) -> None:
        self.reset()
'''

COMB_HEAD = '''
class _Core:
    """Combinational: no state."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        pass

    def clock(self, ins: dict[str, int]) -> None:
        pass
'''


def decls(ports: list[Port], regs: tuple[str, ...] = ()) -> str:
    """ANSI declarations for a module header; outputs named in ``regs`` are ``reg``."""
    return ",\n    ".join(p.decl("reg" if p.name in regs else "wire") for p in ports)
