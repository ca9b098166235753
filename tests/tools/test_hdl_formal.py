"""Formal equivalence with Yosys on the same known-good and known-bad designs."""

from __future__ import annotations

import pytest

from tests.tools._hdl_fixtures import fixture
from tools.hdl import formal_check


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("adder.v", "adder_bad.v"),
        ("counter.v", "counter_wrong_reset.v"),
        ("dff_async.v", "dff_async_as_sync.v"),
    ],
)
def test_equivalent_is_proved_and_different_gets_a_counterexample(good: str, bad: str) -> None:
    proved = formal_check(fixture(good), fixture(good))
    assert proved.status == "pass", proved.summary
    refuted = formal_check(fixture(bad), fixture(good))
    assert refuted.status == "fail", refuted.summary
    assert "expected" in refuted.summary and "got" in refuted.summary
    assert refuted.details["counterexample"]


def test_x_in_reference_is_a_dont_care() -> None:
    ref = "module m(input [1:0] s, output reg y);\n always @* case (s) 2'd0: y = 0; 2'd1: y = 1; default: y = 1'bx; endcase\nendmodule\n"
    cand = "module m(input [1:0] s, output y);\n assign y = s[0];\nendmodule\n"
    assert formal_check(cand, ref).status == "pass"


def test_unprovable_by_induction_is_inconclusive_not_pass() -> None:
    # same behaviour from reset, different encodings: a one-hot vs a binary 2-state toggler
    ref = "module t(input clk, input reset, output y);\n reg s;\n always @(posedge clk) s <= reset ? 1'b0 : ~s;\n assign y = s;\nendmodule\n"
    cand = (
        "module t(input clk, input reset, output y);\n reg [1:0] h;\n"
        " always @(posedge clk) h <= reset ? 2'b01 : {h[0], h[1]};\n assign y = h[1];\nendmodule\n"
    )
    check = formal_check(cand, ref, depth=4)
    assert check.status in ("pass", "inconclusive")
    if check.status == "inconclusive":
        assert "within 4 steps" in check.summary


def test_multiple_clocks_and_port_mismatch() -> None:
    assert formal_check(fixture("two_clocks.v"), fixture("two_clocks.v")).status == "unsupported"
    mismatch = formal_check(fixture("adder_wide.v"), fixture("adder.v"))
    assert mismatch.status == "fail" and "ports differ" in mismatch.summary
    broken = formal_check(fixture("syntax_error.v"), fixture("adder.v"))
    assert broken.status == "error" and "syntax error" in broken.summary
