"""Combinational generators: mux, decoder, encoder, priority encoder, popcount, Gray code."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from agents.hw.generators._base import (
    COMB_HEAD,
    Found,
    Generator,
    Params,
    clog2,
    decls,
    inp,
    out,
    read_int,
    read_width,
)
from agents.hw.interface import Port

_IN = ("in", "d", "din", "x", "a", "i", "data", "data_in", "req", "bin", "gray")
_OUT = ("out", "y", "q", "o", "dout", "result", "z")


def _width(text: str) -> Found:
    found = Found()
    read_width(found, text)
    return found


def _ident(w: int) -> int:
    return w


def _log2(w: int) -> int:
    return clog2(w)


# ---- mux ---------------------------------------------------------------------------------------


class MuxParams(Params):
    inputs: int = Field(2, ge=2, le=16, description="Number of data inputs in0..in{n-1}.")
    width: int = Field(1, ge=1, le=64, description="Data width.")


def _mux_ports(p: MuxParams) -> list[Port]:
    return [
        *(inp(f"in{i}", p.width) for i in range(p.inputs)),
        inp("sel", clog2(p.inputs)),
        out("y", p.width),
    ]


def _mux_rtl(p: MuxParams, module: str) -> str:
    arms = "\n".join(f"            {clog2(p.inputs)}'d{i}: y = in{i};" for i in range(p.inputs))
    return f"""module {module} (
    {decls(_mux_ports(p), ("y",))}
);
    always @(*) begin
        case (sel)
{arms}
            default: y = {p.width}'d0;
        endcase
    end
endmodule
"""


def _mux_model(p: MuxParams) -> str:
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        chosen = ins["sel"]
        return {{"y": ins[f"in{{chosen}}"] if chosen < {p.inputs} else 0}}
"""
    )


def _mux_extract(text: str) -> Found:
    found = _width(text)
    read_int(
        found,
        "inputs",
        text,
        (
            r"\b(\d+|two|three|four|five|six|seven|eight)[\s-]*(?:to|:|-)[\s-]*(?:1|one)\b",
            r"\b(\d+|two|four|eight)[\s-]*(?:way|input)\b",
        ),
    )
    _mux_range(found, text)
    return found


def _mux_range(found: Found, text: str) -> None:
    """'sel between 0 and 5 chooses the corresponding input' and 'otherwise output 0' are what this
    mux does when they agree with its input count (out-of-range selects give 0); else it refuses."""
    span = re.search(r"\bbetween\s+0\s+and\s+(\d+)\b[^.]*\bcorresponding\b", text, re.I)
    if span and "inputs" in found and int(span.group(1)) == int(found.values["inputs"]) - 1:
        found.note("select", "input number sel", span.group(0))
    elif span:
        found.lack(f"a select range that fits the input count ('{span.group(0)}')")
    other = re.search(
        r"\botherwise,?\s+(?:the\s+)?(?:output|outputs|out|y)?\s*(?:is\s+|=\s*)?(\d+|zero)\b", text, re.I
    )
    if other and other.group(1).lower() in ("0", "zero"):
        found.note("out_of_range", 0, other.group(0))
    elif other:
        found.lack(f"an out-of-range output of 0 ('{other.group(0)}')")


MUX = Generator(
    name="mux",
    summary="N-to-1 multiplexer with inputs in0..in{N-1} and select sel (inputs, width)",
    params=MuxParams,
    keywords=(r"\bmux\b", r"multiplexer", r"\bselect(s|or)?\b", r"\b\d+[\s-]*to[\s-]*1\b"),
    extract=_mux_extract,
    required=("inputs", "width"),
    ports=_mux_ports,
    rtl=_mux_rtl,
    model=_mux_model,
    aliases={
        "sel": ("sel", "s", "select"),
        "y": _OUT,
        **{
            f"in{i}": (f"in{i}", f"d{i}", f"i{i}", f"a{i}", f"x{i}", f"data{i}", f"in_{i}") for i in range(16)
        },
    },
    width_params={"y": ("width", _ident)},
)


# ---- decoder -----------------------------------------------------------------------------------


class DecoderParams(Params):
    bits: int = Field(3, ge=1, le=6, description="Input width n; the one-hot output has 2**n bits.")
    enable: bool = Field(False, description="Has an 'en' input; all outputs 0 while en is 0.")


def _dec_ports(p: DecoderParams) -> list[Port]:
    return [inp("a", p.bits), *([inp("en")] if p.enable else []), out("y", 1 << p.bits)]


