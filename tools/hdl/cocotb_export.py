"""Export a design's verification as a cocotb testbench that reruns without qimeng.

The bench is four files for one directory beside the design: ``test_design.py`` (the cocotb test
module, :mod:`tools.hdl._cocotb_bench` verbatim), ``model.py`` (the reference model the
differential checker used), ``bench.json`` (ports, clock, reset, seeds, the spec's examples) and
``run.py`` (builds the design and runs the tests with cocotb's runner). Its random tests follow
the checker's conventions (sampling time, reset patterns, held inputs, a long run), with their own
seeded generator; the spec's examples run as a directed test.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tools.errors import UsageError
from tools.hdl.diffcheck import SOAK_CYCLES, PythonRef
from tools.hdl.directed import Example
from tools.hdl.ports import DesignReadError, read_design
from tools.hdl.stimulus import MAX_CONSTANTS, mine_constants
from tools.runstore import Run

BENCH_DIR = "cocotb"
"""Where a run directory keeps its exported bench (beside ``design.v``)."""
TEST_MODULE = "test_design"

_HERE = Path(__file__).resolve().parent


def export_bench(
    rtl: str,
    reference: PythonRef,
    *,
    top: str | None = None,
    examples: Sequence[Example] = (),
    design_path: str = "../design.v",
    seeds: Sequence[int] = (1, 2, 3),
    sequences: int = 6,
    cycles: int = 64,
    long_run: int = SOAK_CYCLES,
) -> dict[str, str]:
    """The bench's files (plain name -> text) for ``rtl`` checked against ``reference``.

    Args:
        rtl: the design's Verilog source.
        reference: the Python reference model, with its clock and reset facts when known
            (otherwise they are read from the design, as the checker does).
        top: the design's top module (None: the module nothing instantiates).
        examples: the spec's examples, run in order as a directed test.
        design_path: where ``run.py`` finds the design, relative to the bench directory.
        seeds, sequences, cycles, long_run: the random tests' shape (as in the checker).

    Raises:
        UsageError: when the design cannot be read or has no outputs.
    """
    try:
        info = read_design(rtl, top)
    except DesignReadError as exc:
        raise UsageError(f"cannot export a cocotb bench: {exc.message}") from None
    clock = reference.clock or (info.clocks[0] if info.clocks else None)
    reset = None
    found = next((r for r in info.resets if r.name != clock), None)
    name = reference.reset or (found.name if found else None)
    if name is not None:
        reset = {
            "name": name,
            "active_low": reference.reset_active_low
            if reference.reset_active_low is not None
            else bool(found and found.name == name and found.active_low),
            "asynchronous": reference.reset_async
            if reference.reset_async is not None
            else bool(found and found.name == name and found.asynchronous),
        }
    if not info.outputs:
        raise UsageError(f"cannot export a cocotb bench: module '{info.top}' has no outputs")
    bench = {
        "top": info.top,
        "design": design_path,
        "inputs": [[p.name, p.width] for p in info.inputs if p.name not in (clock, name)],
        "outputs": [[p.name, p.width] for p in info.outputs],
        "clock": clock,
        "negedge": clock in info.negedge_clocks if clock else False,
        "reset": reset,
        "seeds": list(seeds),
        "sequences": sequences,
        "cycles": cycles,
        "long_run": long_run,
        "constants": mine_constants(rtl, reference.source)[:MAX_CONSTANTS],
        "examples": [e.model_dump() for e in examples],
    }
    return {
        f"{TEST_MODULE}.py": (_HERE / "_cocotb_bench.py").read_text(encoding="utf-8"),
        "run.py": (_HERE / "_cocotb_bench_run.py").read_text(encoding="utf-8"),
        "model.py": reference.source,
        "bench.json": json.dumps(bench, indent=2) + "\n",
    }


def write_bench(
    run: Run, rtl: str, reference: PythonRef, *, top: str | None = None, examples: Sequence[Example] = ()
) -> list[Path]:
    """Export the bench into ``run``'s :data:`BENCH_DIR` (beside its ``design.v``), each file
    recorded in the run's manifest as a ``testbench`` artifact; returns the paths written.

    Raises:
        UsageError: as :func:`export_bench`.
    """
    files = export_bench(rtl, reference, top=top, examples=examples)
    return [run.write(f"{BENCH_DIR}/{name}", text, "testbench") for name, text in files.items()]
