"""The examples a spec gives, as directed samples for :mod:`tools.hdl.directed`.

* truth tables: a header line naming ports (an optional leading ``time`` column is ignored) and
  one value per column on each following line;
* selection sentences: "When sel=0, choose a";
* waveforms of a clocked design: a table with the clock's column. Rows where the clock is low are
  the samples (their inputs are applied, their outputs are read just before the next rising edge,
  the testbench's convention); a clock-high row must show the outputs of the low row after it (a
  rising-edge design changes nothing at the falling edge), else the table is not used.

``x`` in an expected output is not compared; a table with ``x`` in an input after its first rows is
not used. Tables that do not fit these forms are left to the accounting check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agents.hw.interface import Interface
from tools.hdl.directed import Example

_VALUE = r"(?:\d+'[bdh][0-9a-fx_]+|0x[0-9a-f]+|\d+|x|z)"
_TIME = re.compile(r"\d+\s*(?:ns|ps|us)?", re.I)
_CELLS = re.compile(r"[\s|,]+")


def _tables(text: str, iface: Interface) -> list[tuple[list[str], list[tuple[list[str], str]]]]:
    """Every table whose header names ports (at least one input and one output): its columns and
    its rows (cells, line), the ``time`` column dropped."""
    directions = {p.name: p.direction for p in iface.ports}
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        cols = [c for c in _CELLS.split(line.strip()) if c]
        timed = bool(cols) and cols[0].lower() == "time"
        names = cols[1:] if timed else cols
        if len(names) < 2 or not all(c in directions for c in names):
            continue
        if {directions[c] for c in names} != {"input", "output"}:
            continue
        rows: list[tuple[list[str], str]] = []
        for row in lines[i + 1 :]:
            cells = [c for c in _CELLS.split(row.strip()) if c]
            if not cells or set("".join(cells)) <= set("-=+"):
                if rows and not cells:
                    break
                continue
            if timed and (len(cells) != len(cols) or not _TIME.fullmatch(cells[0])):
                break
            values = cells[1:] if timed else cells
            if len(values) != len(names) or not all(re.fullmatch(_VALUE, c, re.I) for c in values):
                break
            rows.append((values, row.strip()))
        if rows:
            found.append((names, rows))
    return found


def examples(text: str, iface: Interface | None) -> list[Example]:
    """The rows of the spec's truth tables (tables without a clock column: combinational)."""
    if iface is None:
        return []
    directions = {p.name: p.direction for p in iface.ports}
    out: list[Example] = []
    for names, rows in _tables(text, iface):
        if any(n.lower() in ("clk", "clock") for n in names):
            continue
        for cells, line in rows:
            sample = _sample(names, cells, directions, line)
            if sample is None:
                break
            out.append(sample)
    return out


def waveforms(text: str, iface: Interface | None, clock: str) -> tuple[list[Example], list[str]]:
    """Samples of the spec's waveform tables that have a ``clock`` column, and the words (lines)
    they account for; empty when a table does not fit (see the module's docstring)."""
    if iface is None:
        return [], []
    directions = {p.name: p.direction for p in iface.ports if p.name != clock}
    out: list[Example] = []
    words: list[str] = []
    for names, rows in _tables(text, iface):
        if clock not in names:
            continue
        k = names.index(clock)
        rest = [n for n in names if n != clock]
        table: list[Example] = []
        lows = [(i, cells) for i, (cells, _) in enumerate(rows) if cells[k] == "0"]
        if not lows or any(cells[k] not in ("0", "1") for cells, _ in rows):
            continue
        fits = True
        for i, (cells, line) in enumerate(rows):
            if cells[k] == "1":  # outputs after the rising edge: the next low row must show them
                after = rows[i + 1][0] if i + 1 < len(rows) else None
                if after is not None and _outputs(names, cells, directions) != _outputs(
                    names, after, directions
                ):
                    fits = False
                    break
                continue
            sample = _sample(rest, cells[:k] + cells[k + 1 :], directions, line)
            if sample is None:
                if table:  # an unknown input after the start: the sequence cannot be replayed
                    fits = False
                    break
                continue
            table.append(sample)
        if fits and table:
            out += table
            words += [line for _, line in rows]
    return out, words


def statement(text: str) -> str:
    """The request's prose: module headers and port bullets blanked (same length, so offsets hold;
    a header keeps its word 'module', so the sentence that introduces it still reads as about the
    interface)."""

    def blank(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))

    def blank_header(m: re.Match[str]) -> str:
        return "module" + blank(m)[6:]

    text = re.sub(r"\bmodule\b.*?\)\s*;", blank_header, text, flags=re.S)
    return re.sub(r"^[ \t]*[-*][ \t]*(input|output)\b.*$", blank, text, flags=re.M | re.I)


_SELECTION = re.compile(
    r"\b(?:when|if)\s+(\w+)\s*(?:==?|is)\s*(\d+)\s*[,:]?\s*(?:then\s+)?(?:\w+\s+)?"
    r"(?:choose|chooses|select|selects|pick|picks|pass|passes|output|outputs|forward|forwards)\s+(?:input\s+)?(\w+)",
    re.I,
)


def selections(text: str, iface: Interface | None) -> list[Example]:
    """Examples from sentences such as 'When sel=0, choose a': with the select at that value, the
    one output of the chosen input's width follows the chosen input and ignores every other input
    (two samples: chosen all ones and the rest zero, then the reverse)."""
    if iface is None:
        return []
    ports = {p.name: p for p in iface.ports}
    out: list[Example] = []
    for m in _SELECTION.finditer(statement(text)):
        sel, value, chosen = m.group(1), int(m.group(2)), m.group(3)
        if sel not in ports or chosen not in ports or ports[sel].direction != "input":
            continue
        if ports[chosen].direction != "input":
            continue
        width = ports[chosen].width
        outs = [p for p in iface.ports if p.direction == "output" and p.width == width]
        if len(outs) != 1:
            continue
        others = {
            p.name: (1 << p.width) - 1
            for p in iface.ports
            if p.direction == "input" and p.name not in (sel, chosen)
        }
        mask = (1 << width) - 1
        zeros = {name: 0 for name in others}
        out.append(
            Example(
                inputs={sel: value, chosen: mask, **zeros}, outputs={outs[0].name: mask}, words=m.group(0)
            )
        )
        out.append(
            Example(inputs={sel: value, chosen: 0, **others}, outputs={outs[0].name: 0}, words=m.group(0))
        )
    return out


def _outputs(names: list[str], cells: list[str], directions: Mapping[str, str]) -> list[str]:
    return [c.lower() for n, c in zip(names, cells, strict=True) if directions.get(n) == "output"]


def _sample(names: list[str], cells: list[str], directions: Mapping[str, str], line: str) -> Example | None:
    """One sample, or None when an input is unknown (x or z)."""
    inputs: dict[str, int] = {}
    outputs: dict[str, int] = {}
    for name, cell in zip(names, cells, strict=True):
        known = not re.fullmatch(r"[xz]|.*'[bdh].*[xz].*", cell, re.I)
        if directions[name] == "input":
            if not known:
                return None
            inputs[name] = _value(cell)
        elif known:
            outputs[name] = _value(cell)
    return Example(inputs=inputs, outputs=outputs, words=line)


def _value(cell: str) -> int:
    cell = cell.lower().replace("_", "")
    if "'" in cell:
        base = {"b": 2, "d": 10, "h": 16}[cell.split("'")[1][0]]
        return int(cell.split("'")[1][1:], base)
    return int(cell, 16) if cell.startswith("0x") else int(cell)
