"""Spec conformance checks: each passes a design that honors the spec and fails a known-bad one."""

from __future__ import annotations

from agents.hw.conformance import (
    accounting_check,
    directed_check,
    examples,
    interface_check,
    power_on_check,
    selections,
    waveforms,
)
from agents.hw.interface import parse_interface
from agents.hw.request import read_request

HEADER = "module TopModule (input [7:0] a, input [7:0] b, output [7:0] y);"
GOOD = "module TopModule (input [7:0] a, input [7:0] b, output [7:0] y);\n  assign y = a & b;\nendmodule\n"


def test_interface_check_fails_a_wrong_width_a_missing_port_and_a_wrong_name() -> None:
    iface = parse_interface(HEADER)
    assert interface_check(iface, GOOD, "TopModule").status == "pass"
    narrow = GOOD.replace("output [7:0] y", "output [3:0] y")
    check = interface_check(iface, narrow, "TopModule")
    assert check.status == "fail" and "port 'y' is output 4 bit(s), the spec says output 8" in check.summary
    extra = GOOD.replace("output [7:0] y", "output [7:0] y, output z").replace(
        "endmodule", "assign z = 0;\nendmodule"
    )
    assert "extra port 'z'" in interface_check(iface, extra, "TopModule").summary
    renamed = GOOD.replace("TopModule", "top_module")
    check = interface_check(iface, renamed, "top_module")
    assert check.status == "fail" and "the spec names 'TopModule'" in check.summary
    assert interface_check(None, GOOD, "TopModule").status == "skipped"


def test_accounting_fails_when_a_number_of_the_text_is_not_used() -> None:
    text = "An 8-bit up counter with synchronous active-high reset."
    req = read_request(text)
    assert req.interpretation is not None
    assert accounting_check(text, req.interpretation, None).status == "pass"
    extra = text + " It must stop counting at 200."
    req = read_request(extra)
    assert req.interpretation is not None
    check = accounting_check(extra, req.interpretation, None)
    assert check.status == "fail" and "'200'" in check.summary
    assert req.interpretation.unread == ["number: '200'"]


def test_accounting_fails_on_a_named_behaviour_the_generator_ignores() -> None:
    text = HEADER.replace("output [7:0] y", "output [7:0] s, output overflow") + (
        "\nAdd the two 2's complement numbers a and b; overflow is the signed overflow."
    )
    req = read_request(text)
    assert req.generator == "adder" and req.interpretation is not None
    check = accounting_check(text, req.interpretation, req.interface)
    assert check.status == "fail"
    assert "2's complement" in check.summary and "signed" in " ".join(req.interpretation.unread)


TABLE = """module TopModule (input a, input b, output y);
The output follows this table:
  a b | y
  0 0 | 0
  0 1 | 1
  1 0 | 1
  1 1 | 0
"""


def test_truth_table_examples_run_on_the_candidate_and_catch_a_wrong_one() -> None:
    iface = parse_interface(TABLE)
    rows = examples(TABLE, iface)
    assert [(r.inputs, r.outputs) for r in rows][1] == ({"a": 0, "b": 1}, {"y": 1})
    xor = "module TopModule (input a, input b, output y);\n  assign y = a ^ b;\nendmodule\n"
    assert directed_check(TABLE, iface, xor, "TopModule", clock=None).status == "pass"
    wrong = xor.replace("a ^ b", "a | b")
    check = directed_check(TABLE, iface, wrong, "TopModule", clock=None)
    assert check.status == "fail" and "expected 0, got 1" in check.summary and "1 1 | 0" in check.summary
    assert directed_check(
        "no table here " + HEADER, parse_interface(HEADER), GOOD, "TopModule", None
    ).status == ("skipped")


def test_selection_sentences_become_directed_samples_that_catch_swapped_inputs() -> None:
    text = "module TopModule (input a, input b, input sel, output out);\nWhen sel=0, choose a. When sel=1, choose b."
    iface = parse_interface(text)
    assert [e.inputs for e in selections(text, iface)][:2] == [
        {"sel": 0, "a": 1, "b": 0},
        {"sel": 0, "a": 0, "b": 1},
    ]
    good = "module TopModule (input a, input b, input sel, output out);\n  assign out = sel ? b : a;\nendmodule\n"
    assert directed_check(text, iface, good, "TopModule", clock=None).status == "pass"
    swapped = good.replace("sel ? b : a", "sel ? a : b")
    check = directed_check(text, iface, swapped, "TopModule", clock=None)
    assert check.status == "fail" and "When sel=0, choose a" in check.summary


def test_power_on_values_the_spec_does_not_state_fail() -> None:
    reg = "module m(input clk, input [7:0] d, output reg [7:0] q);\n  always @(posedge clk) q <= d;\nendmodule\n"
    assert power_on_check("8 D flip-flops", reg).status == "pass"
    initial = reg.replace("  always", "  initial q = 8'd0;\n  always")
    check = power_on_check("8 D flip-flops", initial)
    assert check.status == "fail" and "power-on value the spec does not state" in check.summary
    assert power_on_check("8 D flip-flops, initially 0", initial).status == "pass"
    assert (
        power_on_check("8 D flip-flops", reg.replace("output reg [7:0] q", "output reg [7:0] q = 0")).status
        == "fail"
    )


WAVE = """module TopModule (input clk, input a, output q);
  time  clk a   q
  0ns   0   x   x
  5ns   1   0   x
  10ns  0   0   x
  15ns  1   0   1
  20ns  0   0   1
  25ns  1   1   1
  30ns  0   1   1
  35ns  1   1   0
  40ns  0   1   0
"""


def test_a_waveform_runs_on_a_clocked_candidate_and_catches_a_wrong_one() -> None:
    iface = parse_interface(WAVE)
    samples, words = waveforms(WAVE, iface, "clk")
    assert [(s.inputs, s.outputs) for s in samples] == [
        ({"a": 0}, {}),
        ({"a": 0}, {"q": 1}),
        ({"a": 1}, {"q": 1}),
        ({"a": 1}, {"q": 0}),
    ]
    assert len(words) == 9
    inverter = (
        "module TopModule (input clk, input a, output reg q);\n  always @(posedge clk) q <= ~a;\nendmodule\n"
    )
    assert directed_check(WAVE, iface, inverter, "TopModule", clock="clk").status == "pass"
    follower = inverter.replace("~a", "a")
    check = directed_check(WAVE, iface, follower, "TopModule", clock="clk")
    assert check.status == "fail" and "20ns  0   0   1" in check.summary
    torn = WAVE.replace("35ns  1   1   0", "35ns  1   1   1")  # a falling-edge change: not replayable
    assert waveforms(torn, iface, "clk") == ([], [])
