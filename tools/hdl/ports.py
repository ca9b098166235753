"""A design's interface from Yosys: ports (name, direction, width, signedness), clocks and resets.

Yosys reads the source (``read_verilog -sv; hierarchy; proc; flatten; opt_dff; write_json``) in the
sandbox. Clocks are the 1-bit inputs that drive flip-flop clock pins (or are named like a clock);
resets are the 1-bit inputs that drive asynchronous or synchronous reset pins of flip-flops, or are
named like a reset (rst, reset, areset, rst_n, resetn, ...), with polarity from the flip-flop or the name.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.hdl._toolchain import check_source, run_tool, yosys
from tools.tracing import tool_span

Direction = Literal["input", "output", "inout"]
DESIGN_FILE = "design.sv"

_CLOCK_NAME = re.compile(r"^(?:i_)?(?:clk|clock|aclk|sys_?clk|clk_?in)(?:_i)?$", re.I)
_RESET_NAME = re.compile(
    r"^(?:i_)?(?P<a>a)?(?:sync_)?(?:rst|reset|clr|clear)(?P<n>_?n|_b|_l|_ni)?(?:_i)?$|^(?:i_)?(?P<pre>n)(?:rst|reset)$",
    re.I,
)
_MODULE = re.compile(r"^\s*module\s+(?:automatic\s+|static\s+)?([A-Za-z_][\w$]*)", re.M)


class Port(BaseModel):
    """One port of a module."""

    name: str = Field(description="Port name as written in the source.")
    direction: Direction = Field(description="input, output or inout.")
    width: int = Field(description="Width in bits.")
    signed: bool = Field(False, description="Declared signed.")


class Reset(BaseModel):
    """A reset input and how it acts."""

    name: str = Field(description="Port name.")
    active_low: bool = Field(description="True when the reset is asserted at 0.")
    asynchronous: bool = Field(description="True when it acts without a clock edge.")
    source: Literal["logic", "name"] = Field(
        description="Inferred from flip-flop pins or from the name only."
    )


class DesignInfo(BaseModel):
    """What the checkers need to know about a design's top module."""

    top: str = Field(description="Top module name.")
    modules: list[str] = Field(default_factory=list, description="All modules Yosys read.")
    ports: list[Port] = Field(default_factory=list)
    clocks: list[str] = Field(default_factory=list, description="Clock inputs (1-bit).")
    dual_edge_clocks: list[str] = Field(
        default_factory=list, description="Clocks with flip-flops on both edges (sampled at both levels)."
    )
    negedge_clocks: list[str] = Field(
        default_factory=list, description="Clocks whose flip-flops use the falling edge."
    )
    resets: list[Reset] = Field(default_factory=list)
    has_state: bool = Field(False, description="True when the design has flip-flops or latches.")

    @property
    def inputs(self) -> list[Port]:
        """Input ports in declaration order."""
        return [p for p in self.ports if p.direction == "input"]

    @property
    def outputs(self) -> list[Port]:
        """Output ports in declaration order."""
        return [p for p in self.ports if p.direction == "output"]

    def port(self, name: str) -> Port | None:
        """The port called ``name``, or None."""
        return next((p for p in self.ports if p.name == name), None)


