"""Counting generators: counters, clock dividers, PWM."""

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
    clog2,
    decls,
    inp,
    out,
    read_int,
    read_reset,
    read_width,
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
    code: Literal["binary", "gray"] = Field(
        "binary",
        description="Output code: the count itself, or its reflected Gray code (count ^ count >> 1).",
    )

    @model_validator(mode="after")
    def _range(self) -> CounterParams:
        top = self.top
        if top >= 1 << self.width or self.lo > top:
            raise ValueError(f"need lo <= hi < 2**width, got lo={self.lo} hi={top} width={self.width}")
        if self.code == "gray" and (self.lo != 0 or top != (1 << self.width) - 1 or self.load):
            raise ValueError("a Gray-code counter runs over the full 2**width range, without a load")
        return self

    @property
    def top(self) -> int:
        """The highest value."""
        return self.hi if self.hi is not None else (1 << self.width) - 1

    @property
    def start(self) -> int:
        """The value after reset."""
        return self.top if self.direction == "down" else self.lo


def _counter_extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    if (
        found.search("direction", text, r"up[\s/-]*(and[\s-]*)?down|bidirectional", "updown") is None
        and found.search("direction", text, r"\b(down|decrement(ing|s)?|count(s|ing)? down)\b", "down")
        is None
    ):
        found.search("direction", text, r"\b(up|increment(ing|s)?|count(s|ing)? up)\b", "up")
    m = re.search(
        r"\bfrom\s+(\d+)\s+(?:up\s+)?(?:to|through|-)\s+(\d+)|\b(?:counts?|counting)\s+(\d+)\s*(?:to|through|-)\s*(\d+)",
        text,
        re.I,
    )
    if m:
        a, b = [int(x) for x in m.groups() if x is not None]
        found.put("lo", min(a, b), m.group(0))
        found.put("hi", max(a, b), m.group(0))
    mod = Found()
    if read_int(mod, "hi", text, (r"\bmod(?:ulo)?[\s-]*(\d+)", r"\bdivide[\s-]*by[\s-]*(\d+)")) is None:
        mod.search("hi", text, r"\bdecade\b|\bbcd\b", 10)
    if "hi" in mod and "hi" not in found:
        found.put("hi", mod.values["hi"] - 1, mod.words["hi"])
    found.search("enable", text, r"\benable\b|\ben\b", True)
    found.search("load", text, r"\bload\b|\bpreset\b|\bparallel[\s-]*load", True)
    found.search("code", text, r"\bgray(?:[\s-]*code)?\b", "gray")
    if read_width(found, text) is None and "hi" in found:
        found.put("width", max(1, int(found.values["hi"]).bit_length()), found.words["hi"])
    _counter_facts(found, text)
    return found


def _counter_facts(found: Found, text: str) -> None:
    """A stated period or reset value must agree with the range read (else the designer refuses)."""
    lo = int(found.values.get("lo", 0))
    width = found.values.get("width")
    hi = found.values.get("hi", (1 << int(width)) - 1 if width else None)
    period = re.search(r"\bperiod\s+(?:of\s+|is\s+)?(\d+)", text, re.I)
    if period and hi is not None:
        if int(period.group(1)) == int(hi) - lo + 1:
            found.note("period", int(period.group(1)), period.group(0))
        else:
            found.lack(
                f"a period that fits the range: '{period.group(0)}', but {lo}..{hi} has {int(hi) - lo + 1} values"
            )
    reset_to = re.search(
        r"\breset\w*\s+(?:the\s+)?(?:counter|count|output|value|q)?\s*(?:back\s+)?to\s+(\d+)", text, re.I
    )
    if reset_to:
        start = hi if found.values.get("direction") == "down" else lo
        if start is not None and int(reset_to.group(1)) == int(start):
            found.note("reset_value", int(start), reset_to.group(0))
        else:
            found.lack(f"a reset value the counter has: '{reset_to.group(0)}', but it starts at {start}")


def _counter_ports(p: CounterParams) -> list[Port]:
    ports = clock_ports(p) + ([inp("en")] if p.enable else [])
    ports += [inp("load"), inp("d", p.width)] if p.load else []
    ports += [inp("up")] if p.direction == "updown" else []
    return [*ports, out("q", p.width)]


