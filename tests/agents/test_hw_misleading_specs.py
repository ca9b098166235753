"""Deliberately under-specified and misleading specs: each gets a refusal or a correct design,
never a wrong one called verified. "Correct" is checked against the spec's own words (the pattern,
the table), not against the designer's reading of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.hw.interpretation import Underspecified
from agents.hw.nodes import Roles
from agents.hw.request import read_request
from graphs.hw import design_block
from tools.errors import UsageError
from tools.hdl.directed import Example, run_examples

DETECTOR_101 = """Implement a Moore detector of the serial pattern 1,0,1 (overlapping) with a
synchronous active-high reset.

module TopModule (input clk, input reset, input x, output z);
"""


def _refusal(text: str) -> str:
    """The offline designer's one-line refusal for ``text`` (the test fails if it builds one)."""
    req = read_request(text)
    with pytest.raises(UsageError) as info:
        req.refuse_if_unread()
    return str(info.value)


def test_the_1_0_1_detector_is_read_as_1_0_1_and_verified(tmp_path: Path) -> None:
    design = design_block(DETECTOR_101, roles=Roles(), run_root=tmp_path)
    assert design.status == "verified"
    interp = design.evidence.interpretation
    assert interp is not None and "pattern 101" in interp.summary() and "overlap True" in interp.summary()
    assert {c.name for c in design.evidence.checks} >= {"interface", "accounting", "diffsim"}
    # the stream 1,0,1,0,1 holds two overlapping 101s; z is Moore: high the cycle after each
    bits = [1, 0, 1, 0, 1, 0]
    want = [0, 0, 0, 1, 0, 1]
    samples = [Example(inputs={"reset": 1, "x": 0}, outputs={})]
    samples += [
        Example(inputs={"reset": 0, "x": b}, outputs={"z": w}) for b, w in zip(bits, want, strict=True)
    ]
    assert run_examples(design.rtl, "TopModule", samples).status == "pass"


def test_a_detector_without_a_pattern_is_refused_not_defaulted() -> None:
    message = _refusal("A Moore sequence detector, overlapping, synchronous active-high reset.")
    assert message.startswith("seq_detector: could not find pattern")


def test_a_pattern_spelled_out_in_words_is_refused_not_guessed() -> None:
    text = "Detect the sequence one, one, zero (overlapping), synchronous active-high reset."
    assert "could not find pattern" in _refusal(text)


def test_several_bit_strings_make_the_pattern_ambiguous() -> None:
    text = "A sequence detector, non-overlapping, that raises z after 110 and also after 011."
    assert "one pattern to detect (the text has several: 011, 110)" in _refusal(text)


def test_a_mealy_machine_is_refused_by_the_moore_detector() -> None:
    text = "A Mealy sequence detector for the pattern 101, overlapping, synchronous active-high reset."
    assert "a Moore output ('Mealy'" in _refusal(text)


def test_a_header_whose_width_disagrees_with_the_text_is_refused() -> None:
    text = "A 16-bit adder.\nmodule TopModule (input [7:0] a, input [7:0] b, output [7:0] sum);"
    message = _refusal(text)
    assert "the text says width 16 ('16-bit') but the module header says 8" in message


def test_a_reset_polarity_that_disagrees_with_the_header_is_refused() -> None:
    text = "An up counter with an active-low synchronous reset.\nmodule c (input clk, input reset, output [3:0] q);"
    assert "reset_low True" in _refusal(text)


def test_a_clock_on_its_falling_edge_is_refused() -> None:
    text = (
        "A 4-bit up counter with synchronous active-high reset, triggered on the negative edge of the clock."
    )
    assert "negative edge of the clock" in _refusal(text)


def test_an_alu_op_table_in_another_order_is_refused_and_the_same_table_in_any_order_is_built(
    tmp_path: Path,
) -> None:
    swapped = """An 8-bit ALU with a 3-bit op:
  op=1: a + b
  op=0: a - b
  op=2: a & b
  op=3: a | b
  op=4: a ^ b
  op=5: nor
  op=6: signed less-than
  op=7: unsigned less-than
"""
    assert "the text gives 0:sub, 1:add" in _refusal(swapped)
    shuffled = swapped.replace("op=1: a + b", "op=0: a + b", 1).replace("op=0: a - b", "op=1: a - b", 1)
    lines = shuffled.splitlines()
    reordered = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    design = design_block(reordered, roles=Roles(), run_root=tmp_path)
    assert design.status == "verified"
    assert (
        run_examples(
            design.rtl,
            design.top,
            [
                Example(inputs={"a": 7, "b": 5, "op": 0}, outputs={"y": 12}),
                Example(inputs={"a": 7, "b": 5, "op": 1}, outputs={"y": 2}),
                Example(inputs={"a": 3, "b": 200, "op": 6}, outputs={"y": 0}),
            ],
        ).status
        == "pass"
    )


def test_an_alu_without_a_table_is_refused() -> None:
    assert "could not find an operation table" in _refusal("an 8-bit ALU")


def test_a_half_adder_without_carry_in_is_read_as_such() -> None:
    text = """The module should implement a half adder. A half adder adds two bits (with no carry-in)
and produces a sum and carry-out.
 - input  a
 - input  b
 - output sum
 - output cout
"""
    req = read_request(text)
    assert req.missing == [] and req.params.get("carry_in") is False


def test_a_spec_with_an_unused_fact_is_not_verified(tmp_path: Path) -> None:
    text = "An 8-bit up counter with synchronous active-high reset that stops at 200."
    design = design_block(text, roles=Roles(), run_root=tmp_path)
    assert design.status != "verified"
    accounting = next(c for c in design.evidence.checks if c.name == "accounting")
    assert accounting.status == "fail" and "'200'" in accounting.summary
    evidence = (Path(design.run_dir) / "evidence.json").read_text()
    assert '"unread"' in evidence and "number: '200'" in evidence


def test_underspecified_is_a_usage_error_with_a_question() -> None:
    req = read_request("a UART receiver with synchronous active-high reset")
    with pytest.raises(Underspecified) as info:
        req.refuse_if_unread()
    assert info.value.missing and "clks_per_bit" in info.value.question


def test_a_mux_whose_out_of_range_value_or_select_range_disagrees_is_refused() -> None:
    base = "A 6-to-1 multiplexer of 4-bit data. When sel is between 0 and 5, choose the corresponding data input."
    assert read_request(base + " Otherwise, output 0.").missing == []
    assert "an out-of-range output of 0" in _refusal(base + " Otherwise, output 15.")
    shifted = base.replace("between 0 and 5", "between 0 and 6")
    assert "a select range that fits the input count" in _refusal(shifted + " Otherwise, output 0.")


def test_a_signed_overflow_is_not_read_as_the_adders_carry_out() -> None:
    header = "module TopModule (input [7:0] a, input [7:0] b, output [7:0] s, output overflow);\n"
    text = header + "Add the two 8-bit 2's complement numbers; overflow is the signed overflow."
    assert "overflow is not the carry out" in _refusal(text)
    unsigned = header + "Add the two 8-bit unsigned numbers; overflow is set when the sum does not fit."
    assert read_request(unsigned).missing == []


def test_a_sentence_no_reading_touches_keeps_the_design_unverified(tmp_path: Path) -> None:
    text = "An 8-bit up counter with synchronous active-high reset. Odd values are skipped."
    design = design_block(text, roles=Roles(), run_root=tmp_path)
    assert design.status == "failed"
    interp = design.evidence.interpretation
    assert interp is not None and interp.unread == ["sentence: 'Odd values are skipped.'"]
