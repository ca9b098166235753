"""Rerun the exported verification with cocotb, without qimeng: ``python run.py [icarus|verilator]``.

Needs ``pip install 'cocotb>=2'`` and the simulator (Icarus Verilog 11+, or Verilator 5.036+).
Builds the design named in ``bench.json`` and runs ``test_design.py`` against it; exits 0 when
no test failed (and one passed), 1 otherwise.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from cocotb_tools.runner import get_runner


def main() -> int:
    here = Path(__file__).resolve().parent
    bench = json.loads((here / "bench.json").read_text(encoding="utf-8"))
    simulator = sys.argv[1] if len(sys.argv) > 1 else "icarus"
    runner = get_runner(simulator)
    quiet = ["-Wno-fatal", "-Wno-lint", "-Wno-style"] if simulator == "verilator" else []
    build = here / f"sim_build_{simulator}"
    runner.build(
        sources=[(here / bench["design"]).resolve()],
        hdl_toplevel=bench["top"],
        build_dir=build,
        always=True,
        timescale=("1ns", "1ps"),
        build_args=quiet,
    )
    results = runner.test(
        hdl_toplevel=bench["top"],
        test_module="test_design",
        test_dir=here,
        build_dir=build,
        timescale=("1ns", "1ps"),
    )
    cases = list(ET.parse(results).getroot().iter("testcase"))
    failed = sum(c.find("failure") is not None or c.find("error") is not None for c in cases)
    skipped = sum(c.find("skipped") is not None for c in cases)
    passed = len(cases) - failed - skipped
    print(f"{passed} passed, {failed} failed, {skipped} skipped on {simulator}")
    return 0 if passed and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