def _counter_rtl(p: CounterParams, module: str) -> str:
    w = p.width
    r = "q" if p.code == "binary" else "count"  # a Gray counter counts in binary and encodes its output
    up_step = f"({r} == {w}'d{p.top}) ? {w}'d{p.lo} : {r} + {w}'d1"
    down_step = f"({r} == {w}'d{p.lo}) ? {w}'d{p.top} : {r} - {w}'d1"
    step = {"up": up_step, "down": down_step, "updown": f"up ? ({up_step}) : ({down_step})"}[p.direction]
    lines = [f"if ({reset_active(p)}) {r} <= {w}'d{p.start};"]
    if p.load:
        lines.append(f"else if (load) {r} <= d;")
    lines.append(f"else if ({'en' if p.enable else '1' + chr(39) + 'b1'}) {r} <= {step};")
    body = "\n        ".join(lines)
    if p.code == "binary":
        return f"""module {module} (
    {decls(_counter_ports(p), ("q",))}
);
    {always_ff(p)} begin
        {body}
    end
endmodule
"""
    return f"""module {module} (
    {decls(_counter_ports(p))}
);
    reg [{w - 1}:0] count;
    assign q = count ^ (count >> 1);
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
        if {p.code == "gray"}:
            return {{"q": self.value ^ (self.value >> 1)}}
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
    summary="Counter: up/down/updown, range lo..hi or modulo, optional enable and load, binary or Gray output (width, direction, lo, hi, enable, load, code, reset)",
    params=CounterParams,
    keywords=(r"\bcount(er|s|ing)?\b", r"\bdecade\b", r"\bincrement", r"\btimer\b"),
    extract=_counter_extract,
    required=("width",),
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


# ---- clock divider -----------------------------------------------------------------------------


class ClockDividerParams(SeqParams):
    divisor: int = Field(4, ge=2, le=1 << 20, description="Output period in input clock cycles.")


def _cd_extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_int(
        found,
        "divisor",
        text,
        (r"divide[\s-]*by[\s-]*(\d+)", r"\bdivisor\s*(?:of|=|:)?\s*(\d+)", r"\bby\s+(\d+)\b", r"/\s*(\d+)\b"),
    )
    return found


def _cd_ports(p: ClockDividerParams) -> list[Port]:
    return [*clock_ports(p), out("clk_out")]


def _cd_rtl(p: ClockDividerParams, module: str) -> str:
    bits = clog2(p.divisor)
    return f"""module {module} (
    {decls(_cd_ports(p))}
);
    // high for the first {p.divisor // 2} of every {p.divisor} cycles
    reg [{bits - 1}:0] cnt;
    {always_ff(p)} begin
        if ({reset_active(p)}) cnt <= 0;
        else if (cnt == {bits}'d{p.divisor - 1}) cnt <= 0;
        else cnt <= cnt + 1'b1;
    end
    assign clk_out = (cnt < {bits}'d{p.divisor // 2});
endmodule
"""


def _cd_model(p: ClockDividerParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.phase = 0

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"clk_out": int(self.phase in range({p.divisor // 2}))}}

    def clock(self, ins: dict[str, int]) -> None:
        self.phase = (self.phase + 1) % {p.divisor}
"""
    )


CLOCK_DIVIDER = Generator(
    name="clock_divider",
    summary="Clock divider: output period of N input cycles, high for the first N//2 (divisor)",
    params=ClockDividerParams,
    keywords=(
        r"clock[\s-]*divid(er|e)",
        r"divide[\s-]*(the\s+)?clock",
        r"frequency divider",
        r"\bclk[\s_-]*div",
    ),
    extract=_cd_extract,
    required=("divisor",),
    ports=_cd_ports,
    rtl=_cd_rtl,
    model=_cd_model,
    aliases={"clk_out": ("clk_out", "clk_div", "out", "q", "div_clk", "slow_clk", "clkout")},
)


# ---- PWM ---------------------------------------------------------------------------------------


class PwmParams(SeqParams):
    width: int = Field(8, ge=1, le=32, description="Counter and duty width; the period is 2**width cycles.")


def _pwm_extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_width(found, text)
    return found


def _pwm_ports(p: PwmParams) -> list[Port]:
    return [*clock_ports(p), inp("duty", p.width), out("pwm_out")]


def _pwm_rtl(p: PwmParams, module: str) -> str:
    return f"""module {module} (
    {decls(_pwm_ports(p))}
);
    // free-running counter; the output is high while the counter is below duty
    reg [{p.width - 1}:0] cnt;
    {always_ff(p)} begin
        if ({reset_active(p)}) cnt <= 0;
        else cnt <= cnt + 1'b1;
    end
    assign pwm_out = (cnt < duty);
endmodule
"""


def _pwm_model(p: PwmParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.tick = 0

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"pwm_out": 1 if self.tick < ins["duty"] else 0}}

    def clock(self, ins: dict[str, int]) -> None:
        self.tick = (self.tick + 1) % {1 << p.width}
"""
    )


PWM = Generator(
    name="pwm",
    summary="PWM generator: period 2**width cycles, high while the counter is below duty (width)",
    params=PwmParams,
    keywords=(r"\bpwm\b", r"pulse[\s-]*width", r"duty[\s-]*cycle"),
    extract=_pwm_extract,
    required=("width",),
    ports=_pwm_ports,
    rtl=_pwm_rtl,
    model=_pwm_model,
    aliases={
        "duty": ("duty", "duty_cycle", "compare", "level", "d"),
        "pwm_out": ("pwm_out", "pwm", "out", "q", "y"),
    },
    width_params={"duty": ("width", _ident)},
)
