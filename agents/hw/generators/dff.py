"""D flip-flops: a register of 1..256 bits on the rising or falling clock edge, with an optional
reset (kind, polarity and value read from the text or the port's name, never assumed) and an
optional enable.

The reset here is an ordinary input of the model (this generator is not a ``SeqParams`` one), so
a register without any reset is buildable too. A text that also describes other logic (gates,
counting, shifting, byte enables, latches) is not a plain register: refused.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import SEQ_HEAD, Found, Generator, Params, decls, inp, out, read_width
from agents.hw.interface import Port


class DffParams(Params):
    width: int = Field(1, ge=1, le=256, description="Bits stored.")
    clock_edge: Literal["rising", "falling"] = Field("rising", description="Clock edge that stores d.")
    reset_said: bool | None = Field(
        None, description="The text describes a reset (None: the text was not read as a register)."
    )
    has_rst: bool = Field(False, description="Has an active-high reset input 'rst'.")
    has_rst_n: bool = Field(False, description="Has an active-low reset input 'rst_n'.")
    reset_low: bool = Field(False, description="The reset is asserted at 0.")
    reset_async: bool | None = Field(None, description="Asynchronous reset (else synchronous); stated.")
    reset_value: int | None = Field(None, ge=0, description="Value q takes on reset; stated.")
    enable: bool = Field(False, description="Has an 'en' input; q keeps its value while en is 0.")
    power_on_said: bool = Field(
        False,
        description="Without a reset: the text says what q holds at power-up (a value or 'unspecified').",
    )
    power_on: int | None = Field(None, ge=0, description="Stated power-up value of q (None: unspecified, x).")

    @property
    def has_reset(self) -> bool:
        """True when there is a reset input (only ever one the text describes)."""
        return bool(self.reset_said) and (self.has_rst or self.has_rst_n)

    @model_validator(mode="after")
    def _stated(self) -> DffParams:
        if self.reset_said is None:
            raise ValueError("the text was not read as a plain register (see what it lacks)")
        if self.reset_said and not self.has_reset:
            raise ValueError("the text describes a reset but the ports have none")
        if self.has_reset and self.reset_async is None:
            raise ValueError("the reset is not said to be synchronous or asynchronous")
        if self.has_reset and self.reset_value is None:
            raise ValueError("the value the register resets to is not stated")
        if self.reset_value is not None and self.reset_value >> self.width:
            raise ValueError(f"reset value {self.reset_value} does not fit {self.width} bits")
        if self.reset_said is False and not self.power_on_said:
            raise ValueError("without a reset, what q holds at power-up is not stated")
        if self.power_on is not None and self.power_on >> self.width:
            raise ValueError(f"power-up value {self.power_on} does not fit {self.width} bits")
        return self


def _rst(p: DffParams) -> str:
    return "rst_n" if p.reset_low else "rst"


def _ports(p: DffParams) -> list[Port]:
    return [
        inp("clk"),
        *([inp(_rst(p))] if p.has_reset else []),
        *([inp("en")] if p.enable else []),
        inp("d", p.width),
        out("q", p.width),
    ]


def _rtl(p: DffParams, module: str) -> str:
    edge = "negedge" if p.clock_edge == "falling" else "posedge"
    sense = f"{edge} clk"
    if p.has_reset and p.reset_async:
        sense += f" or {'negedge' if p.reset_low else 'posedge'} {_rst(p)}"
    store = "if (en) q <= d;" if p.enable else "q <= d;"
    if p.has_reset:
        active = f"!{_rst(p)}" if p.reset_low else _rst(p)
        store = f"if ({active}) q <= {p.width}'d{p.reset_value};\n        else {store}"
    # a stated power-up value is an initial value; an unspecified one stays x (as in silicon)
    power_on = (
        f"    initial q = {p.width}'d{p.power_on};\n" if not p.has_reset and p.power_on is not None else ""
    )
    return f"""module {module} (
    {decls(_ports(p), ("q",))}
);
{power_on}    always @({sense}) begin
        {store}
    end
