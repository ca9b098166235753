"""Synthesis report with Yosys: ``synth -top T; stat -json -tech cmos; ltp -noff``.

Area is Yosys's CMOS transistor estimate (``stat -tech cmos``); flip-flops are counted from the
cell types (their transistors are not in that estimate, which Yosys marks with a ``+``); logic
depth is the longest topological path between flip-flops/ports (``ltp -noff``) in gates.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

from tools.errors import QimengError
from tools.evidence import Check
from tools.hdl import _toolchain as tc
from tools.hdl.ports import module_names, yosys_friendly
from tools.tracing import tool_span

_LTP = re.compile(r"Longest topological path in \S+ \(length=(\d+)\)")


class SynthError(QimengError):
    """Yosys could not synthesise the design; the message quotes its first error."""


class SynthReport(BaseModel):
    """Generic-gate synthesis results for one top module."""

    top: str = Field(description="Top module synthesised.")
    cells: dict[str, int] = Field(default_factory=dict, description="Cell count by Yosys internal gate type.")
    cell_count: int = Field(0, description="All cells.")
    transistors: int = Field(
        0, description="CMOS transistor estimate of the combinational cells (area proxy)."
    )
    transistors_partial: bool = Field(
        False, description="True when some cells (e.g. flip-flops) have no estimate."
    )
    flip_flops: int = Field(
        0, description="Flip-flop bits (cells whose type contains DFF or DLATCH count as state)."
    )
    logic_depth: int = Field(0, description="Longest combinational path in gates (ltp -noff).")
    tool: str = ""
    duration_s: float = 0.0

    def to_check(self) -> Check:
        """The report as evidence (``pass``: synthesis succeeded)."""
        summary = f"{self.cell_count} cells, ~{self.transistors} transistors, {self.flip_flops} FFs, depth {self.logic_depth}"
        return Check(
            name="synth",
            tool=self.tool,
            status="pass",
            summary=summary,
            details=self.model_dump(),
            duration_s=self.duration_s,
        )


@tool_span("synth", lambda report: "pass")
def synth(source: str, top: str | None = None, *, timeout_s: float = 120.0) -> SynthReport:
    """Synthesise ``source`` to generic gates and report cells, area, flip-flops and depth.

    Raises:
        UsageError: empty, huge or binary source, or a ``top`` that the source does not declare.
        SynthError: when Yosys fails (syntax error, unsupported construct, time limit).
    """
    text = tc.check_source(source, "the design source")
    names = module_names(text)
    if top is not None and names and top not in names:
        from tools.errors import UsageError

        raise UsageError(f"no module named '{top}'; modules found: {', '.join(names)}")
    start = time.monotonic()
    target = f"-top {top}" if top else "-auto-top"
    script = (
        f"read_verilog -sv design.sv; synth {target}; tee -q -o stat.json stat -json -tech cmos; ltp -noff"
    )
    with tempfile.TemporaryDirectory(prefix="qimeng-synth-") as tmp:
        work = Path(tmp)
        (work / "design.sv").write_text(yosys_friendly(text), encoding="utf-8")
        res = tc.run_tool(tc.yosys(), ["-p", script], work, wall_s=timeout_s)
        stat_path = work / "stat.json"
        if not res.ok or not stat_path.is_file():
            log = res.stdout + res.stderr
            error = next((ln.strip() for ln in log.splitlines() if "ERROR" in ln), res.describe())
            raise SynthError(f"yosys synthesis failed: {error}")
        stat = json.loads(stat_path.read_text())
    modules = stat.get("modules", {})
    name = next(iter(modules), "\\" + (top or "?"))
    design = stat.get("design", modules.get(name, {}))
    cells: dict[str, int] = dict(design.get("num_cells_by_type", {}))
    estimate = str(design.get("estimated_num_transistors", "0"))
    depths = [int(d) for d in _LTP.findall(res.stdout)]
    return SynthReport(
        top=name.lstrip("\\"),
        cells=cells,
        cell_count=int(design.get("num_cells", 0)),
        transistors=int(estimate.rstrip("+") or 0),
        transistors_partial=estimate.endswith("+"),
        flip_flops=sum(n for kind, n in cells.items() if "DFF" in kind.upper() or "DLATCH" in kind.upper()),
        logic_depth=max(depths, default=0),
        tool=tc.yosys().label,
        duration_s=time.monotonic() - start,
    )
