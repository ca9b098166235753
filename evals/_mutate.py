"""Text-level mutation of Verilog: small, plausible bugs planted in a known-good design.

Each :class:`Mutant` changes one site of the source with one operator. Mutations never touch
comments, strings or declaration lines (ports, wires, parameters), so most mutants still compile;
callers drop those that do not, and those a prover shows equivalent.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MutationKind = str

_DECL = re.compile(
    r"^\s*(input|output|inout|wire|reg|logic|parameter|localparam|module|typedef|integer|genvar)\b"
)
_SIZED = re.compile(r"(\d+)'([bBhHdD])([0-9a-fA-F_]+)\b")
_BARE_INT = re.compile(r"(?<![\w'.$])(\d+)(?![\w'.])")
_RESET_IF = re.compile(r"\bif\s*\(\s*(!|~)?\s*\w*(reset|rst|clear|clr)\w*\s*\)", re.I)
_SWAPS: list[tuple[str, str, str]] = [
    # (regex, replacement, name): binary operators, guarded against their longer neighbours
    (r"(?<![&|~!^=<>])&(?![&=])", "|", "and->or"),
    (r"(?<![&|~!^=<>])\|(?![|=])", "&", "or->and"),
    (r"(?<![~^])\^(?![~=])", "&", "xor->and"),
    (r"&&", "||", "land->lor"),
    (r"\|\|", "&&", "lor->land"),
    (r"==(?!=)", "!=", "eq->ne"),
    (r"!=(?!=)", "==", "ne->eq"),
    (r"(?<![+])\+(?![+=:])", "-", "add->sub"),
    (r"(?<![-\[:])-(?![-=>:])", "+", "sub->add"),
    (r"(?<![<>=!])<(?![<=])", ">", "lt->gt"),
    (r"(?<![<>=!-])>(?![>=])", "<", "gt->lt"),
    (r"<<", ">>", "shl->shr"),
    (r">>", "<<", "shr->shl"),
]
_TERM = r"(?:~\s*)?[A-Za-z_]\w*(?:\s*\[[^\]\[]*\])?"


@dataclass(frozen=True)
class Mutant:
    """One single-site change of a source."""

    kind: MutationKind
    line: int
    before: str
    after: str
    source: str

    @property
    def label(self) -> str:
        """Short human description, e.g. ``and->or@12: 'a & b' -> 'a | b'``."""
        return f"{self.kind}@{self.line}: {self.before.strip()!r} -> {self.after.strip()!r}"


@dataclass(frozen=True)
class _Edit:
    kind: MutationKind
    start: int
    end: int
    text: str


def _code_mask(src: str) -> list[bool]:
    """True for each character that is code (not inside a comment or a string)."""
    mask = [True] * len(src)
    for m in re.finditer(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"", src, re.S):
        for i in range(m.start(), m.end()):
            mask[i] = False
    return mask


def _mutable_lines(src: str) -> list[tuple[int, int]]:
    """(start, end) offsets of lines that are not declarations."""
    spans, pos = [], 0
    for line in src.splitlines(keepends=True):
        if not _DECL.match(line):
            spans.append((pos, pos + len(line)))
        pos += len(line)
    return spans


def _operator_swaps(src: str) -> Iterator[_Edit]:
    for pattern, repl, name in _SWAPS:
        for m in re.finditer(pattern, src):
            yield _Edit(name, m.start(), m.end(), repl)


def _constants(src: str) -> Iterator[_Edit]:
    for m in _SIZED.finditer(src):
        width, base, digits = int(m.group(1)), m.group(2).lower(), m.group(3).replace("_", "")
        radix = {"b": 2, "h": 16, "d": 10}[base]
        try:
            value = int(digits, radix)
        except ValueError:
            continue  # x/z digits: leave them alone
        rng = random.Random(m.start())
        bit = rng.randrange(max(width, 1))
        flipped = (value ^ (1 << bit)) & ((1 << width) - 1)
        yield _Edit("bit-flip", m.start(), m.end(), f"{width}'b{flipped:0{width}b}")
    for m in _BARE_INT.finditer(src):
        value = int(m.group(1))
        yield _Edit("const+1", m.start(), m.end(), str(value + 1))
        if value > 0:
            yield _Edit("const-1", m.start(), m.end(), str(value - 1))


def _dropped_terms(src: str) -> Iterator[_Edit]:
    # a binary operator follows the end of a term (identifier, index or parenthesis)
    for m in re.finditer(rf"(?<=[\w\])])\s*([&|^+])(?![&|=])\s*{_TERM}", src):
        yield _Edit("drop-term", m.start(), m.end(), "")


def _inverted_conditions(src: str) -> Iterator[_Edit]:
    for m in re.finditer(r"\b(if|while)\s*\(", src):
        close = _matching_paren(src, m.end() - 1)
        if close is not None:
            cond = src[m.end() : close]
            yield _Edit("invert-cond", m.end(), close, f"!({cond})")
    for m in re.finditer(r"~\s*(?=[A-Za-z_(])", src):
        yield _Edit("drop-not", m.start(), m.end(), "")


def _reset_values(src: str) -> Iterator[_Edit]:
    names = re.findall(r"\b(?:localparam|parameter)\b[^;]*?\b([A-Za-z_]\w*)\s*=", src)
    for m in _RESET_IF.finditer(src):
        body = re.compile(r"(<?=)\s*([^;]+);")
        for a in list(body.finditer(src, m.end()))[:4]:
            value, start = a.group(2).strip(), a.start(2)
            end = start + len(a.group(2).rstrip())
            if re.fullmatch(r"'?0|\d+'[bhd]0+|0", value, re.I):
                yield _Edit("reset-value", start, end, "'1")
            elif re.fullmatch(r"'?1|\d+'[bhd]\w+|\d+", value, re.I):
                yield _Edit("reset-value", start, end, "'0")
            elif value in names:
                others = [n for n in names if n != value]
                if others:
                    yield _Edit("reset-value", start, end, others[m.start() % len(others)])


def _negated_assignments(src: str) -> Iterator[_Edit]:
    for m in re.finditer(r"(?<![<>=!])(<=|=)(?!=)\s*([^;]+);", src):
        value = m.group(2).rstrip()
        yield _Edit("negate-rhs", m.start(2), m.start(2) + len(value), f"~({value})")


MUTATORS: dict[MutationKind, Callable[[str], Iterator[_Edit]]] = {
    "operator": _operator_swaps,
    "constant": _constants,
    "drop-term": _dropped_terms,
    "condition": _inverted_conditions,
    "reset": _reset_values,
    "negate": _negated_assignments,
}


def _matching_paren(src: str, open_at: int) -> int | None:
    depth = 0
    for i in range(open_at, len(src)):
        depth += {"(": 1, ")": -1}.get(src[i], 0)
        if depth == 0:
            return i
    return None


def mutation_sites(source: str) -> list[Mutant]:
    """Every single-site mutant of ``source`` (in code, outside declarations), deduplicated."""
    mask = _code_mask(source)
    lines = _mutable_lines(source)
    seen: set[str] = {source}
    found: list[Mutant] = []
    for family in MUTATORS.values():
        for edit in family(source):
            if not all(mask[edit.start : edit.end]) or not any(a <= edit.start < b for a, b in lines):
                continue
            text = source[: edit.start] + edit.text + source[edit.end :]
            if text in seen:
                continue
            seen.add(text)
            line_no = source.count("\n", 0, edit.start) + 1
            line_start = source.rfind("\n", 0, edit.start) + 1
            line_end = source.find("\n", edit.start)
            before = source[line_start : line_end if line_end >= 0 else len(source)]
            after_end = line_end + len(text) - len(source) if line_end >= 0 else len(text)
            found.append(Mutant(edit.kind, line_no, before, text[line_start:after_end], text))
    return found


def sample_mutants(source: str, count: int, seed: int = 0) -> list[Mutant]:
    """Up to ``count`` mutants of ``source``, spread over kinds (round robin), chosen with ``seed``."""
    rng = random.Random(seed)
    by_kind: dict[str, list[Mutant]] = {}
    for mutant in mutation_sites(source):
        by_kind.setdefault(mutant.kind, []).append(mutant)
    for group in by_kind.values():
        rng.shuffle(group)
    kinds = sorted(by_kind)
    rng.shuffle(kinds)
    chosen: list[Mutant] = []
    while len(chosen) < count and any(by_kind.values()):
        for kind in kinds:
            if by_kind[kind] and len(chosen) < count:
                chosen.append(by_kind[kind].pop())
    return chosen
