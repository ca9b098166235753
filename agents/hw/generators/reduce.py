"""Reductions of one input vector: parity bits (even or odd, as the text says) and outputs that
are the AND / OR / XOR / NAND / NOR / XNOR of every input bit, each output's gate read from the
text next to its name ('out_and: output of a 4-input AND gate', 'all_ones is the AND of all bits').
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import COMB_HEAD, Found, Generator, Params, decls, inp, out, read_width
from agents.hw.interface import Port
from tools.errors import UsageError

Op = Literal["and", "or", "xor", "nand", "nor", "xnor"]
_SYMBOL = {"and": "&", "or": "|", "xor": "^", "nand": "~&", "nor": "~|", "xnor": "~^"}


class ReduceParams(Params):
    width: int = Field(0, ge=0, le=4096, description="Bits of the input vector 'in' (0: not stated).")
    outputs: tuple[tuple[str, Op], ...] = Field(
        (), description="(output name, gate over every input bit), as the text names them."
    )

    @model_validator(mode="after")
    def _some(self) -> ReduceParams:
        if not self.outputs:
            raise ValueError("no output was read with its gate (e.g. 'even parity', 'y: a 4-input AND gate')")
        names = [n for n, _ in self.outputs]
        if len(set(names)) != len(names) or "in" in names:
            raise ValueError(f"output names must be distinct and not 'in': {names}")
        return self


def _ports(p: ReduceParams) -> list[Port]:
    return [inp("in", p.width or 1), *(out(n) for n, _ in p.outputs)]


def _rtl(p: ReduceParams, module: str) -> str:
    if not p.width:
        raise UsageError("reduce: the width of the input vector is not stated in the text or a header")
    body = "\n".join(f"    assign {n} = {_SYMBOL[op]}in;" for n, op in p.outputs)
    return f"module {module} (\n    {decls(_ports(p))}\n);\n{body}\nendmodule\n"


def _model(p: ReduceParams) -> str:
    return (
        COMB_HEAD
        + f"""
    _OUTPUTS = {list(p.outputs)!r}

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        ones = bin(ins["in"] & ((1 << {p.width}) - 1)).count("1")
        value = {{
            "and": ones == {p.width}, "or": ones > 0, "xor": ones % 2 == 1,
            "nand": ones != {p.width}, "nor": ones == 0, "xnor": ones % 2 == 0,
        }}
        return {{name: int(value[op]) for name, op in self._OUTPUTS}}
"""
    )


_GATE = r"(AND|OR|XOR|NAND|NOR|XNOR)"
_NAMED = (
    rf"(?:\(\d+\)\s*)?\b([A-Za-z_]\w*)\s*(?::|\bis\b|=)\s*(?:the\s+)?output\s+of\s+an?\s+[\w-]*\s*{_GATE}\s+gate",
    rf"(?:\(\d+\)\s*)?\b([A-Za-z_]\w*)\s*(?::|\bis\b|=)\s*(?:the\s+)?{_GATE}\s+of\s+all\b",
)


def _extract(text: str) -> Found:
    found = Found()
    read_width(found, text)
    n = re.search(r"\b(\d+)[\s-]*(?:inputs?|bit\s+input\s+vector)\b", text, re.I)
    if n and "width" not in found:
        found.put("width", int(n.group(1)), n.group(0))
    named: list[tuple[str, str]] = []
    words: list[str] = []
    for pattern in _NAMED:
        for m in re.finditer(pattern, text):
            named.append((m.group(1), m.group(2).lower()))
            words.append(m.group(0))
    if named:
        found.put("outputs", tuple(named), " | ".join(words))
        count = re.search(r"\b(\d+)\s+outputs\b", text, re.I)
        if count and int(count.group(1)) != len(named):
            found.lack(f"a gate for each of the {count.group(1)} outputs (read {len(named)})")
        elif count:
            found.note("outputs", len(named), count.group(0))
        return found
    checker = re.search(r"\bcheck\w*|\berror\b|\bdetect\w*|\breceiv\w*", text, re.I)
    bit = re.search(r"\b(?:compute|generate|produce|output)s?\b[^.]*\bparity\s+bit\b", text, re.I)
    if checker and not bit and re.search(r"\bparity\b", text, re.I):
        found.lack(f"a parity bit to generate (a parity check, '{checker.group(0)}', is read two ways)")
        return found
    parity = re.search(r"\b(even|odd)\b[\"'\s]*parity|\bparity\b[^.]{0,40}?\b(even|odd)\b", text, re.I)
    if parity:
        kind = (parity.group(1) or parity.group(2)).lower()
        # an even-parity bit makes the count of ones, itself included, even: the XOR of the data
        said = [x for x in re.split(r"(?<=[.;])\s+", text) if re.search(r"\bparity\b", x, re.I)]
        found.put("outputs", (("parity", "xor" if kind == "even" else "xnor"),), " | ".join(said))
    elif re.search(r"\bparity\b", text, re.I):
        found.lack("whether the parity is even or odd")
    else:
        found.lack("each output with its gate ('y: output of an 8-input AND gate')")
    return found


REDUCE = Generator(
    name="reduce",
    summary="Reductions of one vector: even/odd parity bit, or AND/OR/XOR/NAND/NOR/XNOR of every bit",
    params=ReduceParams,
    keywords=(
        r"\bparity\b",
        rf"output\s+of\s+an?\s+\d+[\s-]*input\s+{_GATE}\s+gate",
        r"\breduction\b",
        rf"\b{_GATE}\s+of\s+all\b",
    ),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    aliases={"in": ("in", "data", "d", "x", "a", "din", "bits")},
    width_params={"in": ("width", lambda w: w)},
    required=("outputs", "width"),
    positional=("in", "parity"),
)
