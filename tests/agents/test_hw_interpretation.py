"""The interpretation of a request: every parameter with where it came from, what is missing, and
where the text and the header disagree."""

from __future__ import annotations

from agents.hw.generators._base import Found, as_found, read_reset
from agents.hw.interpretation import readings_of_tester
from agents.hw.request import read_request


def test_a_plain_dict_extract_still_reads_as_text_with_the_words_when_they_are_there() -> None:
    found = as_found({"pattern": "1101", "overlap": False}, "detect 1101 without overlap")
    assert found.values == {"pattern": "1101", "overlap": False}
    assert found.words == {"pattern": "1101", "overlap": ""}


def test_found_records_every_place_the_text_says_it_and_both_reset_words() -> None:
    found = Found()
    read_reset(found, "Reset is synchronous. The synchronous reset is active high.")
    assert found.values == {"reset_async": False, "reset_low": False}
    assert found.words["reset_async"] == "synchronous" and found.words["reset_low"] == "active high"
    many = Found()
    many.search("edge", "rising edge here, rising edge there, Rising Edge again", r"rising edge", "rising")
    assert many.words["edge"] == "rising edge | Rising Edge"


def test_readings_say_text_header_or_assumed() -> None:
    header = "module c (input clk, input rst_n, input en, output [5:0] q);"
    req = read_request("An up counter with enable.\n" + header)
    assert req.missing == ["the reset's kind (synchronous or asynchronous)"]  # never guessed
    req = read_request("An up counter with enable and a synchronous reset.\n" + header)
    assert req.interpretation is not None and req.missing == []
    source = {r.name: r.source for r in req.interpretation.readings}
    assert source["width"] == "header" and source["reset_low"] == "header" and source["enable"] == "text"
    assert source["reset_async"] == "text" and source["direction"] == "text"
    assumed = {r.name for r in req.interpretation.assumed()}
    assert "lo" in assumed and not assumed & {"width", "reset_low", "reset_async", "enable", "direction"}
    assert "lo 0 (assumed)" in req.interpretation.summary()
    free = read_request("An 8-bit up counter with a synchronous reset.")
    assert free.interpretation is not None
    shown = {r.name for r in free.interpretation.assumed()}  # no header: the polarity is shown as assumed
    assert {"reset_low", "lo", "enable"} <= shown and "reset_async" not in shown


def test_text_and_header_that_agree_are_read_from_the_text_with_its_words() -> None:
    req = read_request("An 8-bit adder.\nmodule a (input [7:0] a, input [7:0] b, output [7:0] s, output co);")
    assert req.interpretation is not None and req.missing == []
    width = next(r for r in req.interpretation.readings if r.name == "width")
    assert (width.source, width.words, width.value) == ("text", "8-bit", 8)


def test_the_llm_testers_account_keeps_only_words_the_spec_holds() -> None:
    answer = (
        "```python\nclass Model: ...\n```\n```json\n"
        '[{"name": "pattern", "value": "101", "words": "the pattern 1,0,1"},'
        ' {"name": "reset", "value": "sync", "words": "a synchronous reset"}, {"value": 3}]\n```'
    )
    readings = readings_of_tester(answer, "Detect the pattern 1,0,1 (overlapping).")
    assert [(r.name, r.source, r.words) for r in readings] == [
        ("pattern", "text", "the pattern 1,0,1"),
        ("reset", "assumed", ""),
    ]
    assert readings_of_tester("```python\nclass Model: ...\n```", "x") == []
    assert readings_of_tester("```json\n[not json\n```", "x") == []