def _dec_rtl(p: DecoderParams, module: str) -> str:
    one = f"{{{{{(1 << p.bits) - 1}{{1'b0}}}}, 1'b1}}"
    expr = f"({one} << a)"
    return f"module {module} (\n    {decls(_dec_ports(p))}\n);\n    assign y = {'en ? ' + expr + ' : 0' if p.enable else expr};\nendmodule\n"


def _dec_model(p: DecoderParams) -> str:
    gate = 'ins["en"]' if p.enable else "1"
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"y": 2 ** ins["a"] if {gate} else 0}}
"""
    )


def _dec_extract(text: str) -> Found:
    found = Found()
    read_int(
        found,
        "bits",
        text,
        (r"\b(\d+)[\s-]*(?:to|:)[\s-]*\d+[\s-]*(?:line\s+)?decoder", r"\b(\d+)[\s-]*bits?\b"),
    )
    found.search("enable", text, r"\benable\b|\ben\b", True)
    return found


DECODER = Generator(
    name="decoder",
    summary="n-to-2**n one-hot decoder, optional enable (bits, enable)",
    params=DecoderParams,
    keywords=(r"\bdecoder\b", r"one[\s-]*hot\s+(output|decod)", r"\bdecode\b"),
    extract=_dec_extract,
    required=("bits",),
    ports=_dec_ports,
    rtl=_dec_rtl,
    model=_dec_model,
    aliases={"a": ("a", *_IN, "sel", "addr"), "en": ("en", "enable", "ena"), "y": _OUT},
    flags={"en": "enable"},
    width_params={"a": ("bits", _ident)},
)


# ---- priority encoder / encoder -----------------------------------------------------------------


class PriorityEncoderParams(Params):
    width: int = Field(8, ge=2, le=64, description="Request width; the index has clog2(width) bits.")
    priority: Literal["lsb", "msb"] = Field(
        "lsb", description="Which set bit wins: lowest ('lsb') or highest ('msb')."
    )


def _pe_extract(text: str) -> Found:
    found = _width(text)
    read_int(found, "width", text, (r"\b(\d+)[\s-]*(?:inputs|requests|requesters|lines)\b",))
    if found.search("priority", text, r"\b(msb|highest|most significant|leading)\b", "msb") is None:
        found.search("priority", text, r"\b(lsb|lowest|least significant|trailing)\b", "lsb")
    return found


def _pe_ports(p: PriorityEncoderParams) -> list[Port]:
    return [inp("in", p.width), out("pos", clog2(p.width)), out("valid")]


def _pe_rtl(p: PriorityEncoderParams, module: str) -> str:
    order = (
        f"i = {p.width - 1}; i >= 0; i = i - 1" if p.priority == "lsb" else f"i = 0; i < {p.width}; i = i + 1"
    )
    return f"""module {module} (
    {decls(_pe_ports(p), ("pos",))}
);
    // the loop visits the winning bit last, so its index is what remains
    integer i;
    always @(*) begin
        pos = 0;
        for ({order})
            if (in[i]) pos = i[{clog2(p.width) - 1}:0];
    end
    assign valid = |in;
endmodule
"""


def _pe_model(p: PriorityEncoderParams) -> str:
    pick = "min" if p.priority == "lsb" else "max"
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        bits = [k for k in range({p.width}) if ins["in"] >> k & 1]
        return {{"pos": {pick}(bits) if bits else 0, "valid": int(bool(bits))}}
"""
    )


PRIORITY_ENCODER = Generator(
    name="priority_encoder",
    summary="Priority encoder: index of the lowest (or highest) set bit plus valid (width, priority)",
    params=PriorityEncoderParams,
    keywords=(r"priority[\s-]*encoder", r"\bencoder\b", r"first (set|one|1)", r"leading|trailing"),
    extract=_pe_extract,
    required=("width",),
    ports=_pe_ports,
    rtl=_pe_rtl,
    model=_pe_model,
    aliases={
        "in": _IN,
        "pos": ("pos", "idx", "index", "out", "y", "q", "code", "enc"),
        "valid": ("valid", "v", "any", "found"),
    },
    width_params={"in": ("width", _ident)},
)


# ---- popcount ----------------------------------------------------------------------------------


class PopcountParams(Params):
    width: int = Field(8, ge=1, le=256, description="Input width; the count has clog2(width+1) bits.")


def _pop_ports(p: PopcountParams) -> list[Port]:
    return [inp("in", p.width), out("count", clog2(p.width + 1))]


