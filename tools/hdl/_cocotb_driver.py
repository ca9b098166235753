"""Runs inside the sandbox: build a design with cocotb's runner and run one cocotb test module.

Usage: ``python -I _cocotb_driver.py SIMULATOR TOP MODULE SEED SOURCE...``; the test module is a
file ``MODULE.py`` in the working directory, the results go to ``results.xml`` there. Before each
stage a line ``qimeng-stage: build`` / ``qimeng-stage: test`` is printed, so the caller can tell a
design that does not build from a test module that does not run.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cocotb_tools.runner import get_runner

_QUIET_VERILATOR = ["-Wno-fatal", "-Wno-lint", "-Wno-style"]


def main() -> None:
    simulator, top, module, seed, *sources = sys.argv[1:]
    here = Path.cwd()
    runner = get_runner(simulator)
    print("qimeng-stage: build", flush=True)
    runner.build(
        sources=[here / s for s in sources],
        hdl_toplevel=top,
        build_dir=here / "sim_build",
        always=True,
        timescale=("1ns", "1ps"),
        build_args=_QUIET_VERILATOR if simulator == "verilator" else [],
    )
    print("qimeng-stage: test", flush=True)
    runner.test(
        hdl_toplevel=top,
        test_module=module,
        build_dir=here / "sim_build",
        test_dir=here,
        results_xml=str(here / "results.xml"),
        seed=int(seed),
        timescale=("1ns", "1ps"),
    )
    print("qimeng-stage: done", flush=True)


if __name__ == "__main__":
    main()
