"""Routing one of several: a demultiplexer (1-to-N, outputs y0..y{N-1}), a fixed-priority
arbiter (one-hot grant to the requester the text says wins) and a multiplexer over fields packed
in one vector.

The demultiplexer's unselected outputs are 0 (the convention; shown in the interpretation). The
arbiter's priority order decides behaviour, so it must be stated ('req[0] has the highest
priority', 'the most significant request wins'); a round-robin arbiter is not built here.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.hw.generators._base import COMB_HEAD, Found, Generator, Params, clog2, decls, inp, out, read_width
from agents.hw.interface import Port
from tools.errors import UsageError

# ---- demultiplexer -----------------------------------------------------------------------------


class DemuxParams(Params):
    outputs: int = Field(0, ge=0, le=64, description="Number of outputs N (stated: '1-to-4').")
    width: int = Field(1, ge=1, le=256, description="Data width.")

    @model_validator(mode="after")
    def _stated(self) -> DemuxParams:
        if self.outputs < 2:
            raise ValueError("the number of outputs (e.g. '1-to-4 demultiplexer') is not stated")
        return self


def _demux_ports(p: DemuxParams) -> list[Port]:
    return [
        inp("d", p.width),
        inp("sel", clog2(p.outputs)),
        *(out(f"y{k}", p.width) for k in range(p.outputs)),
    ]


def _demux_rtl(p: DemuxParams, module: str) -> str:
    lines = "\n".join(
        f"    assign y{k} = (sel == {clog2(p.outputs)}'d{k}) ? d : {p.width}'d0;" for k in range(p.outputs)
    )
    return f"module {module} (\n    {decls(_demux_ports(p))}\n);\n{lines}\nendmodule\n"


def _demux_model(p: DemuxParams) -> str:
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        got = {{f"y{{k}}": 0 for k in range({p.outputs})}}
        if ins["sel"] < {p.outputs}:
            got[f"y{{ins['sel']}}"] = ins["d"]
        return got
"""
    )


def _demux_extract(text: str) -> Found:
    found = Found()
    read_width(found, text)
    m = re.search(r"\b1[\s-]*(?:to|:)[\s-]*(\d+)\b|\b(\d+)[\s-]*(?:way|output)\s+de-?mux", text, re.I)
    if m:
        found.put("outputs", int(m.group(1) or m.group(2)), m.group(0))
    else:
        found.lack("the number of outputs ('1-to-4 demultiplexer')")
    found.note("unselected outputs", 0, "")
    return found


DEMUX = Generator(
    name="demux",
    summary="1-to-N demultiplexer: d to output y{sel}, the others 0 (outputs, width)",
    params=DemuxParams,
    keywords=(r"\bde-?multiplexer\b", r"\bde-?mux\b"),
    extract=_demux_extract,
    ports=_demux_ports,
    rtl=_demux_rtl,
    model=_demux_model,
    aliases={
        "d": ("d", "in", "din", "data", "x", "a"),
        "sel": ("sel", "s", "select", "addr"),
        **{f"y{k}": (f"y{k}", f"out{k}", f"o{k}", f"q{k}", f"d{k}", f"out_{k}", f"y_{k}") for k in range(64)},
    },
    width_params={"d": ("width", lambda w: w)},
    required=("outputs",),
)


# ---- fixed-priority arbiter --------------------------------------------------------------------


class ArbiterParams(Params):
    width: int = Field(4, ge=2, le=64, description="Number of requesters.")
    first: Literal["lsb", "msb"] | None = Field(
        None, description="Who wins: the lowest-numbered requester ('lsb') or the highest ('msb'); stated."
    )

    @model_validator(mode="after")
    def _stated(self) -> ArbiterParams:
        if self.first is None:
            raise ValueError("the priority order (which request wins) is not stated")
        return self


def _arb_ports(p: ArbiterParams) -> list[Port]:
    return [inp("req", p.width), out("grant", p.width)]


def _arb_rtl(p: ArbiterParams, module: str) -> str:
    if p.first == "lsb":  # isolate the lowest set bit
        body = "    assign grant = req & (~req + 1'b1);"
    else:
        chain = " : ".join(f"req[{k}] ? {p.width}'d{1 << k}" for k in reversed(range(p.width)))
        body = f"    assign grant = {chain} : {p.width}'d0;"
    return f"module {module} (\n    {decls(_arb_ports(p))}\n);\n{body}\nendmodule\n"


def _arb_model(p: ArbiterParams) -> str:
    order = f"range({p.width})" if p.first == "lsb" else f"reversed(range({p.width}))"
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        for k in {order}:
            if ins["req"] >> k & 1:
                return {{"grant": 1 << k}}
        return {{"grant": 0}}
