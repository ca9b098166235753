"""Parallel-in serial-out shift register: ``load`` copies ``d`` into the register, otherwise it
shifts one place per clock (while ``en`` is high, when there is an enable) and ``sout`` shows the
bit at the leaving end.

Which end leaves first (MSB or LSB first) and what enters at the other end (a serial input, or
zeros) decide behaviour and must be stated; the register clears to 0 on reset.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import (
    SEQ_HEAD,
    Found,
    Generator,
    SeqParams,
    always_ff,
    clock_ports,
    decls,
    inp,
    out,
    read_reset,
    read_width,
    reset_active,
)
from agents.hw.interface import Port


class PisoParams(SeqParams):
    width: int = Field(8, ge=2, le=256, description="Register width.")
    first: Literal["msb", "lsb"] | None = Field(None, description="Which end is shifted out first; stated.")
    fill: Literal["sin", "zero"] | None = Field(
        None, description="What enters: the 'sin' input or 0; stated."
    )
    enable: bool = Field(
        False, description="Has an 'en' input; shifts only while en is 1 (load works always)."
    )

    @model_validator(mode="after")
    def _stated(self) -> PisoParams:
        if self.first is None or self.fill is None:
            raise ValueError("the bit order (MSB or LSB first) and what shifts in must both be stated")
        return self


def _ports(p: PisoParams) -> list[Port]:
    return [
        *clock_ports(p),
        inp("load"),
        *([inp("en")] if p.enable else []),
        *([inp("sin")] if p.fill == "sin" else []),
        inp("d", p.width),
        out("sout"),
    ]


def _rtl(p: PisoParams, module: str) -> str:
    w = p.width
    fill = "sin" if p.fill == "sin" else "1'b0"
    shifted = f"{{q[{w - 2}:0], {fill}}}" if p.first == "msb" else f"{{{fill}, q[{w - 1}:1]}}"
    step = f"else if (en) q <= {shifted};" if p.enable else f"else q <= {shifted};"
    return f"""module {module} (
    {decls(_ports(p))}
);
    reg [{w - 1}:0] q;
    {always_ff(p)} begin
        if ({reset_active(p)}) q <= {w}'d0;
        else if (load) q <= d;
        {step}
    end
    assign sout = q[{w - 1 if p.first == "msb" else 0}];
endmodule
"""


def _model(p: PisoParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.bits = [0] * {p.width}  # bits[0] is the LSB

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"sout": self.bits[-1] if {p.first == "msb"} else self.bits[0]}}

    def clock(self, ins: dict[str, int]) -> None:
        if ins["load"] & 1:
            self.bits = [ins["d"] >> k & 1 for k in range({p.width})]
        elif {not p.enable} or ins["en"] & 1:
            entering = ins["sin"] & 1 if {p.fill == "sin"} else 0
            if {p.first == "msb"}:
                self.bits = [entering] + self.bits[:-1]
            else:
                self.bits = self.bits[1:] + [entering]
"""
    )


def _extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_width(found, text)
    msb = re.search(r"\b(?:msb|most[\s-]+significant\s+bit)[\s-]+first\b", text, re.I)
    lsb = re.search(r"\b(?:lsb|least[\s-]+significant\s+bit)[\s-]+first\b", text, re.I)
    if bool(msb) == bool(lsb):
        found.lack("the bit order ('MSB first' or 'LSB first')")
    else:
        hit = msb or lsb
        assert hit is not None
        found.put("first", "msb" if msb else "lsb", hit.group(0))
    sin = re.search(r"\bserial\s+(?:data\s+)?input\b|\bsin\b", text, re.I)
    zero = re.search(
        r"\b(?:shift(?:s|ing)?|fill\w*)\s+(?:in\s+)?(?:with\s+)?(?:0s|0's|zeros?|zeroes)\b", text, re.I
    )
    if bool(sin) == bool(zero):
        found.lack("what shifts in at the other end (a serial input, or zeros)")
    else:
        hit = sin or zero
        assert hit is not None
        found.put("fill", "sin" if sin else "zero", hit.group(0))
    if found.search("enable", text, r"\benable\b|\ben\b", True) is None:
        found.put("enable", False)
    return found


PISO = Generator(
    name="piso",
    summary="Parallel-in serial-out shift register: load d, shift out MSB or LSB first (order and fill stated)",
    params=PisoParams,
    keywords=(
        r"\bparallel[\s-]+in,?\s+serial[\s-]+out(?:\s+shift[\s-]+register)?\b",
        r"\bpiso\b",
        r"\bparallel[\s-]+to[\s-]+serial\b",
        r"\bserializer\b",
    ),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    aliases={
        "load": ("load", "ld", "we"),
        "en": ("en", "ena", "enable", "shift", "shift_en"),
        "sin": ("sin", "serial_in", "si", "din_serial"),
        "d": ("d", "din", "data", "data_in", "pin", "parallel_in", "in"),
        "sout": ("sout", "serial_out", "so", "dout", "out", "q", "y"),
    },
    flags={"en": "enable"},
    width_params={"d": ("width", lambda w: w)},
    required=("first", "fill"),
)
