"""Shifting by an amount, and LFSRs with the text's own taps.

* ``barrel_shifter``: combinational shift of ``data`` by ``amt`` places; the operation (logical
  left/right, arithmetic right, rotate left/right) must be stated.
* ``lfsr_taps``: a Galois LFSR that shifts right, with the tap positions the text lists (numbered
  1..n, n included) and the reset value it states; anything else is refused.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import (
    COMB_HEAD,
    SEQ_HEAD,
    Found,
    Generator,
    Params,
    SeqParams,
    always_ff,
    clock_ports,
    clog2,
    decls,
    inp,
    out,
    read_reset,
    read_width,
    reset_active,
)
from agents.hw.generators.dff import number
from agents.hw.interface import Port
from tools.errors import UsageError

ShiftOp = Literal["sll", "srl", "sra", "rol", "ror"]


class BarrelParams(Params):
    width: int = Field(8, ge=2, le=256, description="Data width.")
    amount_bits: int = Field(0, ge=0, le=16, description="Bits of 'amt' (0: clog2(width)).")
    op: ShiftOp | None = Field(None, description="sll, srl, sra, rol or ror; stated in the text.")

    @model_validator(mode="after")
    def _stated(self) -> BarrelParams:
        if self.op is None:
            raise ValueError("the shift operation (left, right, arithmetic or rotate) is not stated")
        return self


def _amt_bits(p: BarrelParams) -> int:
    return p.amount_bits or clog2(p.width)


def _barrel_ports(p: BarrelParams) -> list[Port]:
    return [inp("data", p.width), inp("amt", _amt_bits(p)), out("y", p.width)]


def _barrel_rtl(p: BarrelParams, module: str) -> str:
    w = p.width
    expr = {
        "sll": "data << amt",
        "srl": "data >> amt",
        "sra": "$signed(data) >>> amt",
        "rol": f"{{data, data}} << (amt % {w}) >> {w}",
        "ror": f"{{data, data}} >> (amt % {w})",
    }[p.op or "sll"]
    wide = p.op in ("rol", "ror")
    body = (
        f"    wire [{2 * w - 1}:0] both = {expr};\n    assign y = both[{w - 1}:0];"
        if wide
        else f"    assign y = {expr};"
    )
    return f"module {module} (\n    {decls(_barrel_ports(p))}\n);\n{body}\nendmodule\n"


def _barrel_model(p: BarrelParams) -> str:
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        w, op = {p.width}, {p.op!r}
        bits = [ins["data"] >> k & 1 for k in range(w)]  # bits[0] is the LSB
        n = ins["amt"]
        if op == "sll":
            bits = [0] * min(n, w) + bits[: max(w - n, 0)]
        elif op == "srl":
            bits = bits[n:] + [0] * min(n, w)
        elif op == "sra":
            bits = bits[n:] + [bits[-1]] * min(n, w)
        elif op == "rol":
            k = n % w
            bits = bits[w - k :] + bits[: w - k]
        else:
            k = n % w
            bits = bits[k:] + bits[:k]
        return {{"y": sum(b << i for i, b in enumerate(bits[:w]))}}
"""
    )


def _barrel_extract(text: str) -> Found:
    """Direction (exactly one of left/right) and kind (rotate, arithmetic or logical; a plain
    'shift' is logical, as Verilog's << and >> are). Two kinds or two directions: refused."""
    found = Found()
    read_width(found, text)
    kinds = {
        k: m.group(0)
        for k, pat in (
            ("rotate", r"\brotat\w*|\bcircular\w*"),
            ("arith", r"\barithmetic\w*"),
            ("logic", r"\blogical\w*"),
        )
        if (m := re.search(pat, text, re.I))
    }
    sides = {k: m.group(0) for k in ("left", "right") if (m := re.search(rf"\b{k}\b", text, re.I))}
    if len(kinds) > 1 or len(sides) != 1:
        found.lack(
            "one shift operation: a direction (left or right) and one kind (logical, arithmetic, rotate); "
            f"the text says {', '.join([*kinds.values(), *sides.values()]) or 'neither'}"
        )
        return found
    ((side, side_words),) = sides.items()
    kind = next(iter(kinds), "logic")
    op = {"rotate": "ro", "arith": "sr" if side == "right" else "sl", "logic": "s"}[kind]
    op = {
        "ro": "rol" if side == "left" else "ror",
        "sr": "sra",
        "sl": "sll",
        "s": "sll" if side == "left" else "srl",
    }[op]
    found.put("op", op, " | ".join([side_words, *kinds.values()]))
    return found


BARREL_SHIFTER = Generator(
    name="barrel_shifter",
    summary="Combinational barrel shifter: data shifted or rotated by amt (op stated: sll/srl/sra/rol/ror)",
    params=BarrelParams,
    keywords=(
        r"\bbarrel[\s-]*shift",
        r"\bshift\w*\s+by\s+(?:a\s+|the\s+)?(?:variable\s+)?amount",
        r"\bshamt\b",
    ),
    extract=_barrel_extract,
    ports=_barrel_ports,
    rtl=_barrel_rtl,
    model=_barrel_model,
    aliases={
        "data": ("data", "in", "a", "d", "din", "x"),
        "amt": ("amt", "amount", "shamt", "sh", "shift", "s", "sel", "b", "n"),
        "y": ("y", "out", "result", "q", "dout", "z"),
    },
    width_params={"data": ("width", lambda w: w), "amt": ("amount_bits", lambda w: w)},
    required=("op",),
)