"""
    )


_LSB_FIRST = (
    r"\breq(?:uest)?\s*\[?0\]?\s+has\s+(?:the\s+)?highest\s+priority|\blowest[\s-]+(?:index|numbered|bit)\w*\s+"
    r"(?:\w+\s+)?(?:has|gets|wins|is\s+given)\s+(?:the\s+)?(?:highest\s+)?priority"
    r"|\bleast\s+significant\s+(?:\w+\s+)?(?:has|gets|wins)|\blsb\s+(?:has|gets|wins)"
)
_MSB_FIRST = (
    r"\bhighest[\s-]+(?:index|numbered|bit)\w*\s+(?:\w+\s+)?(?:has|gets|wins|is\s+given)\s+(?:the\s+)?"
    r"(?:highest\s+)?priority|\bmost\s+significant\s+(?:\w+\s+)?(?:has|gets|wins)|\bmsb\s+(?:has|gets|wins)"
)


def _arb_extract(text: str) -> Found:
    found = Found()
    read_width(found, text)
    n = re.search(r"\b(\d+)\s+(?:requesters|requests|masters|clients)\b", text, re.I)
    if n and "width" not in found:
        found.put("width", int(n.group(1)), n.group(0))
    if re.search(r"round[\s-]*robin|\bfair\b|\brotat", text, re.I):
        found.lack("a fixed priority order (round-robin arbiters are not built offline)")
        return found
    lsb, msb = re.search(_LSB_FIRST, text, re.I), re.search(_MSB_FIRST, text, re.I)
    if bool(lsb) == bool(msb):
        found.lack("which request has the highest priority (e.g. 'req[0] has the highest priority')")
    else:
        hit = lsb or msb
        assert hit is not None
        found.put("first", "lsb" if lsb else "msb", hit.group(0))
    return found


ARBITER = Generator(
    name="arbiter",
    summary="Fixed-priority arbiter: one-hot grant to the winning request (width, stated priority order)",
    params=ArbiterParams,
    keywords=(r"\barbiter\b", r"\barbitrat", r"\bgrants?\b"),
    extract=_arb_extract,
    ports=_arb_ports,
    rtl=_arb_rtl,
    model=_arb_model,
    aliases={"req": ("req", "request", "requests", "r", "in"), "grant": ("grant", "gnt", "g", "out", "y")},
    width_params={"req": ("width", lambda w: w)},
    required=("first",),
)


# ---- multiplexer over a packed vector ----------------------------------------------------------


class PackedMuxParams(Params):
    width: int = Field(0, ge=0, le=1024, description="Bits of each field (the output width; 0: not stated).")
    fields: int = Field(0, ge=0, le=65536, description="Number of fields packed in 'in' (0: not stated).")
    low_first: bool | None = Field(
        None, description="sel=0 selects the least significant field (stated, e.g. 'sel=0 selects in[3:0]')."
    )

    @model_validator(mode="after")
    def _stated(self) -> PackedMuxParams:
        if not self.low_first:
            raise ValueError("which field sel=0 selects is not stated as the lowest ('sel=0 selects in[0]')")
        return self


def _pm_fields(p: PackedMuxParams) -> int:
    return max(p.fields, 2)


def _pm_ports(p: PackedMuxParams) -> list[Port]:
    w = max(p.width, 1)
    return [inp("in", w * _pm_fields(p)), inp("sel", clog2(_pm_fields(p))), out("out", w)]


def _pm_rtl(p: PackedMuxParams, module: str) -> str:
    if not p.width or not p.fields:
        raise UsageError("packed_mux: the field width and count are not stated in the text or a header")
    w, n = p.width, p.fields
    return f"""module {module} (
    {decls(_pm_ports(p))}
);
    // sel beyond the last field reads nothing: 0
    assign out = sel < {n} ? in[sel * {w} +: {w}] : {w}'d0;
endmodule
"""


def _pm_model(p: PackedMuxParams) -> str:
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        fields = [(ins["in"] >> ({p.width} * k)) & ((1 << {p.width}) - 1) for k in range({p.fields})]
        return {{"out": fields[ins["sel"]] if ins["sel"] < {p.fields} else 0}}
"""
    )


_SEL0 = r"\bsel\s*=\s*0\s+(?:should\s+)?selects?\s+(?:bits?\s+)?in\[(\d+)(?::(\d+))?\]"


def _pm_extract(text: str) -> Found:
    found = Found()
    n = re.search(r"\b(\d+)[\s-]*to[\s-]*1\b", text, re.I)
    if n:
        found.put("fields", int(n.group(1)), n.group(0))
    w = re.search(r"\b(\d+)[\s-]*bits?\s+wide\b|\b(\d+)[\s-]*bit[\s-]+wide\b", text, re.I)
    if w:
        found.put("width", int(w.group(1) or w.group(2)), w.group(0))
    packed = [x for x in re.split(r"(?<=[.;])\s+", text) if re.search(r"\bpacked\b", x, re.I)]
    if packed:
        found.note("packing", "fields side by side in 'in'", " | ".join(x.strip() for x in packed))
    m = re.search(_SEL0, text, re.I)
    if m is None:
        found.lack("which field sel=0 selects (e.g. 'sel=0 selects in[3:0]')")
    elif int(m.group(2) or m.group(1)) == 0:
        later = [
            x.group(0)
            for x in re.finditer(
                r"\bsel\s*=\s*\d+\s+(?:should\s+)?selects?\s+(?:bits?\s+)?in\[[\d:]+\]", text, re.I
            )
        ]
        found.put("low_first", True, " | ".join(later))
    else:
        found.lack(f"sel=0 selecting the lowest field (the text says '{m.group(0)}')")
    return found


PACKED_MUX = Generator(
    name="packed_mux",
    summary="N-to-1 multiplexer over fields packed in one vector: out = field sel of in (sel=0 lowest)",
    params=PackedMuxParams,
    keywords=(r"\bpacked\b[^.]*", r"\bsingle\s+\d+[\s-]*bit\s+input\s+vector\b", _SEL0),
    extract=_pm_extract,
    ports=_pm_ports,
    rtl=_pm_rtl,
    model=_pm_model,
    aliases={"in": ("in", "data", "d", "x"), "sel": ("sel", "s", "select", "addr"), "out": ("out", "y", "q")},
    width_params={"out": ("width", lambda w: w)},
    required=("low_first",),
)
