"""Directed tests: run given input samples on a design and compare its outputs with given values.

A spec's own examples (a truth table, a list of input/output pairs) become directed tests that run
on the candidate RTL itself, apart from any reference model, so a misreading of the spec by the
reference's author is caught too. Timing follows :mod:`tools.hdl.testbench`: each sample's outputs
are read just before the active clock edge (combinational designs: after the inputs settle).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

from tools.errors import UsageError
from tools.evidence import Check
from tools.hdl import _toolchain as tc
from tools.hdl import testbench
from tools.hdl.ports import DesignReadError, read_design
from tools.hdl.stimulus import Stimulus


class Example(BaseModel):
    """One sample of a spec's example: the inputs it sets and the outputs it expects."""

    inputs: dict[str, int] = Field(description="Input port -> value (unnamed inputs are driven 0).")
    outputs: dict[str, int] = Field(description="Output port -> expected value.")
    words: str = Field("", description="The spec's line the sample came from.")


def run_examples(rtl: str, top: str, examples: list[Example], *, timeout_s: float = 20.0) -> Check:
    """Run ``examples`` in order on ``rtl`` (one sample each) and compare the named outputs.

    Returns a ``directed`` :class:`Check`: ``pass`` when every expected bit matched, ``fail`` on a
    mismatch (the first few in ``details``) or when the design does not compile or lacks a port the
    examples name, ``skipped`` with no examples.

    Raises:
        UsageError: for an empty top name.
    """
    if not top:
        raise UsageError("run_examples needs the top module's name")
    start = time.monotonic()
    if not examples:
        return Check(name="directed", tool="iverilog", status="skipped", summary="the spec gives no examples")
    label = tc.iverilog().label

    def verdict(status: str, summary: str, **details: object) -> Check:
        return Check(
            name="directed",
            tool=label,
            status=status,  # type: ignore[arg-type]
            summary=summary,
            details=dict(details),
            duration_s=time.monotonic() - start,
        )

    try:
        info = read_design(rtl, top)
    except DesignReadError as exc:
        return verdict("fail", f"cannot read the design: {exc.message}")
    names = {p.name for p in info.ports}
    unknown = sorted({n for e in examples for n in (*e.inputs, *e.outputs)} - names)
    if unknown:
        return verdict("fail", f"the spec's examples name ports the design lacks: {', '.join(unknown)}")
    clock = info.clocks[0] if info.clocks else None
    driven = [p for p in info.inputs if p.name != clock]
    stim = Stimulus(seed=0, inputs=driven, cycles=len(examples), patterns=["directed"])
    stim.samples = [{p.name: e.inputs.get(p.name, 0) for p in driven} for e in examples]
    with tempfile.TemporaryDirectory(prefix="qimeng-directed-") as tmp:
        work = Path(tmp)
        tb = testbench.build(
            driven,
            info.outputs,
            [(info.top, "qdut")],
            clock=clock,
            negedge=clock in info.negedge_clocks,
            samples=len(examples),
        )
        (work / "tb.v").write_text(tb, encoding="utf-8")
        (work / "candidate.sv").write_text(rtl, encoding="utf-8")
        (work / "vec.hex").write_text(stim.to_hex(), encoding="utf-8")
        built = tc.run_tool(
            tc.iverilog(),
            ["-g2012", "-o", "sim.vvp", "-s", testbench.TB_TOP, "tb.v", "candidate.sv"],
            work,
            wall_s=30,
        )
        if not built.ok:
            return verdict("fail", "the design does not compile with iverilog -g2012")
        vvp = tc.vvp().argv[0]
        run = tc.run_sandboxed_shell(
            f"'{vvp}' -n sim.vvp +vec=vec.hex +n={len(examples)} +out=out.txt >/dev/null", work, timeout_s
        )
        out = work / "out.txt"
        lines = out.read_text(errors="replace").splitlines() if out.is_file() else []
        if not lines or lines[-1] != "qimeng-done":
            return verdict("fail", f"the simulation stopped early ({run.describe()})")
    rows = [ln.split() for ln in lines[:-1]]
    order = [p.name for p in info.outputs]
    mismatches = []
    for i, (example, row) in enumerate(zip(examples, rows, strict=True)):
        for name, want in example.outputs.items():
            got = row[order.index(name)]
            if "x" in got.lower() or "z" in got.lower() or int(got, 2) != want:
                mismatches.append(
                    {"sample": i, "output": name, "expected": want, "got": got, "words": example.words}
                )
    if mismatches:
        first = mismatches[0]
        return verdict(
            "fail",
            f"{len(mismatches)} of the spec's example values differ; first: sample {first['sample']} "
            f"({first['words']}) {first['output']} expected {first['expected']}, got {first['got']}",
            mismatches=mismatches[:10],
        )
    checked = sum(len(e.outputs) for e in examples)
    return verdict(
        "pass", f"{len(examples)} example samples ({checked} output values) match", samples=len(examples)
    )
