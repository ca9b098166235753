"""Module interfaces: ports with names, directions, widths and signedness, and a parser for the
ways a request states them (a Verilog module header or a bullet list of ports).

The offline designer must honor a given interface exactly, so this module is strict: anything it
cannot read is a :class:`~tools.errors.UsageError` that says what was expected.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from tools.errors import UsageError

Direction = Literal["input", "output"]


class Port(BaseModel):
    """One port of a module."""

    name: str = Field(description="Port name as it appears in the Verilog.")
    direction: Direction = Field(description="'input' or 'output'.")
    width: int = Field(1, ge=1, le=4096, description="Bit width.")
    signed: bool = Field(False, description="Declared signed (values still travel as unsigned ints).")

    def decl(self, kind: str = "wire") -> str:
        """The ANSI port declaration, e.g. ``input wire [7:0] a``."""
        rng = f"[{self.width - 1}:0] " if self.width > 1 else ""
        sgn = "signed " if self.signed else ""
        return f"{self.direction} {kind} {sgn}{rng}{self.name}"


class Interface(BaseModel):
    """A module name and its ports in declaration order."""

    module: str = Field("top", description="Module name.")
    ports: list[Port] = Field(default_factory=list, description="Ports in declaration order.")

    def port(self, name: str) -> Port:
        """The port called ``name``; KeyError lists the known ports."""
        for p in self.ports:
            if p.name == name:
                return p
        raise KeyError(f"no port '{name}'; ports: {', '.join(p.name for p in self.ports)}")

    def header(self, output_kind: dict[str, str] | None = None) -> str:
        """The ANSI module header, ending with ``);``; ``output_kind`` maps output names to 'reg'."""
        kinds = output_kind or {}
        decls = [p.decl(kinds.get(p.name, "wire")) for p in self.ports]
        return f"module {self.module} (\n    " + ",\n    ".join(decls) + "\n);"


_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_HEADER = re.compile(r"\bmodule\s+(" + _IDENT + r")\s*(?:#\s*\(.*?\)\s*)?\((.*?)\)\s*;", re.S)
_RANGE = re.compile(r"\[\s*(\d+)\s*:\s*(\d+)\s*\]")
_BULLET = re.compile(
    r"^[ \t]*[-*][ \t]*(input|output)[ \t]+(?:(?:wire|reg|logic)[ \t]+)?(signed[ \t]+)?"
    r"(?:\[[ \t]*(\d+)[ \t]*:[ \t]*(\d+)[ \t]*\][ \t]*)?"
    r"(" + _IDENT + r")[ \t]*(?:\([ \t]*(\d+)[ \t]*bits?[ \t]*\))?",
    re.M | re.I,
)
_MODULE_NAMED = re.compile(r"module\s+named\s+(" + _IDENT + r")", re.I)


def parse_interface(text: str) -> Interface | None:
    """Find an interface in ``text``: a Verilog ``module`` header, else a bullet list of ports.

    Returns None when the text states no ports. Raises UsageError on a header it cannot read
    (non-ANSI port lists, parameterized widths, duplicate names).
    """
    m = _HEADER.search(text)
    if m:
        return _parse_header(m.group(1), m.group(2))
    bullets = list(_BULLET.finditer(text))
    if not bullets:
        return None
    named = _MODULE_NAMED.search(text)
    ports = []
    for b in bullets:
        direction, signed, hi, lo, name, bits = b.groups()
        width = int(bits) if bits else (abs(int(hi) - int(lo)) + 1 if hi is not None else 1)
        ports.append(Port(name=name, direction=direction.lower(), width=width, signed=bool(signed)))  # type: ignore[arg-type]
    return _checked(Interface(module=named.group(1) if named else "top", ports=ports))


def _parse_header(module: str, body: str) -> Interface:
    body = re.sub(r"//[^\n]*|/\*.*?\*/", " ", body, flags=re.S)
    ports: list[Port] = []
    direction: str | None = None
    width, signed = 1, False
    for raw in body.split(","):
        item = raw.strip()
        if not item:
            continue
        words = re.match(r"^(input|output|inout)\b(.*)$", item, re.S)
        if words:
            direction = words.group(1)
            rest = words.group(2)
            signed = bool(re.search(r"\bsigned\b", rest))
            rng = _RANGE.search(rest)
            if "[" in rest and not rng:
                raise UsageError(f"cannot read the width in port '{item}'; use numeric ranges like [7:0]")
            width = abs(int(rng.group(1)) - int(rng.group(2))) + 1 if rng else 1
            rest = _RANGE.sub(" ", rest)
            names = [w for w in re.findall(_IDENT, rest) if w not in ("wire", "reg", "logic", "signed")]
        else:
            names = re.findall(_IDENT, item)
        if direction is None:
            raise UsageError(
                f"module {module}: port list without directions ('{item}'); "
                "give an ANSI header such as 'module m(input [7:0] a, output y);'"
            )
        if direction == "inout":
            raise UsageError(f"module {module}: inout port '{item}' is not supported; use input or output")
        if len(names) != 1:
            raise UsageError(f"module {module}: cannot read port declaration '{item}'")
        ports.append(Port(name=names[0], direction=direction, width=width, signed=signed))  # type: ignore[arg-type]
    return _checked(Interface(module=module, ports=ports))


def _checked(iface: Interface) -> Interface:
    seen: set[str] = set()
    for p in iface.ports:
        if p.name in seen:
            raise UsageError(f"module {iface.module}: port '{p.name}' is declared twice")
        seen.add(p.name)
    return iface