def _pop_rtl(p: PopcountParams, module: str) -> str:
    if p.width == 1:
        return f"module {module} (\n    {decls(_pop_ports(p))}\n);\n    assign count = in;\nendmodule\n"
    return f"""module {module} (
    {decls(_pop_ports(p), ("count",))}
);
    integer i;
    always @(*) begin
        count = 0;
        for (i = 0; i < {p.width}; i = i + 1)
            count = count + in[i];
    end
endmodule
"""


def _pop_model(p: PopcountParams) -> str:
    return (
        COMB_HEAD
        + '\n    def outputs(self, ins: dict[str, int]) -> dict[str, int]:\n        return {"count": bin(ins["in"]).count("1")}\n'
    )


POPCOUNT = Generator(
    name="popcount",
    summary="Population count: number of 1 bits (width)",
    params=PopcountParams,
    keywords=(
        r"pop[\s-]*count",
        r"(number|count) of (ones|1s|1's|set bits|'1')",
        r"hamming weight",
        r"ones[\s-]*count",
    ),
    extract=_width,
    required=("width",),
    ports=_pop_ports,
    rtl=_pop_rtl,
    model=_pop_model,
    aliases={"in": _IN, "count": ("count", *_OUT, "cnt", "ones")},
    width_params={"in": ("width", _ident)},
)


# ---- Gray code ---------------------------------------------------------------------------------


class GrayParams(Params):
    width: int = Field(4, ge=1, le=64, description="Code width.")


def _b2g_ports(p: GrayParams) -> list[Port]:
    return [inp("bin", p.width), out("gray", p.width)]


def _g2b_ports(p: GrayParams) -> list[Port]:
    return [inp("gray", p.width), out("bin", p.width)]


def _b2g_rtl(p: GrayParams, module: str) -> str:
    return (
        f"module {module} (\n    {decls(_b2g_ports(p))}\n);\n    assign gray = bin ^ (bin >> 1);\nendmodule\n"
    )


def _g2b_rtl(p: GrayParams, module: str) -> str:
    if p.width == 1:
        return f"module {module} (\n    {decls(_g2b_ports(p))}\n);\n    assign bin = gray;\nendmodule\n"
    return f"""module {module} (
    {decls(_g2b_ports(p), ("bin",))}
);
    integer i;
    always @(*) begin
        bin[{p.width - 1}] = gray[{p.width - 1}];
        for (i = {p.width - 2}; i >= 0; i = i - 1)
            bin[i] = bin[i + 1] ^ gray[i];
    end
endmodule
"""


def _b2g_model(p: GrayParams) -> str:
    # The Gray code of n is the n-th word of the reflected code; build it by reflection.
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        n, code, size = ins["bin"], 0, 1 << {p.width}
        while size > 1:
            half = size // 2
            if n >= half:
                code |= half
                n = size - 1 - n
            size = half
        return {{"gray": code}}
"""
    )


def _g2b_model(p: GrayParams) -> str:
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        g, bits, parity = ins["gray"], [], 0
        for k in reversed(range({p.width})):
            parity ^= g >> k & 1
            bits.append(str(parity))
        return {{"bin": int("".join(bits), 2)}}
"""
    )


_GRAY_ALIASES = {
    "bin": ("bin", "binary", "b", "in", "d", "out", "y", "q"),
    "gray": ("gray", "g", "out", "y", "in", "q"),
}

BIN2GRAY = Generator(
    name="bin2gray",
    summary="Binary to Gray code converter (width)",
    params=GrayParams,
    keywords=(r"bin(ary)?[\s_-]*(2|to)[\s_-]*gray", r"gray[\s-]*(code)?[\s-]*(encoder|conver)"),
    extract=_width,
    required=("width",),
    ports=_b2g_ports,
    rtl=_b2g_rtl,
    model=_b2g_model,
    aliases=_GRAY_ALIASES,
    width_params={"bin": ("width", _ident)},
)

GRAY2BIN = Generator(
    name="gray2bin",
    summary="Gray code to binary converter (width)",
    params=GrayParams,
    keywords=(r"gray[\s_-]*(code)?[\s_-]*(2|to)[\s_-]*bin", r"gray[\s-]*decoder"),
    extract=_width,
    required=("width",),
    ports=_g2b_ports,
    rtl=_g2b_rtl,
    model=_g2b_model,
    aliases=_GRAY_ALIASES,
    width_params={"gray": ("width", _ident)},
)
