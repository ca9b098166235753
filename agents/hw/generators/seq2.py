"""Shifting and watching generators: shift registers, LFSRs, edge detectors."""

from __future__ import annotations

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
    read_int,
    read_reset,
    read_width,
    reset_active,
)
from agents.hw.interface import Port

_EN = ("en", "enable", "ena", "ce", "shift", "shift_en")
_Q = ("q", "out", "dout", "data_out", "y", "value", "state")


def _ident(w: int) -> int:
    return w


def _common(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_width(found, text)
    found.search("enable", text, r"\benable\b|\ben\b", True)
    return found


def _sr_extract(text: str) -> Found:
    found = _common(text)
    if found.search("direction", text, r"\bright\b", "right") is None:
        found.search("direction", text, r"\bleft\b", "left")
    found.search("load", text, r"\bload\b", True)
    return found


def _lfsr_extract(text: str) -> Found:
    found = _common(text)
    read_int(found, "seed", text, (r"\bseed\s*(?:of|=|:)?\s*(\d+)",))
    return found


# ---- shift register ----------------------------------------------------------------------------


class ShiftRegisterParams(SeqParams):
    width: int = Field(8, ge=2, le=128, description="Register width.")
    direction: Literal["left", "right"] = Field(
        "left", description="'left': sin enters bit 0; 'right': sin enters the MSB."
    )
    enable: bool = Field(False, description="Has an 'en' input; shifts only while en is 1.")
    load: bool = Field(
        False, description="Has 'load' and 'd' inputs for a parallel load (priority over shifting)."
    )


def _sr_ports(p: ShiftRegisterParams) -> list[Port]:
    ports = (
        clock_ports(p)
        + ([inp("en")] if p.enable else [])
        + ([inp("load"), inp("d", p.width)] if p.load else [])
    )
    return [*ports, inp("sin"), out("q", p.width)]


def _sr_rtl(p: ShiftRegisterParams, module: str) -> str:
    w = p.width
    nxt = f"{{q[{w - 2}:0], sin}}" if p.direction == "left" else f"{{sin, q[{w - 1}:1]}}"
    body = [f"if ({reset_active(p)}) q <= {w}'d0;"]
    body += ["else if (load) q <= d;"] if p.load else []
    body += [f"else if (en) q <= {nxt};" if p.enable else f"else q <= {nxt};"]
    joined = "\n        ".join(body)
    return f"module {module} (\n    {decls(_sr_ports(p), ('q',))}\n);\n    {always_ff(p)} begin\n        {joined}\n    end\nendmodule\n"


def _sr_model(p: ShiftRegisterParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.bits = [0] * {p.width}  # bits[0] is the LSB

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"q": sum(b << k for k, b in enumerate(self.bits))}}

    def clock(self, ins: dict[str, int]) -> None:
        if {p.load} and ins.get("load"):
            self.bits = [ins["d"] >> k & 1 for k in range({p.width})]
        elif not {p.enable} or ins.get("en"):
            if {p.direction == "left"!r}:
                self.bits = [ins["sin"] & 1] + self.bits[:-1]
            else:
                self.bits = self.bits[1:] + [ins["sin"] & 1]
"""
    )


SHIFT_REGISTER = Generator(
    name="shift_register",
    summary="Serial-in shift register, left or right, optional enable and parallel load (width, direction, enable, load)",
    params=ShiftRegisterParams,
    keywords=(r"shift[\s-]*reg(ister)?", r"\bsipo\b", r"serial[\s-]*in"),
    extract=_sr_extract,
    required=("width", "direction"),
    ports=_sr_ports,
    rtl=_sr_rtl,
    model=_sr_model,
    aliases={
        "en": _EN,
        "load": ("load", "ld"),
        "d": ("d", "din", "data", "data_in"),
        "sin": ("sin", "si", "serial_in", "in", "din_s", "data_in", "d"),
        "q": _Q,
    },
    flags={"en": "enable", "load": "load"},
    width_params={"q": ("width", _ident)},
)


# ---- LFSR --------------------------------------------------------------------------------------

# Maximal-length Fibonacci taps (1-indexed bit positions), from the classic tables (XAPP052).
LFSR_TAPS: dict[int, tuple[int, ...]] = {
    2: (2, 1), 3: (3, 2), 4: (4, 3), 5: (5, 3), 6: (6, 5), 7: (7, 6), 8: (8, 6, 5, 4), 9: (9, 5),
    10: (10, 7), 11: (11, 9), 12: (12, 6, 4, 1), 13: (13, 4, 3, 1), 14: (14, 5, 3, 1), 15: (15, 14),
    16: (16, 15, 13, 4), 17: (17, 14), 18: (18, 11), 19: (19, 6, 2, 1), 20: (20, 17), 21: (21, 19),
    22: (22, 21), 23: (23, 18), 24: (24, 23, 22, 17), 25: (25, 22), 26: (26, 6, 2, 1), 27: (27, 5, 2, 1),
    28: (28, 25), 29: (29, 27), 30: (30, 6, 4, 1), 31: (31, 28), 32: (32, 22, 2, 1),
}  # fmt: skip


class LfsrParams(SeqParams):
    width: int = Field(8, ge=2, le=32, description="Register width (maximal-length taps are built in).")
    seed: int = Field(1, ge=1, description="Nonzero value after reset.")
    enable: bool = Field(False, description="Has an 'en' input; steps only while en is 1.")

    @model_validator(mode="after")
    def _seed_fits(self) -> LfsrParams:
        if self.seed >= 1 << self.width:
            raise ValueError(f"seed {self.seed} does not fit in {self.width} bits")
        return self


def _lfsr_ports(p: LfsrParams) -> list[Port]:
    return clock_ports(p) + ([inp("en")] if p.enable else []) + [out("q", p.width)]


def _lfsr_rtl(p: LfsrParams, module: str) -> str:
    w = p.width
    fb = " ^ ".join(f"q[{t - 1}]" for t in LFSR_TAPS[w])
    step = f"q <= {{q[{w - 2}:0], {fb}}};"
    return f"""module {module} (
    {decls(_lfsr_ports(p), ("q",))}
);
    // Fibonacci LFSR shifting left; feedback is the XOR of taps {LFSR_TAPS[w]}
    {always_ff(p)} begin
        if ({reset_active(p)}) q <= {w}'d{p.seed};
        else {"if (en) " if p.enable else ""}{step}
    end
