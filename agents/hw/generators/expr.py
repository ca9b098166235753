"""Combinational logic given as Boolean equations in the text: 'z = (x ^ y) & x' (Verilog operators)
or 'F = A'B + AB'' (textbook notation: ' complements, juxtaposition ANDs, + ORs).

Each equation becomes one 1-bit output; every name on a right-hand side is a 1-bit input. The
parse tree is the parameter: the RTL prints it with Verilog operators, the model evaluates it with
Python's own truth tables. '+' is read as OR only where the text says the equation is Boolean
(in Verilog it would be addition); an equation that mixes notations or cannot be read is refused.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from agents.hw.generators._base import COMB_HEAD, Found, Generator, Params, decls, inp, out
from agents.hw.interface import Port

# A tree is a name, '0'/'1', or (op, operand, ...) with op in not/and/or/xor.
Tree = Any

_STATEMENT = re.compile(
    r"\b([A-Za-z_]\w*)\s*=\s*([A-Za-z0-9_\s~!&|^()'+*·]+?)\s*(?:[.;,]\s|[.;]?$|\n\n)", re.M
)
_TOKEN = re.compile(r"\s*(?:([A-Za-z_]\w*)|([01])\b|(\S))")


class ExprParams(Params):
    equations: tuple[tuple[str, Tree], ...] = Field(
        (), description="(output, parse tree) per equation; names in a tree are 1-bit inputs."
    )

    @model_validator(mode="after")
    def _fits(self) -> ExprParams:
        if not self.equations:
            raise ValueError("no Boolean equation ('y = a & ~b' or 'F = AB' + C') was read from the text")
        outs = {o for o, _ in self.equations}
        if outs & set(_names(self)):
            raise ValueError("an output is also used as an input of an equation")
        return self


def _vars(tree: Tree, acc: list[str]) -> list[str]:
    if isinstance(tree, str):
        if tree not in ("0", "1") and tree not in acc:
            acc.append(tree)
    else:
        for sub in tree[1:]:
            _vars(sub, acc)
    return acc


def _names(p: ExprParams) -> list[str]:
    acc: list[str] = []
    for _, tree in p.equations:
        _vars(tree, acc)
    return acc


def _ports(p: ExprParams) -> list[Port]:
    return [*(inp(n) for n in _names(p)), *(out(o) for o, _ in p.equations)]


def _verilog(tree: Tree) -> str:
    if isinstance(tree, str):
        return f"1'b{tree}" if tree in ("0", "1") else tree
    op, *args = tree
    if op == "not":
        return f"~{_verilog(args[0])}"
    sym = {"and": " & ", "or": " | ", "xor": " ^ "}[op]
    return "(" + sym.join(_verilog(a) for a in args) + ")"


def _rtl(p: ExprParams, module: str) -> str:
    body = "\n".join(f"    assign {o} = {_verilog(t)};" for o, t in p.equations)
    return f"module {module} (\n    {decls(_ports(p))}\n);\n{body}\nendmodule\n"


def _model(p: ExprParams) -> str:
    return (
        COMB_HEAD
        + f"""
    _EQUATIONS = {p.equations!r}

    def _value(self, tree, ins):
        if isinstance(tree, str):
            return int(tree) if tree in ("0", "1") else ins[tree] & 1
        op, *args = tree
        values = [self._value(a, ins) for a in args]
        if op == "not":
            return 1 - values[0]
        if op == "and":
            return int(all(values))
        if op == "or":
            return int(any(values))
        return sum(values) % 2

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{o: self._value(t, ins) for o, t in self._EQUATIONS}}
"""
    )


class _Parser:
    """Recursive descent: or > xor > and > prefix not > postfix ' > atom (Verilog precedence)."""

    def __init__(self, text: str, textbook: bool, words: bool = False) -> None:
        toks = [m.group(1) or m.group(2) or m.group(3) for m in _TOKEN.finditer(text)]
        toks = [t.lower() if words and t.lower() in _WORD_OPS else t for t in toks if t]
        if textbook:  # 'AB' is A AND B in textbook notation: names are single letters there
            toks = [
                c
                for t in toks
                for c in (t if re.fullmatch(r"[A-Za-z]{2,}", t) and t not in _WORD_OPS else [t])
            ]
        self.toks, self.i, self.textbook, self.words = toks, 0, textbook, words

    def parse(self) -> Tree:
        tree = self._binary(0)
        if self.i != len(self.toks):
            raise ValueError(f"unexpected '{self.toks[self.i]}'")
        return tree

    def _peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _binary(self, level: int) -> Tree:
        ops = [("or", ("|", "+", "or")), ("xor", ("^", "xor")), ("and", ("&", "*", "·", "and"))]
        if level == 3:
            return self._unary()
        name, syms = ops[level]
        args = [self._binary(level + 1)]
        while True:
            tok = self._peek()
            if (self.words and tok == "n" + name) or (name == "xor" and tok == "xnor" and self.words):
                if len(args) > 1:
                    raise ValueError(f"'{tok}' chained with '{name}' is ambiguous")
                self.i += 1
                args.append(self._binary(level + 1))
                if self._peek() in (*syms, tok):
                    raise ValueError(f"a chain of '{tok}' is ambiguous; use parentheses")
                return ("not", (name, *args))
            if self.words and tok == "and" and self.toks[self.i + 1 : self.i + 3] == ["-", "not"]:
                self.i += 3
                args.append(("not", self._binary(level + 1)))
                continue
            if tok in syms and (tok.isalpha() is False or self.words):
                if tok == "+" and not self.textbook:
                    raise ValueError("'+' is addition in Verilog; say the equation is Boolean")
                self.i += 1
            elif not (
                name == "and"
                and self.textbook
                and tok is not None
                and (tok == "(" or tok[0].isalnum())
                and tok not in _WORD_OPS
            ):
                break
            args.append(self._binary(level + 1))
        return args[0] if len(args) == 1 else (name, *args)

    def _unary(self) -> Tree:
        tok = self._peek()
        if tok in ("~", "!") or (self.words and tok == "not"):
            self.i += 1
            return ("not", self._unary())
        if tok == "(":
            self.i += 1
            tree = self._binary(0)
            if self._peek() != ")":
                raise ValueError("unbalanced parentheses")
            self.i += 1
        elif (
            tok is not None
            and (tok[0].isalpha() or tok[0] == "_" or tok in ("0", "1"))
            and tok not in _WORD_OPS
        ):
            self.i += 1
            tree = tok
        else:
            raise ValueError(f"unexpected '{tok}'")
        while self._peek() == "'":
            self.i += 1
            tree = ("not", tree)
        return tree