# ---- LFSR with stated taps ---------------------------------------------------------------------


class LfsrTapsParams(SeqParams):
    width: int = Field(8, ge=2, le=64, description="Register width n.")
    taps: tuple[int, ...] = Field((), description="Tap positions numbered 1..n (n included).")
    reset_value: int | None = Field(None, ge=0, description="Value after reset; stated.")

    @model_validator(mode="after")
    def _stated(self) -> LfsrTapsParams:
        if not self.taps or self.reset_value is None:
            raise ValueError("the taps and the reset value must be stated")
        return self


def _lfsr_ports(p: LfsrTapsParams) -> list[Port]:
    return [*clock_ports(p), out("q", p.width)]


def _lfsr_rtl(p: LfsrTapsParams, module: str) -> str:
    w = p.width
    # checked here, not in the validator: the width may come from a header after the text is read
    if max(p.taps) != w or min(p.taps) < 1:
        raise UsageError(f"lfsr_taps: tap positions {p.taps} must be numbered 1..{w} and include {w}")
    if (p.reset_value or 0) >> w:
        raise UsageError(f"lfsr_taps: reset value {p.reset_value} does not fit {w} bits")
    bits = []
    for i in range(w):  # next bit i: bit i+1 shifted right, XORed with q[0] where position i+1 taps
        src = f"q[{i + 1}]" if i + 1 < w else "1'b0"
        bits.append(f"{src} ^ q[0]" if i + 1 in p.taps else src)
    nxt = "{" + ", ".join(reversed(bits)) + "}"
    return f"""module {module} (
    {decls(_lfsr_ports(p), ("q",))}
);
    {always_ff(p)} begin
        if ({reset_active(p)}) q <= {w}'d{p.reset_value};
        else q <= {nxt};
    end
endmodule
"""


def _lfsr_model(p: LfsrTapsParams) -> str:
    mask = sum(1 << (t - 1) for t in p.taps)
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.q = {p.reset_value}

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"q": self.q}}

    def clock(self, ins: dict[str, int]) -> None:
        out = self.q & 1
        self.q = (self.q >> 1) ^ ({mask} if out else 0)
"""
    )


def _lfsr_extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_width(found, text)
    if not re.search(r"\bgalois\b", text, re.I) or not re.search(
        r"\bshift\w*\s+(?:to\s+the\s+)?right\b|\bright[\s-]*shift", text, re.I
    ):
        found.lack("a Galois LFSR that shifts right (other arrangements are not built offline)")
        return found
    m = re.search(
        r"\btaps?\s+(?:at\s+)?(?:bit\s+)?(?:positions?\s+)?((?:\d+\s*(?:,\s*and|,|and)?\s*)+)", text, re.I
    )
    if m is None:
        found.lack("the tap positions")
        return found
    taps = tuple(sorted({int(x) for x in re.findall(r"\d+", m.group(1))}))
    found.put("taps", taps, m.group(0))
    _maximal(found, text, taps, found.values.get("width"))
    for sentence in re.split(r"(?<=[.;])\s+", text):
        if re.search(r"\breset", sentence, re.I):
            v = re.search(
                r"\bto\s+(?:the\s+value\s+)?(0x[0-9a-fA-F]+|\d+'[bdhBDH][0-9a-fA-F_]+|\d+)\b", sentence
            )
            if v:
                found.put("reset_value", number(v.group(1)), v.group(0))
                return found
    found.lack("the value the LFSR resets to")
    return found


def _maximal(found: Found, text: str, taps: tuple[int, ...], width: int | None) -> None:
    """A 'maximal-length' claim is checked by stepping the register (up to 20 bits)."""
    claims = [m.group(0) for m in re.finditer(r"maxim(?:al|um)[\s-]*length|2\*\*n\s*-\s*1", text, re.I)]
    if not claims:
        return
    words = " | ".join(dict.fromkeys(claims))
    if width is None or width > 20 or max(taps) != width:
        found.note("maximal length", "as stated (not checked)", words)
        return
    mask, state, period = sum(1 << (t - 1) for t in taps), 1, 0
    while True:
        state = (state >> 1) ^ (mask if state & 1 else 0)
        period += 1
        if state == 1 or period > 1 << width:
            break
    if period != (1 << width) - 1:
        found.lack(f"taps that give a maximal-length sequence (taps {taps} give period {period})")
    else:
        found.note("maximal length", f"checked: period {period}", words)


LFSR_TAPS = Generator(
    name="lfsr_taps",
    summary="Galois LFSR shifting right with the taps and reset value the text states",
    params=LfsrTapsParams,
    keywords=(
        r"\bgalois\b",
        r"\btaps?\s+at\b",
        r"linear[\s-]+feedback[\s-]+shift[\s-]+register",
        r"\blfsr\b",
    ),
    extract=_lfsr_extract,
    ports=_lfsr_ports,
    rtl=_lfsr_rtl,
    model=_lfsr_model,
    aliases={"q": ("q", "out", "lfsr", "state", "dout")},
    width_params={"q": ("width", lambda w: w)},
    required=("taps", "reset_value"),
)
