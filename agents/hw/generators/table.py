"""Combinational logic given as a table in the text: a truth table, a Karnaugh map, or the
simulation waveform of a combinational circuit.

The parameters are the table itself (variables, outputs, the minterms of each output); the RTL is
a sum of minterms, the model looks each input combination up in a set. Don't-care entries are
built as 0 by both. A request whose table is incomplete, contradictory or part of a larger
circuit (submodules) is refused, never filled in.
"""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from agents.hw.generators._base import COMB_HEAD, Found, Generator, Params, decls, inp, out
from agents.hw.generators._table_text import Function, karnaugh_maps, minterm_lists, truth_tables
from agents.hw.interface import Port
from tools.errors import UsageError

_INDEXED = re.compile(r"([A-Za-z_]\w*)\[(\d+)\]")


class TableParams(Params):
    inputs: tuple[str, ...] = Field(
        (), description="Input variables, most significant first: names like 'a' or bits like 'x[2]'."
    )
    outputs: tuple[str, ...] = Field((), description="Output names (1 bit each).")
    ones: tuple[tuple[int, ...], ...] = Field(
        (), description="Per output, the input combinations (indices over 'inputs') where it is 1."
    )
    dont_cares: tuple[tuple[int, ...], ...] = Field(
        (), description="Per output, the combinations the text leaves open (built as 0)."
    )

    @model_validator(mode="after")
    def _fits(self) -> TableParams:
        if not self.inputs:
            raise ValueError("no truth table, Karnaugh map or combinational waveform was read from the text")
        if not 1 <= len(self.inputs) <= 8:
            raise ValueError(f"a table over {len(self.inputs)} inputs is not supported (1..8)")
        if len(self.ones) != len(self.outputs):
            raise ValueError("one minterm list per output is needed")
        if any(_INDEXED.fullmatch(o) for o in self.outputs):
            raise ValueError("outputs must be whole 1-bit ports")
        top = 1 << len(self.inputs)
        if any(i < 0 or i >= top for row in self.ones for i in row):
            raise ValueError(f"minterm out of range 0..{top - 1}")
        return self


def _bit(var: str) -> tuple[str, int | None]:
    m = _INDEXED.fullmatch(var)
    return (m.group(1), int(m.group(2))) if m else (var, None)


def _input_ports(p: TableParams) -> list[Port]:
    widths: dict[str, int] = {}
    for var in p.inputs:
        name, bit = _bit(var)
        widths[name] = max(widths.get(name, 1), (bit or 0) + 1)
    return [inp(n, w) for n, w in widths.items()]


def _ports(p: TableParams) -> list[Port]:
    return [*_input_ports(p), *(out(o) for o in p.outputs)]


def _rtl(p: TableParams, module: str) -> str:
    n = len(p.inputs)
    lines = []
    for o, ones in zip(p.outputs, p.ones, strict=True):
        terms = []
        for index in ones:
            lits = [("" if index >> (n - 1 - k) & 1 else "~") + var for k, var in enumerate(p.inputs)]
            terms.append("(" + " & ".join(lits) + ")")
        expr = "\n        | ".join(terms) if terms else "1'b0"
        lines.append(f"    assign {o} = {expr};")
    body = "\n".join(lines)
    return f"module {module} (\n    {decls(_ports(p))}\n);\n{body}\nendmodule\n"


def _model(p: TableParams) -> str:
    bits = [_bit(v) for v in p.inputs]
    table = {o: sorted(ones) for o, ones in zip(p.outputs, p.ones, strict=True)}
    return (
        COMB_HEAD
        + f"""
    _BITS = {bits!r}
    _ONES = {table!r}

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        index = 0
        for name, bit in self._BITS:
            value = ins[name] if bit is None else ins[name] >> bit
            index = 2 * index + (value & 1)
        return {{o: int(index in ones) for o, ones in self._ONES.items()}}
"""
    )


_COMPOSITE = r"\bsub-?modules?\b|\binstan(ce|tiat)|\bmodule\s+[A-Z]\b|\bflip[\s-]*flops?\b|\bregisters?\b"


def _outputs_as_inputs(text: str, fn: Function) -> str:
    """A name the prose calls an output that the table reads as an input ('' when none)."""
    said = re.findall(r"\boutputs?\s+(?:is\s+|are\s+|called\s+|named\s+)?([A-Za-z_]\w*)", text, re.I)
    said += re.findall(r"\b([A-Za-z_]\w*)\s+is\s+the\s+output\b", text, re.I)
    return next((n for n in said if n in fn.inputs), "")


def _extract(text: str) -> Found:
    """The one table in ``text`` as parameters; lacking when there is none, several, or the text
    builds something larger from it."""
    found = Found()
    try:
        tables: list[Function] = [*truth_tables(text), *karnaugh_maps(text), *minterm_lists(text)]
    except UsageError as exc:
        found.lack(str(exc))
        return found
    if not tables:
        found.lack(
            "a complete truth table, Karnaugh map or combinational waveform (a header of variable "
            "names, then one row per input combination)"
        )
    elif len(tables) > 1:
        found.lack(f"one table (the text holds {len(tables)})")
    elif m := re.search(_COMPOSITE, text, re.I):
        found.lack(f"a circuit that is exactly the table (the text also says '{m.group(0)}')")
    elif clash := _outputs_as_inputs(text, tables[0]):
        found.lack(f"the output column (the text calls {clash} an output; the table reads it as an input)")
    else:
        fn = tables[0]
        found.put("inputs", tuple(fn.inputs), fn.words)
        found.put("outputs", tuple(fn.outputs), fn.words)
        found.put("ones", tuple(tuple(fn.ones(o)) for o in fn.outputs), f"the {fn.source}")
        found.put("dont_cares", tuple(tuple(fn.dont_cares(o)) for o in fn.outputs), f"the {fn.source}")
    return found


TRUTH_TABLE = Generator(
    name="truth_table",
    summary="Combinational logic from a truth table, Karnaugh map or combinational waveform in the text",
    params=TableParams,
    keywords=(
        r"truth[\s-]*table",
        r"karnaugh[\s-]*map",
        r"\bk[\s-]*map\b",
        r"simulation\s+waveforms?",
        r"(?m)^[ \t]*[01](?:[ \t|]+[01])+[ \t|]*$",  # rows of 0/1: the table itself outweighs names
        r"\bminterms?\b|\bmaxterms?\b",
        r"\w+\s*\([\w\s,]+\)\s*=\s*(?:[Σ∑Π∏]|sum|prod)\s*[mM]?\s*\([\d\s,]+\)",
    ),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    required=("inputs", "outputs", "ones"),
    positional=("out",),
)
