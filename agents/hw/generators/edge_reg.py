"""Registered edge detection on every bit of a vector: an output bit is set the cycle after its
input bit rose, fell or changed, and optionally captured (held at 1 until reset).

Which transition counts, and that the output follows one cycle later, must both be in the text
('changes from 0 in one clock cycle to 1 the next ... set the cycle after'). A capture needs a
stated reset; the reset clears the captured bits only (the previous-value register keeps sampling,
shown in the interpretation). Like :mod:`agents.hw.generators.dff`, the reset is an ordinary input.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import SEQ_HEAD, Found, Generator, Params, decls, inp, out, read_width
from agents.hw.generators.dff import reset_polarity
from agents.hw.interface import Port


class EdgeRegParams(Params):
    width: int = Field(1, ge=1, le=1024, description="Bits watched in parallel.")
    kind: Literal["rising", "falling", "any"] | None = Field(
        None, description="Transition that sets a bit; stated."
    )
    capture: bool = Field(False, description="A set bit stays 1 until reset.")
    clock_edge: Literal["rising", "falling"] = Field("rising", description="Clock edge that samples.")
    reset_said: bool = Field(False, description="The text describes a reset.")
    has_rst: bool = Field(False, description="Has an active-high reset input 'rst'.")
    has_rst_n: bool = Field(False, description="Has an active-low reset input 'rst_n'.")
    reset_low: bool = Field(False, description="The reset is asserted at 0.")
    reset_async: bool | None = Field(None, description="Asynchronous reset; stated when there is a reset.")

    @property
    def has_reset(self) -> bool:
        """True when there is a reset input (only one the text describes)."""
        return self.reset_said and (self.has_rst or self.has_rst_n)

    @model_validator(mode="after")
    def _stated(self) -> EdgeRegParams:
        if self.kind is None:
            raise ValueError("which transition sets the output (0 to 1, 1 to 0, any) is not stated")
        if self.reset_said and not self.has_reset:
            raise ValueError("the text describes a reset but the ports have none")
        if self.capture and not self.reset_said:
            raise ValueError("a captured bit is held until reset, but no reset is described")
        if self.has_reset and self.reset_async is None:
            raise ValueError("the reset is not said to be synchronous or asynchronous")
        return self


def _rst(p: EdgeRegParams) -> str:
    return "rst_n" if p.reset_low else "rst"


def _ports(p: EdgeRegParams) -> list[Port]:
    return [inp("clk"), *([inp(_rst(p))] if p.has_reset else []), inp("in", p.width), out("out", p.width)]


def _rtl(p: EdgeRegParams, module: str) -> str:
    seen = {"rising": "in & ~last", "falling": "~in & last", "any": "in ^ last"}[p.kind or "any"]
    nxt = f"out | ({seen})" if p.capture else seen
    sense = f"{'negedge' if p.clock_edge == 'falling' else 'posedge'} clk"
    update = f"out <= {nxt};"
    if p.has_reset:
        active = f"!{_rst(p)}" if p.reset_low else _rst(p)
        update = f"if ({active}) out <= {p.width}'d0;\n        else {update}"
    sense_out = sense + (
        f" or {'negedge' if p.reset_low else 'posedge'} {_rst(p)}" if p.has_reset and p.reset_async else ""
    )
    return f"""module {module} (
    {decls(_ports(p), ("out",))}
);
    reg [{p.width - 1}:0] last;
    always @({sense}) last <= in;
    always @({sense_out}) begin
        {update}
    end
endmodule
"""


def _model(p: EdgeRegParams) -> str:
    rule = {"rising": "now and not before", "falling": "before and not now", "any": "now != before"}[
        p.kind or "any"
    ]
    level = 0 if p.reset_low else 1
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.last, self.out = 0, 0

    def _in_reset(self, ins: dict[str, int]) -> bool:
        return {p.has_reset} and ins[{_rst(p)!r}] & 1 == {level}

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        if {bool(p.reset_async)} and self._in_reset(ins):
            return {{"out": 0}}
        return {{"out": self.out}}

    def clock(self, ins: dict[str, int]) -> None:
        seen = 0
        for k in range({p.width}):
            now, before = ins["in"] >> k & 1, self.last >> k & 1
            if {rule}:
                seen |= 1 << k
        self.out = 0 if self._in_reset(ins) else (self.out | seen if {p.capture} else seen)
        self.last = ins["in"]
"""
    )


