"""A verified design's run directory holds a cocotb bench that reruns its checks with plain cocotb."""

from __future__ import annotations

import json
from pathlib import Path

from agents.hw.nodes import Roles
from graphs.hw import design_block
from tools.hdl import _toolchain as tc

COUNTER = """A 4-bit binary up counter with enable and a synchronous active-high reset.

module TopModule (input clk, input reset, input en, output [3:0] q);
"""


def _rerun(run_dir: Path) -> tc.SandboxResult:
    """``python cocotb/run.py icarus`` in the run directory: cocotb only, no qimeng import."""
    return tc.run_tool(tc.python_tool(), ["cocotb/run.py", "icarus"], run_dir, wall_s=300)


def test_the_exported_bench_passes_on_the_design_and_fails_on_a_mutant(tmp_path: Path) -> None:
    design = design_block(COUNTER, roles=Roles(), run_root=tmp_path)
    assert design.status == "verified"
    run_dir = Path(design.run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    bench = sorted(a["path"] for a in manifest["artifacts"] if a["kind"] == "testbench")
    assert bench == ["cocotb/bench.json", "cocotb/model.py", "cocotb/run.py", "cocotb/test_design.py"]
    assert "qimeng" not in (run_dir / "cocotb" / "test_design.py").read_text(encoding="utf-8").split('"""')[2]
    good = _rerun(run_dir)
    assert good.ok and "0 failed" in good.stdout, good.stdout[-1500:] + good.stderr[-1500:]
    mutant = design.rtl.replace("q + 4'd1", "q + 4'd2")
    assert mutant != design.rtl
    (run_dir / "design.v").write_text(mutant, encoding="utf-8")
    bad = _rerun(run_dir)
    assert bad.exit_code == 1
    assert "random_against_model/seed=1   FAIL" in bad.stdout
