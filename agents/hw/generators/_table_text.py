"""Reading a combinational function from a table in a request: a truth table, a Karnaugh map, or
a simulation waveform of a combinational circuit (a 'time' column and 0/1 samples).

Every reader returns a :class:`Function` (input variables, output names, the minterms of each
output and its don't-cares) or raises :class:`~tools.errors.UsageError` that says what it could not
read. Nothing is guessed: an input combination the table does not give is a refusal, not a 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

from tools.errors import UsageError

_VAR = r"[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?"
_VALUE = {"0": 0, "1": 1}
_DONT_CARE = {"x", "d", "-", "X", "D"}
_CLOCK_NAMES = {"clk", "clock"}


@dataclass
class Function:
    """A Boolean function of named 1-bit variables, one value per input combination and output.

    ``inputs[0]`` is the most significant bit of a combination's index; a value is '0', '1' or
    'd' (don't-care).
    """

    inputs: list[str]
    outputs: list[str]
    source: str
    words: str = ""
    values: dict[str, dict[int, str]] = field(default_factory=dict)

    def ones(self, out: str) -> list[int]:
        """Combinations where ``out`` is 1."""
        return sorted(i for i, v in self.values[out].items() if v == "1")

    def dont_cares(self, out: str) -> list[int]:
        """Combinations where ``out`` may be anything."""
        return sorted(i for i, v in self.values[out].items() if v == "d")

    def set(self, index: int, out: str, value: str) -> None:
        """Record one entry; UsageError when the table already gave a different one."""
        new = value if value in _VALUE else "d"
        old = self.values.setdefault(out, {}).get(index)
        if old is not None and old != new:
            raise UsageError(f"the {self.source} gives two values for {out} at input combination {index}")
        self.values[out][index] = new

    def complete(self) -> Function:
        """Self, when every output has a value for every combination; else UsageError."""
        need = 1 << len(self.inputs)
        for out in self.outputs:
            have = len(self.values.get(out, {}))
            if have != need:
                raise UsageError(
                    f"the {self.source} gives {out} for {have} of the {need} combinations of "
                    f"{', '.join(self.inputs)}; every combination must be listed"
                )
        return self


def _cells(line: str) -> list[str]:
    return [c for c in re.split(r"[|\s]+", line.strip()) if c]


def _header_rows(lines: list[str], start: int) -> list[list[str]]:
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            if rows:
                break
            continue
        cells = _cells(line)
        if not all(re.fullmatch(r"[01xXdD-]|\d+(?:\.\d+)?\s*[pnum]?s", c) for c in cells):
            break
        rows.append(cells)
    return rows


def _gaps(lines: list[str], header: int, rows: int) -> bool:
    return any(not x.strip() for x in lines[header + 1 : header + 1 + rows])


def _outputs_after_bar(header: str, body: list[str]) -> int:
    """How many columns are outputs: those after '||', or after the one '|' of a table whose
    header and rows have exactly one bar ('a b | y z'); else the last column alone."""
    if "||" in header:
        return len(_cells(header.split("||")[1]))
    rows = [x for x in body if x.strip()]
    if header.count("|") == 1 and rows and all(x.count("|") == 1 for x in rows):
        return len(_cells(header.split("|")[1]))
    return 1


def truth_tables(text: str) -> list[Function]:
    """Every truth table or waveform table in ``text``: a header of names, then rows of 0/1.

    The last column is the output unless '||' separates inputs from outputs. A waveform (first
    column 'time') keeps only rows whose inputs are all 0 or 1; a clock column is refused.
    """
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        names = _cells(line)
        if len(names) < 2 or not all(re.fullmatch(_VAR, n) for n in names):
            continue
        wave = names[0].lower() == "time"
        rows = _header_rows(lines, i)
        width = len(names)
        if not rows or any(len(r) != width for r in rows):
            continue
        if wave:
            names, rows = names[1:], [r[1:] for r in rows]
        where = "waveform" if wave else "truth table"
        if _CLOCK_NAMES & {n.lower() for n in names}:
            raise UsageError(f"the {where} has a clock column: it describes a sequential circuit")
        n_out = _outputs_after_bar(line, lines[i + 1 : i + 1 + len(rows)])
        block = "\n".join(lines[i : i + 1 + len(rows)]) if not _gaps(lines, i, len(rows)) else line
        fn = Function(inputs=names[:-n_out], outputs=names[-n_out:], source=where, words=block)
        for row in rows:
            ins, outs = row[:-n_out], row[-n_out:]
            if any(v not in _VALUE for v in ins):
                if wave:
                    continue  # an undefined input sample says nothing about the function
                choices = [(0, 1) if v in _DONT_CARE else (_VALUE[v],) for v in ins]
            else:
                choices = [(_VALUE[v],) for v in ins]
            for bits in product(*choices):
                index = int("".join(map(str, bits)), 2)
                for out, v in zip(fn.outputs, outs, strict=True):
                    if wave and v not in _VALUE:
                        raise UsageError(f"the waveform shows {out}={v} for defined inputs")
                    fn.set(index, out, v)
        found.append(fn.complete())
    return found


def _split_vars(label: str, count: int) -> list[str]:
    """'ab' -> a, b; 'x[0]x[1]' -> x[0], x[1]; 'x3x4' -> x3, x4 (``count`` variables)."""
    for pattern in (r"[A-Za-z_]\w*?\[\d+\]", r"[A-Za-z]\d*", r"[A-Za-z]"):
        parts = re.findall(pattern, label)
        if len(parts) == count and "".join(parts) == label:
            return parts
    if count == 1 and re.fullmatch(_VAR, label):
        return [label]
    raise UsageError(f"cannot read {count} Karnaugh-map variable(s) from the label '{label}'")


def karnaugh_maps(text: str) -> list[Function]:
    """Every Karnaugh map in ``text``: a column-variable label line, a header 'rowvars code code ...',
    then rows 'code | v | v | ...'. Codes are read from the labels, never assumed Gray-ordered."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        m = re.fullmatch(r"\s*(\S+)\s+((?:[01]+\s+)*[01]+)\s*", line)
        if not m or i == 0 or not re.fullmatch(r"(?:" + _VAR + r")+", m.group(1)):
            continue
        col_codes = m.group(2).split()
        top = next((k for k in range(i - 1, -1, -1) if lines[k].strip()), 0)
        above = lines[top].strip()
        if not re.fullmatch(r"(?:" + _VAR + r")+", above) or len({len(c) for c in col_codes}) != 1:
            continue
        col_vars = _split_vars(above, len(col_codes[0]))
        row_label = m.group(1)
        rows = []
        for nxt in lines[i + 1 :]:
            r = re.fullmatch(r"\s*([01]+)\s*\|(.*?)\|?\s*", nxt)
            if not r:
                break
            rows.append((r.group(1), [c.strip() for c in r.group(2).split("|")]))
        if not rows:
            continue
        row_vars = _split_vars(row_label, len(rows[0][0]))
        inputs = col_vars + row_vars
        if len(set(inputs)) != len(inputs):
            raise UsageError(f"the Karnaugh map names a variable twice: {', '.join(inputs)}")
        block = "\n".join(lines[top : i + 1 + len(rows)])
        fn = Function(inputs=inputs, outputs=[_kmap_output(text)], source="Karnaugh map", words=block)
        for code, cells in rows:
            if len(cells) != len(col_codes) or len(code) != len(row_vars):
                raise UsageError(f"a Karnaugh-map row '{code}' does not match its header")
            for col, cell in zip(col_codes, cells, strict=True):
                if cell not in _VALUE and cell not in _DONT_CARE:
                    raise UsageError(f"cannot read the Karnaugh-map cell '{cell}' (allowed: 0, 1, d, x)")
                fn.set(int(col + code, 2), fn.outputs[0], cell)
        found.append(fn.complete())
    return found


def _kmap_output(text: str) -> str:
    m = re.search(r"\b(?:function|output)\s+([A-Za-z_]\w*)\s+(?:shown|described|given|defined)", text, re.I)
    return m.group(1) if m else "out"


_SIGMA = r"(?P<kind>Σ|∑|\\sum|sum(?:\s+of)?|Π|∏|\\prod|prod(?:uct)?(?:\s+of)?)\s*(?P<mm>[mM])?\s*"
_MINTERMS = re.compile(
    r"\b(?P<out>[A-Za-z_]\w*)\s*\(\s*(?P<vars>[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*\)\s*=\s*"
    + _SIGMA
    + r"\(\s*(?P<list>\d+(?:\s*,\s*\d+)*)\s*\)"
    r"(?:\s*\+\s*(?:Σ|∑)?\s*d\s*\(\s*(?P<dc>\d+(?:\s*,\s*\d+)*)\s*\))?"
)


def minterm_lists(text: str) -> list[Function]:
    """Every 'F(A, B, C) = Σm(1, 3, 5)' (+ 'd(...)' don't-cares) or 'F(A, B, C) = ΠM(0, 2)' in
    ``text``; the first variable is the most significant bit. Σ with capital M, Π with small m,
    or a number out of range is refused."""
    found = []
    for m in _MINTERMS.finditer(text):
        names = [v.strip() for v in m.group("vars").split(",")]
        product_form = m.group("kind").lower().startswith(("π", "∏", "\\prod", "prod"))
        letter = m.group("mm")
        if letter and (letter == "M") != product_form:
            raise UsageError(f"'{m.group(0)}' mixes a sum with maxterms or a product with minterms")
        listed = {int(x) for x in m.group("list").split(",")}
        dcs = {int(x) for x in m.group("dc").split(",")} if m.group("dc") else set()
        top = 1 << len(names)
        if any(i >= top for i in listed | dcs) or listed & dcs:
            raise UsageError(f"'{m.group(0)}' lists a term outside 0..{top - 1} or twice")
        fn = Function(inputs=names, outputs=[m.group("out")], source="minterm list", words=m.group(0))
        for i in range(top):
            value = (
                "d"
                if i in dcs
                else ("0" if i in listed else "1")
                if product_form
                else ("1" if i in listed else "0")
            )
            fn.set(i, m.group("out"), value)
        found.append(fn.complete())
    return found
