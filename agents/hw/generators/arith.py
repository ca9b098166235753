"""Arithmetic generators: adder, subtractor, ALU, multiplier, comparator, dot product."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agents.hw.generators._base import Generator, Params, clog2, find_int, find_width, has, inp, out, vrange
from agents.hw.interface import Port

_A = ("a", "x", "in1", "op1", "in_a", "a_in", "opa", "operand_a", "in0")
_B = ("b", "y_in", "in2", "op2", "in_b", "b_in", "opb", "operand_b")
_Y = ("y", "out", "result", "res", "o", "q", "f")

_COMB_CORE = '''
class _Core:
    """Combinational: no state."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        pass

    def clock(self, ins: dict[str, int]) -> None:
        pass
'''

_SIGNED = '''
def _signed(value: int, bits: int) -> int:
    """Two's-complement reading of an unsigned value."""
    return value - (1 << bits) if value >> (bits - 1) & 1 else value
'''


def _ident(w: int) -> int:
    return w


def _width(text: str) -> dict[str, Any]:
    w = find_width(text)
    return {"width": w} if w else {}


# ---- adder -------------------------------------------------------------------------------------


class AdderParams(Params):
    width: int = Field(8, ge=1, le=64, description="Operand width.")
    carry_in: bool = Field(False, description="Has a carry input cin.")
    carry_out: bool = Field(True, description="Has a carry output cout.")


def _adder_extract(text: str) -> dict[str, Any]:
    found = _width(text)
    if has(text, r"carry[\s_-]*in|\bcin\b"):
        found["carry_in"] = True
    if has(text, r"(without|no) carry[\s_-]*out|no carry\b"):
        found["carry_out"] = False
    return found


def _adder_ports(p: AdderParams) -> list[Port]:
    ports = [inp("a", p.width), inp("b", p.width)]
    ports += [inp("cin")] if p.carry_in else []
    ports += [out("sum", p.width)] + ([out("cout")] if p.carry_out else [])
    return ports


def _adder_rtl(p: AdderParams, module: str) -> str:
    decl = ",\n    ".join(x.decl() for x in _adder_ports(p))
    cin = " + cin" if p.carry_in else ""
    lhs = "{cout, sum}" if p.carry_out else "sum"
    return f"module {module} (\n    {decl}\n);\n    assign {lhs} = a + b{cin};\nendmodule\n"


def _adder_model(p: AdderParams) -> str:
    cin = ' + ins["cin"]' if p.carry_in else ""
    cout = f'"cout": total >> {p.width}, ' if p.carry_out else ""
    return (
        _COMB_CORE
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        total = ins["a"] + ins["b"]{cin}
        return {{{cout}"sum": total % {1 << p.width}}}
"""
    )


ADDER = Generator(
    name="adder",
    summary="N-bit adder with optional carry in/out (width, carry_in, carry_out)",
    params=AdderParams,
    keywords=(r"\badd(er|ition|s)?\b", r"\bsum\b", r"full[\s-]adder", r"ripple"),
    extract=_adder_extract,
    ports=_adder_ports,
    rtl=_adder_rtl,
    model=_adder_model,
    aliases={
        "a": _A,
        "b": _B,
        "cin": ("cin", "c_in", "ci", "carry_in", "carryin"),
        "sum": ("sum", "s", *_Y),
        "cout": ("cout", "c_out", "co", "carry_out", "carry", "carryout"),
    },
    flags={"cin": "carry_in", "cout": "carry_out"},
    width_params={"a": ("width", _ident)},
)


# ---- subtractor --------------------------------------------------------------------------------


class SubtractorParams(Params):
    width: int = Field(8, ge=1, le=64, description="Operand width.")
    borrow_out: bool = Field(True, description="Has a borrow output (a < b).")


def _sub_ports(p: SubtractorParams) -> list[Port]:
    return [inp("a", p.width), inp("b", p.width), out("diff", p.width)] + (
        [out("borrow")] if p.borrow_out else []
    )


def _sub_rtl(p: SubtractorParams, module: str) -> str:
    decl = ",\n    ".join(x.decl() for x in _sub_ports(p))
    body = "    assign diff = a - b;\n" + ("    assign borrow = a < b;\n" if p.borrow_out else "")
    return f"module {module} (\n    {decl}\n);\n{body}endmodule\n"


def _sub_model(p: SubtractorParams) -> str:
    borrow = '"borrow": int(ins["a"] < ins["b"]), ' if p.borrow_out else ""
    return (
        _COMB_CORE
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{{borrow}"diff": (ins["a"] - ins["b"]) % {1 << p.width}}}
"""
    )


SUBTRACTOR = Generator(
    name="subtractor",
    summary="N-bit subtractor a - b with a borrow flag (width, borrow_out)",
    params=SubtractorParams,
    keywords=(r"\bsubtract(or|ion|s)?\b", r"\bdifference\b", r"\bminus\b"),
    extract=_width,
    ports=_sub_ports,
    rtl=_sub_rtl,
    model=_sub_model,
    aliases={
        "a": _A,
        "b": _B,
        "diff": ("diff", "d", "difference", *_Y),
        "borrow": ("borrow", "bout", "b_out"),
    },
    flags={"borrow": "borrow_out"},
    width_params={"a": ("width", _ident)},
)


# ---- ALU ---------------------------------------------------------------------------------------

ALU_OPS = ("add", "sub", "and", "or", "xor", "nor", "slt", "sltu")


class AluParams(Params):
    width: int = Field(8, ge=2, le=64, description="Operand width.")


def _alu_ports(p: AluParams) -> list[Port]:
    return [inp("a", p.width), inp("b", p.width), inp("op", 3), out("y", p.width), out("zero")]


def _alu_rtl(p: AluParams, module: str) -> str:
    decl = ",\n    ".join(x.decl("reg" if x.name == "y" else "wire") for x in _alu_ports(p))
    return f"""module {module} (
    {decl}
);
    // op: 0 add, 1 sub, 2 and, 3 or, 4 xor, 5 nor, 6 signed less-than, 7 unsigned less-than
    always @(*) begin
        case (op)
            3'd0: y = a + b;
            3'd1: y = a - b;
            3'd2: y = a & b;
            3'd3: y = a | b;
            3'd4: y = a ^ b;
            3'd5: y = ~(a | b);
            3'd6: y = {{{{({p.width - 1}){{1'b0}}}}, ($signed(a) < $signed(b))}};
            default: y = {{{{({p.width - 1}){{1'b0}}}}, (a < b)}};
        endcase
    end
    assign zero = (y == 0);
endmodule
"""


def _alu_model(p: AluParams) -> str:
    w, m = p.width, (1 << p.width) - 1
    return (
        _SIGNED
        + _COMB_CORE
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        a, b = ins["a"], ins["b"]
        results = [
            a + b,
            a - b,
            a & b,
            a | b,
            a ^ b,
            ~(a | b),
            int(_signed(a, {w}) < _signed(b, {w})),
            int(a < b),
        ]
        y = results[ins["op"]] & {m}
        return {{"y": y, "zero": int(y == 0)}}
"""
    )


ALU = Generator(
    name="alu",
    summary="ALU with op codes 0 add,1 sub,2 and,3 or,4 xor,5 nor,6 slt,7 sltu and a zero flag (width)",
    params=AluParams,
    keywords=(r"\balu\b", r"arithmetic[\s-]logic", r"\bopcode\b"),
    extract=_width,
    ports=_alu_ports,
    rtl=_alu_rtl,
    model=_alu_model,
    aliases={
        "a": _A,
        "b": _B,
        "op": ("op", "opcode", "sel", "ctrl", "alu_op", "func"),
        "y": _Y,
        "zero": ("zero", "z"),
    },
    width_params={"a": ("width", _ident)},
)


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
    ext = (lambda s: f"{{{{{w}{{{s}[{w - 1}]}}}}, {s}}}") if p.signed else (lambda s: f"{{{w}'d0, {s}}}")
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
        _SIGNED
        + _COMB_CORE
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"p": ({conv}) % {1 << (2 * w)}}}
"""
    )


def _mul_extract(text: str) -> dict[str, Any]:
    found = _width(text)
    if has(text, r"\bsigned\b") and not has(text, r"\bunsigned\b"):
        found["signed"] = True
    if has(text, r"shift[\s-]*(and[\s-]*)?add|array multiplier"):
        found["arch"] = "shift_add"
    return found


MULTIPLIER = Generator(
    name="multiplier",
    summary="N x N -> 2N-bit multiplier, signed or unsigned (width, signed, arch)",
    params=MultiplierParams,
    keywords=(r"\bmultipl(y|ier|ication)\b", r"\bproduct\b", r"\bmul\b"),
    extract=_mul_extract,
    ports=_mul_ports,
    rtl=_mul_rtl,
    model=_mul_model,
    aliases={"a": _A, "b": _B, "p": ("p", "prod", "product", *_Y)},
    width_params={"a": ("width", _ident)},
    area_variants=lambda p: [{"arch": "operator"}, {"arch": "shift_add"}],
)


# ---- comparator --------------------------------------------------------------------------------


class ComparatorParams(Params):
    width: int = Field(8, ge=1, le=64, description="Operand width.")
    signed: bool = Field(False, description="Compare as two's-complement numbers.")


def _cmp_ports(p: ComparatorParams) -> list[Port]:
    return [inp("a", p.width, p.signed), inp("b", p.width, p.signed), out("eq"), out("lt"), out("gt")]


def _cmp_rtl(p: ComparatorParams, module: str) -> str:
    decl = ",\n    ".join(x.decl() for x in _cmp_ports(p))
    return (
        f"module {module} (\n    {decl}\n);\n"
        "    assign eq = (a == b);\n    assign lt = (a < b);\n    assign gt = (a > b);\nendmodule\n"
    )


def _cmp_model(p: ComparatorParams) -> str:
    conv = (lambda n: f"_signed(ins['{n}'], {p.width})") if p.signed else (lambda n: f"ins['{n}']")
    return (
        _SIGNED
        + _COMB_CORE
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        a, b = {conv("a")}, {conv("b")}
        return {{"eq": int(a == b), "lt": int(a < b), "gt": int(a > b)}}
"""
    )


COMPARATOR = Generator(
    name="comparator",
    summary="Magnitude comparator with eq/lt/gt outputs (width, signed)",
    params=ComparatorParams,
    keywords=(r"\bcompar(e|ator|ison)\b", r"greater than", r"less than", r"\bequal(ity)?\b"),
    extract=lambda t: {**_width(t), **({"signed": True} if has(t, r"(?<!un)signed") else {})},
    ports=_cmp_ports,
    rtl=_cmp_rtl,
    model=_cmp_model,
    aliases={
        "a": _A,
        "b": _B,
        "eq": ("eq", "equal", "a_eq_b"),
        "lt": ("lt", "less", "a_lt_b"),
        "gt": ("gt", "greater", "a_gt_b"),
    },
    width_params={"a": ("width", _ident)},
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
    elem = (
        (lambda s: f"_signed(({s} >> ({w} * k)) % {1 << w}, {w})")
        if p.signed
        else (lambda s: f"(({s} >> ({w} * k)) % {1 << w})")
    )
    return (
        _SIGNED
        + _COMB_CORE
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        a, b = ins["a"], ins["b"]
        total = sum({elem("a")} * {elem("b")} for k in range({p.lanes}))
        return {{"y": total % {1 << p.out_width}}}
"""
    )


def _dot_extract(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    lanes = find_int(
        text,
        (
            r"\b(\d+|one|two|three|four|five|six|seven|eight)[\s-]*lanes?\b",
            r"\blanes?\s*(?:=|:)?\s*(\d+)",
            r"\b(\d+)[\s-]*elements?\b",
        ),
    )
    if lanes:
        found["lanes"] = lanes
    w = find_width(text)
    if w:
        found["width"] = w
    if has(text, r"(?<!un)signed"):
        found["signed"] = True
    return found


DOT_PRODUCT = Generator(
    name="dot_product",
    summary="Dot product of two packed vectors of N lanes (lanes, width, signed)",
    params=DotProductParams,
    keywords=(r"dot[\s_-]*product", r"\bmac\b", r"multiply[\s-]accumulate", r"\blanes?\b", r"inner product"),
    extract=_dot_extract,
    ports=_dot_ports,
    rtl=_dot_rtl,
    model=_dot_model,
    aliases={"a": _A, "b": _B, "y": ("y", "dot", "sum", *_Y)},
)
