"""Multiplying generators: the N x N multiplier (two architectures) and the N-lane dot product."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.hw.generators._base import (
    COMB_HEAD,
    Found,
    Generator,
    Params,
    clog2,
    inp,
    out,
    read_int,
    read_width,
    vrange,
)
from agents.hw.generators.arith import OPERAND_A, OPERAND_B, RESULT, SIGNED_HELPER
from agents.hw.interface import Port


def _ident(w: int) -> int:
    return w


def _width(text: str) -> Found:
    found = Found()
    read_width(found, text)
    return found


# ---- multiplier --------------------------------------------------------------------------------


class MultiplierParams(Params):
    width: int = Field(8, ge=1, le=32, description="Operand width; the product has twice as many bits.")
    signed: bool = Field(False, description="Two's-complement operands.")
    arch: Literal["operator", "shift_add"] = Field(
        "operator", description="'operator' lets synthesis pick; 'shift_add' is an explicit array of adders."
    )


def _mul_ports(p: MultiplierParams) -> list[Port]:
    return [inp("a", p.width, p.signed), inp("b", p.width, p.signed), out("p", 2 * p.width, p.signed)]


def _mul_rtl(p: MultiplierParams, module: str) -> str:
    decl = ",\n    ".join(x.decl() for x in _mul_ports(p))
    w = p.width
    if p.arch == "operator":
        return f"module {module} (\n    {decl}\n);\n    assign p = a * b;\nendmodule\n"

    def ext(s: str) -> str:
        return f"{{{{{w}{{{s}[{w - 1}]}}}}, {s}}}" if p.signed else f"{{{w}'d0, {s}}}"

    return f"""module {module} (
    {decl}
);
    wire [{2 * w - 1}:0] xa = {ext("a")};
    wire [{2 * w - 1}:0] xb = {ext("b")};
    reg [{2 * w - 1}:0] acc;
    integer i;
    always @(*) begin
        acc = {2 * w}'d0;
        for (i = 0; i < {2 * w}; i = i + 1)
            if (xb[i]) acc = acc + (xa << i);
    end
    assign p = acc;
endmodule
"""


def _mul_model(p: MultiplierParams) -> str:
    w = p.width
    conv = f"_signed(ins['a'], {w}) * _signed(ins['b'], {w})" if p.signed else "ins['a'] * ins['b']"
    return (
        SIGNED_HELPER
        + COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"p": ({conv}) % {1 << (2 * w)}}}
"""
    )


def _mul_extract(text: str) -> Found:
    found = _width(text)
    _signedness(found, text)
    found.search("arch", text, r"shift[\s-]*(and[\s-]*)?add|array multiplier", "shift_add")
    return found


MULTIPLIER = Generator(
    name="multiplier",
    summary="N x N -> 2N-bit multiplier, signed or unsigned (width, signed, arch)",
    params=MultiplierParams,
    keywords=(r"\bmultipl(y|ier|ication)\b", r"\bproduct\b", r"\bmul\b"),
    extract=_mul_extract,
    required=("width",),
    architecture=("arch",),
    ports=_mul_ports,
    rtl=_mul_rtl,
    model=_mul_model,
    aliases={"a": OPERAND_A, "b": OPERAND_B, "p": ("p", "prod", "product", *RESULT)},
    width_params={"a": ("width", _ident)},
    area_variants=lambda p: [{"arch": "operator"}, {"arch": "shift_add"}],
)


# ---- dot product -------------------------------------------------------------------------------


class DotProductParams(Params):
    lanes: int = Field(4, ge=1, le=32, description="Number of lanes (element pairs multiplied and summed).")
    width: int = Field(8, ge=1, le=32, description="Element width.")
    signed: bool = Field(False, description="Two's-complement elements.")

    @property
    def out_width(self) -> int:
        """Product width plus headroom for the sum of all lanes."""
        return 2 * self.width + clog2(self.lanes) if self.lanes > 1 else 2 * self.width


def _dot_ports(p: DotProductParams) -> list[Port]:
    n = p.lanes * p.width
    return [inp("a", n), inp("b", n), out("y", p.out_width)]


def _dot_rtl(p: DotProductParams, module: str) -> str:
    decl = ",\n    ".join(x.decl() for x in _dot_ports(p))
    w, ow = p.width, p.out_width
    if p.signed:
        term = f"$signed(a[i*{w} +: {w}]) * $signed(b[i*{w} +: {w}])"
        acc = f"reg signed {vrange(ow)}acc;"
    else:
        term = f"a[i*{w} +: {w}] * b[i*{w} +: {w}]"
        acc = f"reg {vrange(ow)}acc;"
    return f"""module {module} (
    {decl}
);
    // lane i occupies bits [i*{w} +: {w}] of a and b
    {acc}
    integer i;
    always @(*) begin
        acc = 0;
        for (i = 0; i < {p.lanes}; i = i + 1)
            acc = acc + {term};
    end
    assign y = acc;
endmodule
"""


def _dot_model(p: DotProductParams) -> str:
    w = p.width

    def elem(s: str) -> str:
        lane = f"(({s} >> ({w} * k)) % {1 << w})"
        return f"_signed({lane}, {w})" if p.signed else lane

    return (
        SIGNED_HELPER
        + COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        a, b = ins["a"], ins["b"]
        total = sum({elem("a")} * {elem("b")} for k in range({p.lanes}))
        return {{"y": total % {1 << p.out_width}}}
"""
    )


def _dot_extract(text: str) -> Found:
    found = Found()
    read_int(
        found,
        "lanes",
        text,
        (
            r"\b(\d+|one|two|three|four|five|six|seven|eight)[\s-]*lanes?\b",
            r"\blanes?\s*(?:=|:)?\s*(\d+)",
            r"\b(\d+)[\s-]*elements?\b",
        ),
    )
    read_width(found, text)
    _signedness(found, text)
    return found


def _signedness(found: Found, text: str) -> None:
    if found.search("signed", text, r"\bunsigned\b", False) is None:
        found.search("signed", text, r"(?<!un)signed|two'?s[\s-]*complement|2'?s[\s-]*complement", True)


DOT_PRODUCT = Generator(
    name="dot_product",
    summary="Dot product of two packed vectors of N lanes (lanes, width, signed)",
    params=DotProductParams,
    keywords=(r"dot[\s_-]*product", r"\bmac\b", r"multiply[\s-]accumulate", r"\blanes?\b", r"inner product"),
    extract=_dot_extract,
    required=("lanes", "width"),
    ports=_dot_ports,
    rtl=_dot_rtl,
    model=_dot_model,
    aliases={"a": OPERAND_A, "b": OPERAND_B, "y": ("y", "dot", "sum", *RESULT)},
)
