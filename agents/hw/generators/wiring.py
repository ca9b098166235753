"""Rewiring one vector: bit reversal, byte-order reversal (endianness swap), sign extension and
zero extension. The operation must be named in the text; widths come from the text or the header
(an extension needs the output wider than the input, a byte swap a whole number of bytes).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import COMB_HEAD, Found, Generator, Params, decls, inp, out, read_width
from agents.hw.interface import Port
from tools.errors import UsageError

Op = Literal["reverse_bits", "reverse_bytes", "sign_extend", "zero_extend"]


class WiringParams(Params):
    op: Op | None = Field(
        None, description="reverse_bits, reverse_bytes, sign_extend or zero_extend; stated."
    )
    width: int = Field(0, ge=0, le=4096, description="Input bits (0: not stated).")
    out_width: int = Field(0, ge=0, le=4096, description="Output bits (0: the input's width).")

    @model_validator(mode="after")
    def _stated(self) -> WiringParams:
        if self.op is None:
            raise ValueError("the operation (reverse bits or bytes, sign or zero extension) is not stated")
        return self


def _out_width(p: WiringParams) -> int:
    return p.out_width or p.width


def _ports(p: WiringParams) -> list[Port]:
    return [inp("in", max(p.width, 1)), out("out", max(_out_width(p), 1))]


def _rtl(p: WiringParams, module: str) -> str:
    w, o = p.width, _out_width(p)
    if not w:
        raise UsageError("wiring: the input width is not stated in the text or a header")
    extend = p.op in ("sign_extend", "zero_extend")
    if (extend and o <= w) or (not extend and o != w):
        raise UsageError(f"wiring: {p.op} cannot map {w} bits to {o}")
    if p.op == "reverse_bytes" and w % 8:
        raise UsageError(f"wiring: a byte swap needs whole bytes, not {w} bits")
    if p.op == "reverse_bits":
        expr = "{" + ", ".join(f"in[{k}]" for k in range(w)) + "}"
    elif p.op == "reverse_bytes":
        expr = "{" + ", ".join(f"in[{8 * k + 7}:{8 * k}]" for k in range(w // 8)) + "}"
    elif p.op == "sign_extend":
        expr = f"{{{{{o - w}{{in[{w - 1}]}}}}, in}}"
    else:
        expr = f"{{{o - w}'d0, in}}"
    return f"module {module} (\n    {decls(_ports(p))}\n);\n    assign out = {expr};\nendmodule\n"


def _model(p: WiringParams) -> str:
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        op, w, o, x = {p.op!r}, {p.width}, {_out_width(p)}, ins["in"]
        bits = format(x, f"0{{w}}b")  # most significant first
        if op == "reverse_bits":
            return {{"out": int(bits[::-1], 2)}}
        if op == "reverse_bytes":
            chunks = [bits[k : k + 8] for k in range(0, w, 8)]
            return {{"out": int("".join(reversed(chunks)), 2)}}
        fill = bits[0] if op == "sign_extend" else "0"
        return {{"out": int(fill * (o - w) + bits, 2)}}
"""
    )


_OPS = (
    (
        "reverse_bytes",
        r"\breverse\w*\s+(?:the\s+)?byte[\s-]*order|\bbyte[\s-]*(?:swap|revers)\w*|\bendian\w*",
    ),
    (
        "reverse_bits",
        r"\breverse\w*\s+(?:the\s+)?(?:bit[\s-]*(?:order(?:ing)?)?|order\s+of\s+the\s+bits)|\bbit[\s-]*revers\w*",
    ),
    ("sign_extend", r"\bsign[\s-]*exten\w*"),
    ("zero_extend", r"\bzero[\s-]*exten\w*"),
)


def _extract(text: str) -> Found:
    found = Found()
    read_width(found, text)
    ops = {op: m.group(0) for op, pat in _OPS if (m := re.search(pat, text, re.I))}
    if len(ops) != 1:
        found.lack("one vector operation" + (f" (the text names {', '.join(sorted(ops))})" if ops else ""))
        return found
    ((op, words),) = ops.items()
    found.put("op", op, words)
    if op in ("sign_extend", "zero_extend"):
        targets = list(re.finditer(r"\bto\s+(\d+)[\s-]*bits?\b", text, re.I))
        if len({m.group(1) for m in targets}) == 1:  # several (examples): the header decides
            found.put("out_width", int(targets[0].group(1)), " | ".join(m.group(0) for m in targets))
    return found


WIRING = Generator(
    name="wiring",
    summary="Rewire a vector: reverse bits, reverse bytes, sign- or zero-extend (op stated; widths)",
    params=WiringParams,
    keywords=tuple(pat for _, pat in _OPS),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    aliases={"in": ("in", "a", "d", "x", "data", "din"), "out": ("out", "y", "q", "dout", "z")},
    width_params={"in": ("width", lambda w: w), "out": ("out_width", lambda w: w)},
    required=("op",),
)