_RISE = r"\b(?:from\s+)?0\b[^.]{0,30}?\bto\s+1\b|\brising\b|\bpositive\s+edge\s+detect"
_FALL = r"\b(?:from\s+)?1\b[^.]{0,30}?\bto\s+0\b|\bfalling\b|\bnegative\s+edge\s+detect"
_ANY = r"\bany\s*edge|\bboth\s+edges|\beither\s+edge|\bany\s+(?:change|transition)"
_LATER = r"(?:\bset\s+to\s+1\s+)?\bthe\s+(?:clock\s+)?cycle\s+after\b|\bthe\s+next\s+(?:clock\s+)?cycle\b|\bone\s+cycle\s+later\b"
_CAPTURE = r"\bcapture\w*\b[^.]*|\bremains?\s+(?:at\s+)?1\s+until\b[^.]*"
_SENTENCE = r"[^.]*?(?:{})[^.]*"


def _every(pattern: str, text: str) -> str:
    """Every match of ``pattern``, joined: all the words that state the same fact."""
    return " | ".join(dict.fromkeys(m.group(0) for m in re.finditer(pattern, text, re.I)))


def _extract(text: str) -> Found:
    found = Found()
    read_width(found, text)
    rise, fall, anyw = (re.search(p, text, re.I) for p in (_RISE, _FALL, _ANY))
    if anyw or (rise and fall):
        found.put(
            "kind",
            "any",
            " | ".join(_every(p, text) for p in (_ANY, _RISE, _FALL) if re.search(p, text, re.I)),
        )
    elif rise or fall:
        found.put("kind", "rising" if rise else "falling", _every(_RISE if rise else _FALL, text))
    else:
        found.lack("which transition sets the output (0 to 1, 1 to 0, or any)")
    capture = re.search(_CAPTURE, text, re.I)
    later = re.search(_LATER, text, re.I)
    if capture:
        found.put("capture", True, _every(_SENTENCE.format(_CAPTURE), text))
    elif later:
        found.note("timing", "the cycle after the transition", _every(_SENTENCE.format(_LATER), text))
    else:
        found.lack("when the output is set (e.g. 'the cycle after the transition')")
    reset = re.search(r"\breset\b", text, re.I)
    found.put("reset_said", bool(reset), reset.group(0) if reset else "")
    if reset:
        low, said = reset_polarity(text)
        if low is not None:
            found.put("reset_low", low, said)
        found.put("has_rst_n" if low else "has_rst", True, "reset")
        if found.search("reset_async", text, r"\basynchronous(?:ly)?\b", True) is None:
            found.search("reset_async", text, r"\bsynchronous(?:ly)?\b", False)
        if capture:
            found.note("reset clears", "the captured bits only", "")
    return found


EDGE_REGISTER = Generator(
    name="edge_register",
    summary="Registered per-bit edge detector: bit set the cycle after a rise/fall/change; optional capture",
    params=EdgeRegParams,
    keywords=(_LATER, r"\bcapture\b", r"\bedge[\s-]*detect", r"\bany\s*edge\b", r"\b0\s+to\s+1\s+transition"),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    aliases={
        "in": ("in", "d", "x", "sig", "signal", "din"),
        "out": ("out", "q", "y", "pedge", "nedge", "anyedge", "edge", "edges", "captured"),
        "rst": ("rst", "reset", "r", "clr", "areset", "ar"),
        "rst_n": ("rst_n", "resetn", "reset_n", "rstn", "aresetn"),
    },
    flags={"rst": "has_rst", "rst_n": "has_rst_n"},
    width_params={"in": ("width", lambda w: w)},
    required=("kind",),
    positional=("in", "out"),
)
