"""Clocked generators: counters, shift registers, LFSRs, edge detectors, clock dividers, PWM."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import (
    SEQ_HEAD,
    Generator,
    SeqParams,
    always_ff,
    clock_ports,
    clog2,
    decls,
    find_int,
    find_reset,
    find_width,
    has,
    inp,
    out,
    reset_active,
)
from agents.hw.interface import Port

_EN = ("en", "enable", "ena", "ce", "cen", "inc")
_Q = ("q", "count", "out", "cnt", "value", "y", "dout", "data_out")


def _ident(w: int) -> int:
    return w


# ---- counter -----------------------------------------------------------------------------------


class CounterParams(SeqParams):
    width: int = Field(4, ge=1, le=64, description="Counter width.")
    direction: Literal["up", "down", "updown"] = Field(
        "up", description="Count direction; 'updown' adds an 'up' input."
    )
    lo: int = Field(0, ge=0, description="Lowest value; counting up from hi wraps to lo.")
    hi: int | None = Field(
        None, ge=0, description="Highest value (default 2**width-1); modulo m means hi=m-1."
    )
    enable: bool = Field(False, description="Has an 'en' input; the counter holds while en is 0.")
    load: bool = Field(False, description="Has 'load' and 'd' inputs; load has priority over counting.")

    @model_validator(mode="after")
    def _range(self) -> CounterParams:
        top = self.top
        if top >= 1 << self.width or self.lo > top:
            raise ValueError(f"need lo <= hi < 2**width, got lo={self.lo} hi={top} width={self.width}")
        return self

    @property
    def top(self) -> int:
        """The highest value."""
        return self.hi if self.hi is not None else (1 << self.width) - 1

    @property
    def start(self) -> int:
        """The value after reset."""
        return self.top if self.direction == "down" else self.lo


def _counter_extract(text: str) -> dict[str, Any]:
    found: dict[str, Any] = find_reset(text)
    if has(text, r"up[\s/-]*(and[\s-]*)?down|bidirectional"):
        found["direction"] = "updown"
    elif has(text, r"\b(down|decrement(ing|s)?|count(s|ing)? down)\b"):
        found["direction"] = "down"
    m = re.search(
        r"\bfrom\s+(\d+)\s+(?:up\s+)?(?:to|through|-)\s+(\d+)|\b(?:counts?|counting)\s+(\d+)\s*(?:to|through|-)\s*(\d+)",
        text,
        re.I,
    )
    if m:
        a, b = [int(x) for x in m.groups() if x is not None]
        found["lo"], found["hi"] = min(a, b), max(a, b)
    mod = find_int(text, (r"\bmod(?:ulo)?[\s-]*(\d+)", r"\bdivide[\s-]*by[\s-]*(\d+)"))
    if mod is None and has(text, r"\bdecade\b|\bbcd\b"):
        mod = 10
    if mod and "hi" not in found:
        found["hi"] = mod - 1
    if has(text, r"\benable\b|\ben\b"):
        found["enable"] = True
    if has(text, r"\bload\b|\bpreset\b|\bparallel[\s-]*load"):
        found["load"] = True
    w = find_width(text)
    if w:
        found["width"] = w
    elif "hi" in found:
        found["width"] = max(1, int(found["hi"]).bit_length())
    return found


def _counter_ports(p: CounterParams) -> list[Port]:
    ports = clock_ports(p) + ([inp("en")] if p.enable else [])
    ports += [inp("load"), inp("d", p.width)] if p.load else []
    ports += [inp("up")] if p.direction == "updown" else []
    return [*ports, out("q", p.width)]


def _counter_rtl(p: CounterParams, module: str) -> str:
    w = p.width
    up_step = f"(q == {w}'d{p.top}) ? {w}'d{p.lo} : q + {w}'d1"
    down_step = f"(q == {w}'d{p.lo}) ? {w}'d{p.top} : q - {w}'d1"
    step = {"up": up_step, "down": down_step, "updown": f"up ? ({up_step}) : ({down_step})"}[p.direction]
    lines = [f"if ({reset_active(p)}) q <= {w}'d{p.start};"]
    if p.load:
        lines.append("else if (load) q <= d;")
    lines.append(f"else if ({'en' if p.enable else '1' + chr(39) + 'b1'}) q <= {step};")
    body = "\n        ".join(lines)
    return f"""module {module} (
    {decls(_counter_ports(p), ("q",))}
);
    {always_ff(p)} begin
        {body}
    end
endmodule
"""


def _counter_model(p: CounterParams) -> str:
    span = p.top - p.lo + 1
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.value = {p.start}

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"q": self.value}}

    def clock(self, ins: dict[str, int]) -> None:
        if {p.load} and ins.get("load"):
            self.value = ins["d"]
            return
        if {p.enable} and not ins.get("en"):
            return
        going_up = {p.direction == "up"} or ({p.direction == "updown"} and ins.get("up") == 1)
        if {p.lo} <= self.value <= {p.top}:
            offset = self.value - {p.lo} + (1 if going_up else -1)
            self.value = {p.lo} + offset % {span}
        else:
            self.value = (self.value + (1 if going_up else -1)) % {1 << p.width}
"""
    )


COUNTER = Generator(
    name="counter",
    summary="Counter: up/down/updown, range lo..hi or modulo, optional enable and load (width, direction, lo, hi, enable, load, reset)",
    params=CounterParams,
    keywords=(r"\bcount(er|s|ing)?\b", r"\bdecade\b", r"\bincrement", r"\btimer\b"),
    extract=_counter_extract,
    ports=_counter_ports,
    rtl=_counter_rtl,
    model=_counter_model,
    aliases={
        "en": _EN,
        "load": ("load", "ld", "set"),
        "d": ("d", "din", "data", "data_in", "load_value"),
        "up": ("up", "dir", "up_down", "updown"),
        "q": _Q,
    },
    flags={"en": "enable", "load": "load"},
    width_params={"q": ("width", _ident)},
)