_WORD_OPS = ("and", "or", "xor", "nand", "nor", "xnor", "not")
_PROSE = re.compile(
    r"\s(?:(?i:with|where|for|when|if|using|in|of|that|which|as|the|is|to|on|from|given|over)|and|or)\b"
)
_LIST_ITEM = re.compile(
    r"^[ \t]*(?:\(\d+\)[ \t]*)?([A-Za-z_]\w*)[ \t]*:[ \t]*([A-Za-z0-9_ \t~!&|^()'*·-]+?)[ \t]*\.?[ \t]*$",
    re.M,
)
_BOOLEAN = r"\bboolean\b|\blogic (?:function|equation|expression)s?\b|\bsum[\s-]+of[\s-]+products\b"
_SEQUENTIAL = r"\bclock|\bclk\b|flip[\s-]*flop|\bregister|\blatch|\bstate\b"


def _extract(text: str) -> Found:
    found = Found()
    seq = re.search(_SEQUENTIAL, text, re.I)
    if seq:
        found.lack(f"a combinational circuit (the text says '{seq.group(0)}')")
        return found
    textbook = re.search(_BOOLEAN, text, re.I) is not None
    equations, words = [], []
    statements = [(m, _PROSE.split(m.group(2))[0].strip(), False) for m in _STATEMENT.finditer(text)]
    statements += [(m, m.group(2).strip(), True) for m in _LIST_ITEM.finditer(text)]
    for m, rhs, listed in statements:
        lhs = m.group(1)
        words_ops = listed or re.search(r"\b(?:AND|OR|XOR|NAND|NOR|XNOR|NOT)\b", rhs) is not None
        if not re.search(r"[~!&|^'+*·]|[A-Za-z_]\w*\s+[A-Za-z_(]", rhs):
            continue  # 'sel = 0' is a condition, not an equation
        if listed and not re.search(r"[~!&|^]|\b(?:and|or|xor|nand|nor|xnor|not)\b", rhs, re.I):
            continue  # a list item in prose, not an equation
        try:
            tree = _Parser(rhs, textbook, words_ops).parse()
        except ValueError as exc:
            found.lack(f"an equation it can read ('{m.group(0).strip()}': {exc})")
            return found
        equations.append((lhs, tree))
        words.append(m.group(0).strip())
    outs = [o for o, _ in equations]
    if not equations:
        found.lack("a Boolean equation such as 'y = a & ~b' or 'F = AB' + C'")
    elif len(set(outs)) != len(outs):
        found.lack(f"one equation per output (the text gives several for {outs})")
    else:
        found.put("equations", tuple(equations), " | ".join(words))
        count = re.search(r"\b(\d+)\s+outputs\b", text, re.I)
        if count and int(count.group(1)) != len(outs):
            found.lack(f"an equation for each of the {count.group(1)} outputs (read {len(outs)})")
        elif count:
            found.note("outputs", len(outs), count.group(0))
        unread = [
            m.group(0)
            for m in re.finditer(r"\b([A-Za-z_]\w*)\s*=(?!=)\s*(?![01]\b)", text)
            if m.group(1) not in outs and m.group(1) not in _names(ExprParams(equations=tuple(equations)))
        ]
        if unread:
            found.lack(f"every equation in a form it can read (not read: {', '.join(unread)})")
    return found


EXPRESSION = Generator(
    name="expression",
    summary="Combinational logic from Boolean equations in the text (Verilog or textbook notation)",
    params=ExprParams,
    keywords=(
        r"\bboolean (?:function|expression|equation)s?\b",
        r"\blogic (?:function|equation|expression)s?\b",
        r"\bsum[\s-]+of[\s-]+products\b",
        r"(?m)^[ \t]*(?:\(\d+\)[ \t]*)?\w+[ \t]*:[ \t]*\w+[ \t]+(?:and|or|xor|nand|nor|xnor)\b",
    ),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    required=("equations",),
    positional=(),
)