endmodule
"""


def _model(p: DffParams) -> str:
    level = 0 if p.reset_low else 1
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.q = {p.power_on or 0}  # the stated power-up value; unspecified: x in the RTL, not compared

    def _in_reset(self, ins: dict[str, int]) -> bool:
        return {p.has_reset} and ins[{_rst(p)!r}] & 1 == {level}

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        if {bool(p.reset_async)} and self._in_reset(ins):
            return {{"q": {p.reset_value or 0}}}
        return {{"q": self.q}}

    def clock(self, ins: dict[str, int]) -> None:
        if self._in_reset(ins):
            self.q = {p.reset_value or 0}
        elif {p.enable} is False or ins["en"] & 1:
            self.q = ins["d"]
"""
    )


_OTHER_LOGIC = (
    r"\b(?:and|or|not)\s+gate|\b(?:xor|nor|nand|xnor|inverter)\b|\bmux|multiplex|\bcount|\bshift|\btoggl|\bjk\b|\bt\s+flip"
    r"|\blatch|\bbyte[\s-]*enable|\bbyteena|\bdual[\s-]*edge|\bboth\s+edges|\bcircuit:"
)
_VALUE = r"\bto\s+(?:the\s+value\s+)?(zero|0x[0-9a-fA-F]+|\d+'[bdhBDH][0-9a-fA-F_]+|\d+)\b"


def reset_polarity(text: str) -> tuple[bool | None, str]:
    """(active low?, words) from a polarity said of the reset itself ('active-low reset', 'reset
    is active high', 'active high synchronous reset'); (None, '') when none is. A polarity said
    of another signal ('an active-low enable') is not the reset's."""
    near = (
        r"\bactive[\s-]*(low|high)\s+(?:[a-z]+\s+){0,2}resets?\b"
        r"|\bresets?\b(?:\s+[a-z_]+){0,3}?\s+(?:is\s+|are\s+)?active[\s-]*(low|high)\b"
    )
    m = re.search(near, text, re.I)
    if m is None:
        return None, ""
    return (m.group(1) or m.group(2)).lower() == "low", m.group(0)


def enable_active_low(text: str) -> str | None:
    """The words of an active-low enable, if the text has one."""
    m = re.search(
        r"\bactive[\s-]*low\s+(?:\w+\s+){0,2}enable\b|\benable\b(?:\s+\w+){0,3}?\s+(?:is\s+)?active[\s-]*low\b",
        text,
        re.I,
    )
    return m.group(0) if m else None


def number(raw: str) -> int:
    """A Verilog or C literal or 'zero' as an int: 0x34, 8'h34, 4'b1010, 12."""
    raw = raw.lower()
    if raw == "zero":
        return 0
    if raw.startswith("0x"):
        return int(raw, 16)
    m = re.fullmatch(r"\d+'([bdh])([0-9a-f_]+)", raw)
    if m:
        return int(m.group(2).replace("_", ""), {"b": 2, "d": 10, "h": 16}[m.group(1)])
    return int(raw)


