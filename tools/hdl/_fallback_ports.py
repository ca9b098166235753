"""Interface of designs Yosys 0.23 cannot parse (newer SystemVerilog such as typedef'd enums).

Ports come from Verilator ``--json-only`` (in the sandbox); clocks and resets from the
sensitivity lists in the text (``@(posedge clk or negedge rst_n)``) and from names.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from tools.hdl._toolchain import run_tool, verilator
from tools.hdl.ports import DesignInfo, DesignReadError, Port, Reset, name_hints

_EDGE_LIST = re.compile(r"@\s*\(([^)]*\b(?:posedge|negedge)\b[^)]*)\)")
_EDGE = re.compile(r"\b(posedge|negedge)\s+([A-Za-z_]\w*)")
_INT_WIDTHS = {"int": 32, "integer": 32, "longint": 64, "shortint": 16, "byte": 8, "time": 64}


def read_with_verilator(text: str, top: str | None, wall_s: float) -> DesignInfo:
    """Describe ``text``'s top module from Verilator's JSON AST; see the module docstring.

    Raises:
        DesignReadError: reason ``syntax`` with Verilator's first error, or ``tool``.
    """
    with tempfile.TemporaryDirectory(prefix="qimeng-vports-") as tmp:
        work = Path(tmp)
        (work / "design.sv").write_text(text, encoding="utf-8")
        args = ["--json-only", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--json-only-output", "design.json"]
        args += ["--top-module", top] if top else []
        res = run_tool(verilator(), [*args, "design.sv"], work, wall_s=wall_s)
        out = work / "design.json"
        if not res.ok or not out.is_file():
            errors = [ln for ln in res.stderr.splitlines() if ln.startswith("%Error")]
            raise DesignReadError("syntax", (errors or [f"verilator {res.describe()}"])[0])
        tree: dict[str, Any] = json.loads(out.read_text())
    nodes: dict[str, dict[str, Any]] = {}
    _index(tree, nodes)
    modules = [m for m in tree.get("modulesp", []) if m.get("type") == "MODULE"]
    if not modules:
        raise DesignReadError("syntax", "verilator found no module")
    mod = next((m for m in modules if m.get("name") == top), modules[0])
    ports: list[Port] = []
    for var in mod.get("stmtsp", []):
        direction = str(var.get("direction", "NONE")).lower()
        if var.get("type") != "VAR" or direction not in ("input", "output", "inout"):
            continue
        dtype = nodes.get(var.get("dtypep", ""), {})
        ports.append(
            Port(
                name=var["name"],
                direction=direction,
                width=_width(dtype, nodes),
                signed=bool(dtype.get("signed")),
            )  # type: ignore[arg-type]
        )
    return _with_edges(text, mod["name"], sorted(m["name"] for m in modules), ports)


def _index(node: object, nodes: dict[str, dict[str, Any]]) -> None:
    if isinstance(node, dict):
        if "addr" in node:
            nodes[node["addr"]] = node
        for value in node.values():
            _index(value, nodes)
    elif isinstance(node, list):
        for value in node:
            _index(value, nodes)


def _width(dtype: dict[str, Any], nodes: dict[str, dict[str, Any]], depth: int = 0) -> int:
    if depth > 20:
        raise DesignReadError("tool", "port type nests too deeply to size")
    kind = dtype.get("type")
    if kind == "BASICDTYPE":
        rng = dtype.get("range")
        if rng:
            hi, lo = (int(x) for x in str(rng).split(":"))
            return abs(hi - lo) + 1
        return _INT_WIDTHS.get(str(dtype.get("keyword", "")), 1)
    if kind == "PACKARRAYDTYPE":
        hi, lo = (int(x) for x in str(dtype.get("declRange", "[0:0]")).strip("[]").split(":"))
        return (abs(hi - lo) + 1) * _width(nodes.get(dtype.get("refDTypep", ""), {}), nodes, depth + 1)
    if kind in ("ENUMDTYPE", "REFDTYPE", "TYPEDEF"):
        target = dtype.get("refDTypep") or dtype.get("subDTypep") or dtype.get("dtypep")
        if target and target != dtype.get("addr"):
            return _width(nodes.get(target, {}), nodes, depth + 1)
    if kind == "STRUCTDTYPE":
        return sum(
            _width(nodes.get(m.get("dtypep", ""), {}), nodes, depth + 1) for m in dtype.get("membersp", [])
        )
    raise DesignReadError("tool", f"cannot size a port of type {kind or 'unknown'}")


def _with_edges(text: str, top: str, modules: list[str], ports: list[Port]) -> DesignInfo:
    inputs = {p.name for p in ports if p.direction == "input" and p.width == 1}
    clocks: dict[str, bool] = {}
    resets: dict[str, Reset] = {}
    for match in _EDGE_LIST.finditer(text):
        edges = [(e, n) for e, n in _EDGE.findall(match.group(1)) if n in inputs]
        hinted = [(e, n) for e, n in edges if name_hints(n)[1] is not None]
        clock = next(((e, n) for e, n in edges if (e, n) not in hinted), None) or (
            edges[0] if edges else None
        )
        if clock:
            clocks[clock[1]] = clocks.get(clock[1], False) or clock[0] == "negedge"
        for edge, name in edges:
            if (edge, name) != clock and name not in resets:
                resets[name] = Reset(
                    name=name, active_low=edge == "negedge", asynchronous=True, source="logic"
                )
    info = DesignInfo(top=top, modules=modules, ports=ports, has_state=bool(clocks))
    for port in ports:
        is_clock, reset = name_hints(port.name) if port.name in inputs else (False, None)
        if is_clock and port.name not in resets:
            clocks.setdefault(port.name, False)
        if reset and port.name not in resets and port.name not in clocks:
            resets[port.name] = reset
    info.clocks = sorted(clocks)
    info.negedge_clocks = sorted(c for c, neg in clocks.items() if neg)
    info.resets = list(resets.values())
    return info
