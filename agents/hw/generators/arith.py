"""Adding and comparing generators: adder, subtractor, ALU, comparator."""

from __future__ import annotations

import re

from pydantic import Field

from agents.hw.generators._base import WORDS_SEP, Found, Generator, Params, inp, out, read_width
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


def _width(text: str) -> Found:
    found = Found()
    read_width(found, text)
    return found


# ---- adder -------------------------------------------------------------------------------------


class AdderParams(Params):
    width: int = Field(8, ge=1, le=64, description="Operand width.")
    carry_in: bool = Field(False, description="Has a carry input cin.")
    carry_out: bool = Field(True, description="Has a carry output cout.")


def _adder_extract(text: str) -> Found:
    found = _width(text)
    if found.search("carry_in", text, r"\b(?:without|no)\s+(?:a\s+)?carry[\s_-]*in\b", False) is None:
        found.search("carry_in", text, r"carry[\s_-]*in|\bcin\b", True)
    if (
        found.search(
            "carry_out", text, r"\b(?:without|no)\s+(?:a\s+)?carry(?:[\s_-]*out)?\b(?![\s_-]*in)", False
        )
        is None
    ):
        found.search("carry_out", text, r"carry[\s_-]*out|\bcout\b", True)
    signed = re.search(r"(?<!un)signed|two'?s[\s-]*complement|2'?s[\s-]*complement", text, re.I)
    overflow = re.search(r"\boverflow(?:\s+bit)?\b", text, re.I)
    if overflow and not signed:  # unsigned overflow is the carry out
        found.note("overflow", "the carry out", overflow.group(0))
    elif overflow:
        found.lack(
            f"an unsigned sum (with '{signed.group(0) if signed else ''}' numbers, overflow is not the carry out)"
        )
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
    required=("width",),
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
    required=("width",),
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


_OP_WORDS = {
    "sltu": r"\bsltu\b|unsigned\s+(?:set[\s-]+)?less|unsigned\s+compar",
    "slt": r"\bslt\b|signed\s+(?:set[\s-]+)?less|(?<!un)signed\s+compar",
    "nor": r"\bnor\b|~\s*\(\s*a\s*\|\s*b\s*\)",
    "xor": r"\bxor\b|a\s*\^\s*b",
    "add": r"\badd(ition)?\b|\bplus\b|a\s*\+\s*b|\bsum\b",
    "sub": r"\bsub(tract(ion)?)?\b|\bminus\b|a\s*-\s*b|\bdifference\b",
    "and": r"\band\b|a\s*&\s*b",
    "or": r"(?<!x)(?<!n)\bor\b|a\s*\|\s*b",
}


def _op_table(text: str) -> dict[int, tuple[str, str]]:
    """Op code -> (operation, line) for every line that names one code and one operation."""
    table: dict[int, tuple[str, str]] = {}
    for line in text.splitlines():
        ops = []
        rest = line
        for op, pat in _OP_WORDS.items():
            if re.search(pat, rest, re.I):
                ops.append(op)
                rest = re.sub(pat, " ", rest, flags=re.I)
        codes = re.findall(r"(?<![\w'])(\d*'[bdh][0-9a-f]+|[01]{2,}|\d+)(?![\w'])", rest, re.I)
        if len(ops) == 1 and len(codes) == 1:
            table[_code_value(codes[0])] = (ops[0], line.strip())
    return table


def _code_value(code: str) -> int:
    if "'" in code:
        base = {"b": 2, "d": 10, "h": 16}[code.split("'")[1][0].lower()]
        return int(code.split("'")[1][1:], base)
    return int(code, 2) if len(code) > 1 and set(code) <= {"0", "1"} else int(code)


def _alu_extract(text: str) -> Found:
    found = _width(text)
    table = _op_table(text)
    ours = dict(enumerate(ALU_OPS))
    stated = {code: op for code, (op, _) in table.items()}
    if stated == ours:
        found.note("ops", ",".join(ALU_OPS), WORDS_SEP.join(line for _, line in table.values()))
    elif not stated:
        found.lack("an operation table (op code -> operation)")
    else:
        found.lack(
            "an operation table this ALU builds: the text gives "
            + ", ".join(f"{c}:{o}" for c, o in sorted(stated.items()))
            + "; it builds "
            + ", ".join(f"{c}:{o}" for c, o in ours.items())
        )
    op_bits = re.search(r"\b(\d+)[\s-]*bits?\s+(?:op|opcode|operation|select)", text, re.I)
    if op_bits and int(op_bits.group(1)) == 3:
        found.note("op_width", 3, op_bits.group(0))
    elif op_bits:
        found.lack(f"a 3-bit op code ('{op_bits.group(0)}'; this ALU has eight operations)")
    return found


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
    extract=_alu_extract,
    required=("width",),
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


# ---- comparator --------------------------------------------------------------------------------


class ComparatorParams(Params):
    width: int = Field(8, ge=1, le=64, description="Operand width.")
    signed: bool = Field(False, description="Compare as two's-complement numbers.")


def _cmp_extract(text: str) -> Found:
    found = _width(text)
    if found.search("signed", text, r"\bunsigned\b", False) is None:
        found.search("signed", text, r"(?<!un)signed|two'?s[\s-]*complement|2'?s[\s-]*complement", True)
    return found


def _cmp_ports(p: ComparatorParams) -> list[Port]:
    return [inp("a", p.width, p.signed), inp("b", p.width, p.signed), out("eq"), out("lt"), out("gt")]


def _cmp_rtl(p: ComparatorParams, module: str) -> str:
    decl = ",\n    ".join(x.decl() for x in _cmp_ports(p))
    return (
        f"module {module} (\n    {decl}\n);\n"
        "    assign eq = (a == b);\n    assign lt = (a < b);\n    assign gt = (a > b);\nendmodule\n"
    )


def _cmp_model(p: ComparatorParams) -> str:

    def conv(n: str) -> str:
        return f"_signed(ins['{n}'], {p.width})" if p.signed else f"ins['{n}']"

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
    extract=_cmp_extract,
    required=("width",),
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


SIGNED_HELPER = _SIGNED
OPERAND_A = _A
OPERAND_B = _B
RESULT = _Y
