"""Ring and Johnson (twisted-ring) counters: a circulating shift register of n bits.

The kind (ring or Johnson), the shift direction and the value after reset decide behaviour and
are read from the text; a ring counter's reset value defaults to nothing (a ring of zeros never
moves), so it must be stated, while a Johnson counter's conventional reset is all zeros only when
the text says so.
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
    out,
    read_reset,
    read_width,
    reset_active,
)
from agents.hw.generators.dff import number
from agents.hw.interface import Port
from tools.errors import UsageError


class RingParams(SeqParams):
    width: int = Field(4, ge=2, le=64, description="Register width n.")
    kind: Literal["ring", "johnson"] | None = Field(
        None, description="Ring or Johnson (twisted ring); stated."
    )
    direction: Literal["left", "right"] | None = Field(
        None, description="'left': bits move toward the MSB; 'right': toward the LSB; stated."
    )
    reset_value: int | None = Field(None, ge=0, description="Value after reset; stated.")

    @model_validator(mode="after")
    def _stated(self) -> RingParams:
        if self.kind is None or self.direction is None or self.reset_value is None:
            raise ValueError("the counter's kind, shift direction and reset value must all be stated")
        return self


def _ports(p: RingParams) -> list[Port]:
    return [*clock_ports(p), out("q", p.width)]


def _rtl(p: RingParams, module: str) -> str:
    w = p.width
    if (p.reset_value or 0) >> w:
        raise UsageError(f"ring: reset value {p.reset_value} does not fit {w} bits")
    if p.direction == "left":
        feed = f"~q[{w - 1}]" if p.kind == "johnson" else f"q[{w - 1}]"
        nxt = f"{{q[{w - 2}:0], {feed}}}"
    else:
        feed = "~q[0]" if p.kind == "johnson" else "q[0]"
        nxt = f"{{{feed}, q[{w - 1}:1]}}"
    return f"""module {module} (
    {decls(_ports(p), ("q",))}
);
    {always_ff(p)} begin
        if ({reset_active(p)}) q <= {w}'d{p.reset_value};
        else q <= {nxt};
    end
endmodule
"""


def _model(p: RingParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.bits = [{p.reset_value} >> k & 1 for k in range({p.width})]  # bits[0] is the LSB

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"q": sum(b << k for k, b in enumerate(self.bits))}}

    def clock(self, ins: dict[str, int]) -> None:
        twist = {p.kind == "johnson"}
        if {p.direction == "left"}:
            leaving = self.bits[-1]
            self.bits = [1 - leaving if twist else leaving] + self.bits[:-1]
        else:
            leaving = self.bits[0]
            self.bits = self.bits[1:] + [1 - leaving if twist else leaving]
"""
    )


def _extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_width(found, text)
    johnson = found.search("kind", text, r"\bjohnson\b|\btwisted[\s-]+ring\b|\bm(?:oe|ö)bius\b", "johnson")
    if johnson is None and found.search("kind", text, r"\bring\s+counter\b", "ring") is None:
        found.lack("whether it is a ring or a Johnson counter")
    left = re.search(
        r"\bshift\w*\s+(?:\w+\s+)?left\b|\bleft[\s-]+shift|\btoward(?:s)?\s+the\s+msb\b", text, re.I
    )
    right = re.search(
        r"\bshift\w*\s+(?:\w+\s+)?right\b|\bright[\s-]+shift|\btoward(?:s)?\s+the\s+lsb\b", text, re.I
    )
    if bool(left) == bool(right):
        found.lack("the shift direction (left or right)")
    else:
        hit = left or right
        assert hit is not None
        found.put("direction", "left" if left else "right", hit.group(0))
    for sentence in re.split(r"(?<=[.;])\s+", text):
        if re.search(r"\breset|\binitial", sentence, re.I):
            v = re.search(
                r"\b(?:to|at|=|is|loads?|becomes)\s+(?:the\s+value\s+)?(zero|0x[0-9a-fA-F]+|\d+'[bdhBDH][0-9a-fA-F_]+|\d+)\b",
                sentence,
                re.I,
            )
            if v:
                found.put("reset_value", number(v.group(1)), v.group(0))
                break
    else:
        found.lack("the value after reset (e.g. 'resets to 4'b0001')")
    return found


RING_COUNTER = Generator(
    name="ring_counter",
    summary="Ring or Johnson counter: n-bit circulating shift register (kind, direction, reset value stated)",
    params=RingParams,
    keywords=(r"\bring\s+counter\b", r"\bjohnson\s+counter\b", r"\btwisted[\s-]+ring\b"),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    aliases={"q": ("q", "out", "count", "state", "y")},
    width_params={"q": ("width", lambda w: w)},
    required=("kind", "direction", "reset_value"),
)