class DesignReadError(Exception):
    """Yosys could not read the design; ``reason`` is one of syntax, top, tool."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def module_names(source: str) -> list[str]:
    """Module names declared in ``source`` (a quick textual scan, for messages and renaming)."""
    return _MODULE.findall(_strip_comments(source))


def _strip_comments(source: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", source, flags=re.S)


@tool_span("read_design", lambda info: "pass")
def read_design(source: str, top: str | None = None, *, wall_s: float = 30.0) -> DesignInfo:
    """Read ``source`` with Yosys and describe its top module.

    Args:
        source: Verilog/SystemVerilog text (untrusted; read in the sandbox).
        top: top module; None lets Yosys pick the module nothing instantiates.

    Raises:
        DesignReadError: reason ``syntax`` (Yosys rejected the source, message quotes it),
            ``top`` (no module called ``top``; the message lists the modules found) or ``tool``.
        UsageError: when the source is empty, huge or binary.
    """
    text = check_source(source, "the design source")
    names = module_names(text)
    if top is not None and names and top not in names:
        raise DesignReadError("top", f"no module named '{top}'; modules found: {', '.join(names)}")
    try:
        return _read_with_yosys(text, top, names, wall_s)
    except DesignReadError as exc:
        if exc.reason != "syntax":
            raise
        from tools.hdl._fallback_ports import read_with_verilator  # newer SystemVerilog than Yosys 0.23 reads

        try:
            return read_with_verilator(text, top, wall_s)
        except DesignReadError:
            raise exc from None


def yosys_friendly(text: str) -> str:
    """``text`` with ``always_comb``/``always_latch`` as ``always @*``: Yosys 0.23 rejects some
    always_comb blocks it wrongly believes infer latches; the behaviour is the same."""
    return re.sub(r"\balways_(?:comb|latch)\b", "always @*", text)


def _read_with_yosys(text: str, top: str | None, names: list[str], wall_s: float) -> DesignInfo:
    hier = f"hierarchy -check -top {top}" if top else "hierarchy -check -auto-top"
    script = f"read_verilog -sv {DESIGN_FILE}; {hier}; proc; flatten; opt_dff -nodffe; write_json design.json"
    with tempfile.TemporaryDirectory(prefix="qimeng-ports-") as tmp:
        work = Path(tmp)
        (work / DESIGN_FILE).write_text(yosys_friendly(text), encoding="utf-8")
        res = run_tool(yosys(), ["-q", "-p", script], work, wall_s=wall_s)
        out = work / "design.json"
        if not res.ok or not out.is_file():
            raise _read_error(res.stderr + res.stdout, res.describe(), top, names)
        data: dict[str, Any] = json.loads(out.read_text())
    return _describe(data, top)


def _read_error(log: str, how: str, top: str | None, names: list[str]) -> DesignReadError:
    lines = [ln.strip() for ln in log.splitlines() if "ERROR" in ln or "error" in ln.lower()]
    first = lines[0] if lines else (log.strip().splitlines() or [how])[-1]
    if "not found" in first and top:
        return DesignReadError("top", f"no module named '{top}'; modules found: {', '.join(names) or 'none'}")
    if "ERROR" in log or lines:
        return DesignReadError("syntax", f"yosys could not read the design: {first.removeprefix('ERROR: ')}")
    return DesignReadError("tool", f"yosys {how}: {first}")


def _describe(data: dict[str, Any], top: str | None) -> DesignInfo:
    modules: dict[str, Any] = data.get("modules", {})
    chosen = top or next(
        (n for n, m in modules.items() if str(m.get("attributes", {}).get("top", "0")).strip("0") != ""),
        next(iter(modules), ""),
    )
    mod = modules[chosen]
    ports = [
        Port(name=n, direction=p["direction"], width=len(p["bits"]), signed=bool(p.get("signed", 0)))
        for n, p in mod["ports"].items()
    ]
    bit_of = {
        p["bits"][0]: n for n, p in mod["ports"].items() if p["direction"] == "input" and len(p["bits"]) == 1
    }
    clocks: dict[str, bool] = {}
    polarities: dict[str, set[int]] = {}
    resets: dict[str, Reset] = {}
    has_state = False
    for cell in mod.get("cells", {}).values():
        kind: str = cell["type"]
        conn, par = cell.get("connections", {}), cell.get("parameters", {})
        if "dff" in kind or "dlatch" in kind or kind.startswith("$mem"):
            has_state = True
        for pin, pol_key in (("CLK", "CLK_POLARITY"),):
            for bit in conn.get(pin, []):
                if bit in bit_of:
                    clocks[bit_of[bit]] = clocks.get(bit_of[bit], False) or _bit(par.get(pol_key, "1")) == 0
                    polarities.setdefault(bit_of[bit], set()).add(_bit(par.get(pol_key, "1")))
        for pin, pol_key, is_async in (("ARST", "ARST_POLARITY", True), ("SRST", "SRST_POLARITY", False)):
            for bit in conn.get(pin, []):
                if bit in bit_of and bit_of[bit] not in resets:
                    low = _bit(par.get(pol_key, "1")) == 0
                    resets[bit_of[bit]] = Reset(
                        name=bit_of[bit], active_low=low, asynchronous=is_async, source="logic"
                    )
    for port in ports:
        if port.direction != "input" or port.width != 1:
            continue
        is_clock, reset = name_hints(port.name)
        if is_clock and port.name not in clocks and port.name not in resets:
            clocks[port.name] = False
        if reset and port.name not in resets and port.name not in clocks:
            resets[port.name] = reset
    return DesignInfo(
        top=chosen,
        modules=sorted(modules),
        ports=ports,
        clocks=sorted(clocks),
        negedge_clocks=sorted(c for c, neg in clocks.items() if neg),
        dual_edge_clocks=sorted(c for c, pols in polarities.items() if len(pols) == 2),
        resets=list(resets.values()),
        has_state=has_state,
    )


def name_hints(name: str) -> tuple[bool, Reset | None]:
    """Whether ``name`` reads like a clock, and the reset it reads like (polarity, async) if any."""
    m = _RESET_NAME.match(name)
    reset = None
    if m:
        reset = Reset(
            name=name, active_low=bool(m["n"] or m["pre"]), asynchronous=bool(m["a"]), source="name"
        )
    return bool(_CLOCK_NAME.match(name)), reset


def _bit(value: object) -> int:
    text = str(value)
    return int(text, 2) if text and set(text) <= {"0", "1"} else int(text or "1")
