"""The co-design critic's search rule on the figures of issue 12 (measured by the hardware agent):
it must keep exploring while an untried lane count predicted to fit could beat the best one."""

from __future__ import annotations

from agents.codesign.accelerator import AcceleratorResult
from agents.codesign.critic import Decision, Prediction, critique
from agents.codesign.kernel import KernelResult
from agents.codesign.request import CodesignRequest
from tools.evidence import Check, Evidence

# (cells, logic depth) of the 8-bit dot-product accelerator, as synthesised by Yosys
MEASURED = {2: (798, 30), 4: (1681, 35), 5: (2140, 35), 7: (3020, 38), 8: (3487, 41), 10: (4364, 43)}
REQ = CodesignRequest(lanes=[2, 4], width=8, area_budget=5000, m=8, n=8, k=20)


def _passed(name: str) -> Evidence:
    return Evidence(checks=[Check(name=name, tool="test", status="pass")])


def _point(lanes: int) -> tuple[AcceleratorResult, KernelResult]:
    cells, depth = MEASURED[lanes]
    acc = AcceleratorResult(
        lanes=lanes, width=8, synth={"cell_count": cells, "logic_depth": depth}, evidence=_passed("synth")
    )
    cycles = REQ.m * REQ.n * -(-REQ.k // lanes)
    return acc, KernelResult(lanes=lanes, cycles=cycles, utilization=1.0, evidence=_passed("cosim-gemm"))


def _round(lanes: list[int], predicted: dict[int, Prediction], rounds_left: int) -> Decision:
    points = [_point(n) for n in lanes]
    return critique([a for a, _ in points], [k for _, k in points], REQ, set(lanes), predicted, rounds_left)


def test_full_lanes_do_not_stop_the_search_when_a_wider_design_fits() -> None:
    first = _round([2, 4], {}, rounds_left=2)
    assert first.chosen == 4 and first.stop == ""
    assert 10 in first.next_lanes, "10 lanes fits 5000 cells and halves the cycles"
    assert "cells = " in first.model and "log2(lanes)" in first.model
    predicted = {p.lanes: p for p in first.predictions}
    second = _round([2, 4, *first.next_lanes], predicted, rounds_left=1)
    assert second.chosen == 10 and second.next_lanes == []
    assert second.reasons[0].startswith(
        "chose 10 lanes: fastest measured within budget, 128 cycles x depth 43"
    )
    assert {c.lanes for c in second.checks} == set(first.next_lanes)
    assert any(r.startswith("prediction check: 10 lanes: predicted") for r in second.reasons)
    assert abs(next(c for c in second.checks if c.lanes == 10).cells_error) < 0.05
    assert second.stop.startswith("no untried lane count predicted to fit can beat 10 lanes (5504 units)")
    assert "predicted over 5000 cells" in second.stop


def test_one_measured_design_brackets_before_predicting() -> None:
    only = _round([4], {}, rounds_left=2)
    assert only.next_lanes == [3, 5] and "depth unknown" in only.model