endmodule
"""


def _lfsr_model(p: LfsrParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    TAPS = {LFSR_TAPS[p.width]!r}

    def reset(self) -> None:
        self.state = {p.seed}

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"q": self.state}}

    def clock(self, ins: dict[str, int]) -> None:
        if {p.enable} and not ins.get("en"):
            return
        feedback = sum(self.state >> (t - 1) & 1 for t in self.TAPS) % 2
        self.state = (self.state * 2 + feedback) % {1 << p.width}
"""
    )


LFSR = Generator(
    name="lfsr",
    summary="Maximal-length Fibonacci LFSR, widths 2..32 (width, seed, enable)",
    params=LfsrParams,
    keywords=(r"\blfsr\b", r"linear[\s-]*feedback", r"pseudo[\s-]*random", r"\bprbs\b"),
    extract=_lfsr_extract,
    required=("width",),
    ports=_lfsr_ports,
    rtl=_lfsr_rtl,
    model=_lfsr_model,
    aliases={"en": _EN, "q": _Q},
    flags={"en": "enable"},
    width_params={"q": ("width", _ident)},
)


# ---- edge detector -----------------------------------------------------------------------------


class EdgeDetectorParams(SeqParams):
    width: int = Field(1, ge=1, le=64, description="Signals watched in parallel.")
    edge: Literal["rising", "falling", "both"] = Field("rising", description="Which transitions pulse.")


def _ed_ports(p: EdgeDetectorParams) -> list[Port]:
    return [*clock_ports(p), inp("d", p.width), out("pulse", p.width)]


def _ed_rtl(p: EdgeDetectorParams, module: str) -> str:
    expr = {"rising": "d & ~prev", "falling": "~d & prev", "both": "d ^ prev"}[p.edge]
    return f"""module {module} (
    {decls(_ed_ports(p))}
);
    // pulse is combinational: high while d differs from its value at the last clock edge
    reg [{p.width - 1}:0] prev;
    {always_ff(p)} begin
        if ({reset_active(p)}) prev <= 0;
        else prev <= d;
    end
    assign pulse = {expr};
endmodule
"""


def _ed_model(p: EdgeDetectorParams) -> str:
    rule = {"rising": "now and not before", "falling": "before and not now", "both": "now != before"}[p.edge]
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.last = 0

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        result = 0
        for k in range({p.width}):
            now, before = ins["d"] >> k & 1, self.last >> k & 1
            if {rule}:
                result |= 1 << k
        return {{"pulse": result}}

    def clock(self, ins: dict[str, int]) -> None:
        self.last = ins["d"]
"""
    )


def _ed_extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_width(found, text)
    if (
        found.search("edge", text, r"\bboth\b|\bany\b|\beither\b|\btoggle|\bchange", "both") is None
        and found.search("edge", text, r"\bfalling\b|negedge|negative edge", "falling") is None
    ):
        found.search("edge", text, r"\brising\b|posedge|positive edge|\b0\s*(?:to|->)\s*1\b", "rising")
    return found


EDGE_DETECTOR = Generator(
    name="edge_detector",
    summary="Edge detector: pulse on rising, falling or both edges of d (width, edge)",
    params=EdgeDetectorParams,
    keywords=(
        r"\bedge[\s-]*detect",
        r"rising edges?",
        r"falling edges?",
        r"\b(any|both|either)\s+edges?",
        r"\bany\s*edge\b",
    ),
    extract=_ed_extract,
    required=("edge",),
    ports=_ed_ports,
    rtl=_ed_rtl,
    model=_ed_model,
    aliases={
        "d": ("d", "in", "din", "sig", "signal", "x", "a"),
        "pulse": ("pulse", "out", "q", "y", "edge", "anyedge", "rise", "fall", "pedge", "nedge"),
    },
    width_params={"d": ("width", _ident)},
)
