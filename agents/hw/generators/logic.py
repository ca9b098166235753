"""Single logic gates and constant drivers: AND, OR, XOR, NAND, NOR, XNOR of 2..8 inputs, NOT, a
buffer (a wire), and outputs tied to 0 or 1.

The gate is read from the text ('a 3-input NOR gate', 'an inverter', 'behaves like a wire',
'always drives logic low'); how many inputs it has from the text or the module header (inputs
i0..i7 are optional roles, bound in the header's order: every gate here is symmetric). A text
that names two different gates, or wires gates together, describes a circuit: refused.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import COMB_HEAD, Found, Generator, Params, decls, find_int, inp, out
from agents.hw.interface import Port

Op = Literal["and", "or", "xor", "nand", "nor", "xnor", "not", "buf", "zero", "one"]
_ARITY = {"not": (1, 1), "buf": (1, 1), "zero": (0, 0), "one": (0, 0)}
_BASE = {"and": "&", "or": "|", "xor": "^", "nand": "&", "nor": "|", "xnor": "^"}


class GateParams(Params):
    op: Op | None = Field(None, description="The gate: and/or/xor/nand/nor/xnor, not, buf, zero or one.")
    width: int = Field(1, ge=1, le=256, description="Bits of each input and of the output (bitwise).")
    i0: bool = Field(False, description="Has input i0.")
    i1: bool = Field(False, description="Has input i1.")
    i2: bool = Field(False, description="Has input i2.")
    i3: bool = Field(False, description="Has input i3.")
    i4: bool = Field(False, description="Has input i4.")
    i5: bool = Field(False, description="Has input i5.")
    i6: bool = Field(False, description="Has input i6.")
    i7: bool = Field(False, description="Has input i7.")

    @property
    def arity(self) -> int:
        """Number of inputs (at most the gate's own maximum: extra ones are not ports at all, so a
        header that has more inputs than the gate does not bind)."""
        used = sum(bool(getattr(self, f"i{k}")) for k in range(8))
        return min(used, _ARITY.get(self.op or "", (2, 8))[1])

    @model_validator(mode="after")
    def _fits(self) -> GateParams:
        if self.op is None:
            raise ValueError("no gate (AND, OR, XOR, NAND, NOR, XNOR, NOT, wire, constant) was read")
        used = [getattr(self, f"i{k}") for k in range(8)]
        if used != sorted(used, reverse=True):
            raise ValueError("inputs must be i0..i(n-1)")
        lo, hi = _ARITY.get(self.op, (2, 8))
        if self.arity < lo:
            raise ValueError(f"a {self.op} gate takes {lo}..{hi} inputs, not {self.arity}")
        return self


def _ports(p: GateParams) -> list[Port]:
    return [*(inp(f"i{k}", p.width) for k in range(p.arity)), out("y", p.width)]


def _rtl(p: GateParams, module: str) -> str:
    ins = [f"i{k}" for k in range(p.arity)]
    if p.op in ("zero", "one"):
        expr = f"{{{p.width}{{1'b{int(p.op == 'one')}}}}}"
    elif p.op == "not":
        expr = "~i0"
    elif p.op == "buf":
        expr = "i0"
    else:
        op = p.op or "and"  # the validator refuses a gate without an op
        expr = f" {_BASE[op]} ".join(ins)
        if op.startswith("n") or op == "xnor":
            expr = f"~({expr})"
    return f"module {module} (\n    {decls(_ports(p))}\n);\n    assign y = {expr};\nendmodule\n"


def _model(p: GateParams) -> str:
    # bit by bit, from the gate's definition: how many inputs are 1
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        op, n, y = {p.op!r}, {p.arity}, 0
        for bit in range({p.width}):
            ones = sum(ins[f"i{{k}}"] >> bit & 1 for k in range(n))
            value = {{
                "and": ones == n, "nand": ones != n, "or": ones > 0, "nor": ones == 0,
                "xor": ones % 2 == 1, "xnor": ones % 2 == 0, "not": ones == 0, "buf": ones == 1,
                "zero": False, "one": True,
            }}[op]
            y |= int(value) << bit
        return {{"y": y}}
"""
    )


_GATE_WORDS = r"\b(AND|OR|XOR|NAND|NOR|XNOR|NOT)\b"
_GATE_PHRASE = r"\b(and|or|xor|nand|nor|xnor|not)[\s-]+gates?\b"
_BITWISE = r"\bbitwise\s+(and|or|xor|nand|nor|xnor)\b"
_CIRCUIT = (
    r"\bbubble|\binvert(?:ed|ing|s)\b|\bcomplement|\bnegat|\bconnect|\bfeeds?\b|\bfollowed by|\bintermediate|\bflip[\s-]*flop|\blatch"
    r"|\boutputs? of (?:the|an?)\b.*\bgate|\bmux|multiplexer|\bclock|\bclk\b|="
)
_CONST = (
    r"\balways\s+(?:drives?|outputs?|output\s+a|drive\s+a|be)\s+"
    r"(?:a\s+|logic[\s-]*|the\s+value\s+)?(0|1|low|high|zero|one)\b"
)


def _extract(text: str) -> Found:
    found = Found()
    ops: dict[str, str] = {}
    for m in re.finditer(_GATE_WORDS, text):
        ops.setdefault(m.group(1).lower(), m.group(0))
    for m in re.finditer(_BITWISE, text, re.I):
        ops.setdefault(m.group(1).lower(), m.group(0))
    for m in re.finditer(_GATE_PHRASE, text, re.I):
        ops.setdefault(m.group(1).lower(), m.group(0))
    for pat, op in ((r"\binverter\b", "not"), (r"\bbehaves?\s+like\s+a\s+wire\b|\bbuffer\b", "buf")):
        hit = re.search(pat, text, re.I)
        if hit:
            ops.setdefault(op, hit.group(0))
    const = re.search(_CONST, text, re.I)
    if const:
        ops.setdefault("one" if const.group(1).lower() in ("1", "high", "one") else "zero", const.group(0))
    if len(ops) != 1:
        found.lack("exactly one gate" + (f" (the text names {', '.join(sorted(ops))})" if ops else ""))
        return found
    ((op, words),) = ops.items()
    circuit = re.search(_CIRCUIT, text, re.I)
    if circuit:
        found.lack(f"a single gate (the text also says '{circuit.group(0)}': a circuit of gates)")
        return found
    found.put("op", op, words)
    n = find_int(text, (r"\b(\d|two|three|four|five|six|seven|eight)[\s-]*inputs?\b",))
    lo, _ = _ARITY.get(op, (2, 8))
    if n is not None and n <= 8:
        for k in range(n):
            found.put(f"i{k}", True, str(n))
    elif lo == 1:
        found.put("i0", True, words)
    return found


LOGIC_GATE = Generator(
    name="logic_gate",
    summary="One logic gate (AND/OR/XOR/NAND/NOR/XNOR of 2..8 inputs, NOT, wire) or a constant output",
    params=GateParams,
    keywords=(
        _GATE_PHRASE,
        _BITWISE,
        r"\binverter\b",
        r"\bbehaves?\s+like\s+a\s+wire\b",
        _CONST,
    ),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    flags={f"i{k}": f"i{k}" for k in range(8)},
    width_params={"y": ("width", lambda w: w)},
    required=("op",),
)
