"""Synthesis report from Yosys."""

from __future__ import annotations

import pytest

from tests.tools._hdl_fixtures import fixture
from tools.errors import UsageError
from tools.hdl import SynthError, synth


def test_counter_reports_flip_flops_area_and_depth() -> None:
    report = synth(fixture("counter.v"))
    assert report.top == "counter"
    assert report.flip_flops == 4
    assert report.transistors > 0 and report.logic_depth >= 1
    assert sum(report.cells.values()) == report.cell_count
    assert report.to_check().status == "pass"


def test_wider_adder_costs_more() -> None:
    small = synth(fixture("adder.v"))
    big = synth(
        "module adder(input [15:0] a, input [15:0] b, output [16:0] s);\n assign s = a + b;\nendmodule\n"
    )
    assert small.flip_flops == 0
    assert big.transistors > small.transistors


def test_errors_name_the_problem() -> None:
    with pytest.raises(SynthError, match="syntax error"):
        synth(fixture("syntax_error.v"))
    with pytest.raises(UsageError, match="no module named 'alu'; modules found: adder"):
        synth(fixture("adder.v"), top="alu")
