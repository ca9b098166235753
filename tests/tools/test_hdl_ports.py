"""Ports, clocks and resets as the checkers see them."""

from __future__ import annotations

import pytest

from tests.tools._hdl_fixtures import fixture
from tools.hdl import DesignReadError, read_design


def test_ports_have_direction_width_and_sign() -> None:
    info = read_design(
        "module m(input clk, input signed [7:0] a, output [2:0] y);\n assign y = a[2:0];\nendmodule\n"
    )
    assert [(p.name, p.direction, p.width, p.signed) for p in info.ports] == [
        ("clk", "input", 1, False),
        ("a", "input", 8, True),
        ("y", "output", 3, False),
    ]


def test_async_active_low_reset_found_from_the_logic() -> None:
    info = read_design(fixture("dff_async.v"))
    assert info.clocks == ["clk"] and info.has_state
    (reset,) = info.resets
    assert (reset.name, reset.active_low, reset.asynchronous, reset.source) == ("rst_n", True, True, "logic")


def test_sync_reset_and_negedge_clock() -> None:
    src = "module m(input ck, input reset, input d, output reg q);\n always @(negedge ck) q <= reset ? 1'b0 : d;\nendmodule\n"
    info = read_design(src)
    assert info.clocks == ["ck"] and info.negedge_clocks == ["ck"]
    assert [(r.name, r.asynchronous, r.active_low) for r in info.resets] == [("reset", False, False)]


def test_newer_systemverilog_falls_back_to_verilator() -> None:
    src = (
        "module fsm(input clk, input areset, input x, output z);\n"
        "  typedef enum logic [1:0] {A, B} state_t;\n  state_t s;\n"
        "  always_ff @(posedge clk, posedge areset) if (areset) s <= A; else s <= x ? B : A;\n"
        "  assign z = (s == B);\nendmodule\n"
    )
    info = read_design(src)
    assert [(p.name, p.width) for p in info.ports] == [("clk", 1), ("areset", 1), ("x", 1), ("z", 1)]
    assert info.clocks == ["clk"]
    assert [(r.name, r.asynchronous) for r in info.resets] == [("areset", True)]


def test_missing_top_and_syntax_errors_are_reported() -> None:
    with pytest.raises(DesignReadError, match="no module named 'alu'; modules found: adder") as exc:
        read_design(fixture("adder.v"), top="alu")
    assert exc.value.reason == "top"
    with pytest.raises(DesignReadError) as exc2:
        read_design(fixture("syntax_error.v"))
    assert exc2.value.reason == "syntax"