def _extract(text: str) -> Found:
    found = Found()
    other = re.search(_OTHER_LOGIC, text, re.I) or re.search(r"\b(?:AND|OR|NOT)\b", text)
    if other:
        found.lack(f"a plain register (the text also says '{other.group(0)}')")
        return found
    count = re.search(r"\b(\d+)\s+(?:d[\s-]*)?(?:flip[\s-]*flops|dffs)\b", text, re.I)
    if count:
        found.put("width", int(count.group(1)), count.group(0))
    else:
        read_width(found, text)
    if found.search("clock_edge", text, r"\b(?:negative|falling)[\s-]*edge|\bnegedge\b", "falling") is None:
        found.search("clock_edge", text, r"\b(?:positive|rising)[\s-]*edge|\bposedge\b", "rising")
    active_low = enable_active_low(text)
    if active_low:
        found.lack(f"an active-high enable (the text says '{active_low}')")
        return found
    enable = found.search("enable", text, r"\benable\b|\bena\b|\bclock[\s-]*enable\b", True)
    if enable is None:
        found.put("enable", False)
    sentences = [s for s in re.split(r"(?<=[.;])\s+", text) if re.search(r"\breset", s, re.I)]
    if not sentences:
        found.put("reset_said", False)
        _power_on(found, text)
        return found
    found.put("reset_said", True, sentences[0][:60])
    low, said = reset_polarity(text)
    if low is not None:
        found.put("reset_low", low, said)
    found.put("has_rst_n" if low else "has_rst", True, "reset")
    if found.search("reset_async", text, r"\basynchronous(?:ly)?\b|\basync\b", True) is None:
        found.search("reset_async", text, r"\bsynchronous(?:ly)?\b|\bsync\b", False)
    for s in sentences:
        m = re.search(_VALUE, s, re.I)
        if m:
            found.put("reset_value", number(m.group(1)), m.group(0))
            break
    else:
        found.lack("the value the register resets to (e.g. 'reset to 0')")
    return found


_NUM = r"(zero|0x[0-9a-fA-F]+|\d+'[bdhBDH][0-9a-fA-F_]+|\d+)"
_POWER_ON_VALUE = (
    r"(?:\bpowers?[\s-]*(?:on|up)|\binitial(?:ly|ized|ised)?|\bstarts?|\bat\s+start[\s-]*up)\b[^.;]{0,40}?"
    r"(?:\b(?:to|at|as|from|is|of|with)\s+|=\s*)?(?:the\s+value\s+)?\b" + _NUM + r"\b"
)
_POWER_ON_UNSPECIFIED = (
    r"\b(?:power[\s-]*(?:on|up)|initial)\s+(?:value|state)\s+(?:is\s+)?(?:unspecified|unknown|undefined|x"
    r"|don'?t[\s-]*care)\b|\bno\s+(?:initial|power[\s-]*(?:on|up))\s+(?:value|state)\b"
    r"|\b(?:unknown|undefined|unspecified)\s+(?:at|after|on)\s+power[\s-]*(?:on|up)\b"
)


def _power_on(found: Found, text: str) -> None:
    """Without a reset, what q holds at power-up is behaviour: read it ('starts at 0', 'the power-on
    value is unspecified') or say it is missing; never assumed (a benchmark's 0 and silicon's x differ)."""
    if found.search("power_on_said", text, _POWER_ON_UNSPECIFIED, True) is not None:
        return
    m = re.search(_POWER_ON_VALUE, text, re.I)
    if m:
        found.put("power_on_said", True, m.group(0))
        found.put("power_on", number(m.group(1)), m.group(0))
        return
    found.lack(
        "what q holds at power-up, before the first clock edge (no reset is described): say e.g. "
        "'q starts at 0', 'the power-on value is unspecified', or describe a reset"
    )


DFF = Generator(
    name="dff",
    summary="D flip-flops: an n-bit register, rising or falling edge, optional stated reset and enable",
    params=DffParams,
    keywords=(
        r"\bd[\s-]*flip[\s-]*flops?\b",
        r"\bdffs?\b",
        r"\bflip[\s-]*flops?\b",
        r"\b\d+[\s-]*bit\s+register\b",
    ),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    aliases={
        "d": ("d", "din", "data", "data_in", "in"),
        "q": ("q", "dout", "data_out", "out"),
        "rst": ("r", "ar", "rst", "reset", "areset", "arst", "clr", "clear"),
        "rst_n": ("rst_n", "resetn", "reset_n", "rstn", "aresetn", "arst_n", "nreset"),
        "en": ("en", "ena", "enable", "ce", "clken"),
    },
    flags={"rst": "has_rst", "rst_n": "has_rst_n", "en": "enable"},
    positional=("d", "q"),
    width_params={"q": ("width", lambda w: w)},
)
