"""Reading requests: generator choice, parameters from the text, interfaces honored exactly, and
clear errors for what the offline library cannot build."""

from __future__ import annotations

import pytest

from agents.hw.interface import parse_interface
from agents.hw.offline import design
from agents.hw.request import read_request
from tools.errors import UsageError
from tools.hdl.diffcheck import PythonRef, diff_check
from tools.hdl.ports import read_design


@pytest.mark.parametrize(
    ("text", "generator", "params"),
    [
        (
            "an 8-bit up counter with enable and asynchronous active-low reset",
            "counter",
            {"width": 8, "enable": True, "reset_async": True, "reset_low": True},
        ),
        ("a dot product unit with 8 lanes of 16-bit elements", "dot_product", {"lanes": 8, "width": 16}),
        ("detect the pattern 1101, non-overlapping", "seq_detector", {"pattern": "1101", "overlap": False}),
        ("a 4-to-1 mux, 8 bits wide", "mux", {"inputs": 4, "width": 8}),
        ("a FIFO 16 entries deep of 32-bit words", "fifo", {"width": 32, "depth": 16}),
        ("a UART transmitter at 115200 baud from a 50 MHz clock", "uart_tx", {"clks_per_bit": 434}),
        ("a modulo-12 counter", "counter", {"hi": 11, "width": 4}),
        ("count from 1 to 10", "counter", {"lo": 1, "hi": 10}),
        ("a 256x8 RAM", "ram", {"width": 8, "depth": 256}),
        ("priority encoder, 8 inputs, highest wins", "priority_encoder", {"width": 8, "priority": "msb"}),
        ("gray code to binary, 6 bits", "gray2bin", {"width": 6}),
    ],
)
def test_request_reads_generator_and_parameters(text: str, generator: str, params: dict[str, object]) -> None:
    req = read_request(text)
    assert req.generator == generator
    assert {k: req.params.get(k) for k in params} == params


def test_given_header_is_honored_exactly() -> None:
    header = "module TopModule (input clk, input reset, input [7:0] in, output [7:0] anyedge);"
    d = design(header + "\nPulse for one cycle when any bit of in changes (either edge). Synchronous reset.")
    assert d.generator == "edge_detector" and d.params["edge"] == "both"
    info = read_design(d.rtl, "TopModule")
    got = [(p.name, p.direction, p.width) for p in info.ports]
    assert got == [("clk", "input", 1), ("reset", "input", 1), ("in", "input", 8), ("anyedge", "output", 8)]
    ref = PythonRef(source=d.model, ports=info.ports, clock="clk", reset="reset")
    report = diff_check(d.rtl, ref, top="TopModule", seeds=(1,))
    assert report.verdict == "pass", report.feedback()


def test_bullet_port_list_sets_widths_and_optional_ports() -> None:
    text = """Implement a module named adder16:
 - input  x  (16 bits)
 - input  y  (16 bits)
 - output s  (16 bits)
Add x and y, dropping the carry."""
    d = design(text)
    assert d.generator == "adder"
    assert d.params["width"] == 16 and d.params["carry_out"] is False
    assert [(p.name, p.width) for p in read_design(d.rtl, "adder16").ports] == [
        ("x", 16),
        ("y", 16),
        ("s", 16),
    ]


def test_reset_name_sets_polarity() -> None:
    d = design("module ctr(input clk, input rst_n, output [5:0] count); an up counter, synchronous reset")
    assert d.params["reset_low"] is True and d.params["width"] == 6
    assert d.reset is not None and d.reset.port == "rst_n" and d.reset.active_low


def test_header_that_does_not_fit_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match=r"port 'b' is input 4 bits but adder needs input 'b' of 8 bits"):
        design("module m(input [7:0] a, input [3:0] b, output [7:0] y); an adder")


def test_unrecognized_request_lists_the_library() -> None:
    with pytest.raises(UsageError, match="no generator in the offline library matches") as err:
        read_request("a neural network accelerator for transformers")
    assert "dot_product" in str(err.value) and "uart_rx" in str(err.value)


def test_empty_request_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="empty hardware request"):
        read_request("   ")


def test_out_of_range_parameter_names_the_range() -> None:
    with pytest.raises(UsageError, match=r"bad parameters for lfsr: width=40.*less than or equal to 32"):
        design("a 40-bit LFSR with synchronous reset")


def test_non_ansi_header_is_rejected() -> None:
    with pytest.raises(UsageError, match="port list without directions"):
        parse_interface("module m(a, b, y); input a; endmodule")


def test_bullet_list_without_widths_keeps_every_port() -> None:
    text = """I would like a module named Ctr with this interface; ports are one bit unless stated.

 - input  clk
 - input  reset
 - output q (4 bits)

A counter from 0 through 9, reset synchronously. Everything is triggered on the positive edge of the
clock."""
    iface = parse_interface(text)
    assert iface is not None
    assert [(p.name, p.direction, p.width) for p in iface.ports] == [
        ("clk", "input", 1),
        ("reset", "input", 1),
        ("q", "output", 4),
    ]
    d = design(text)
    assert d.generator == "counter" and d.params["hi"] == 9
    assert d.reset is not None and d.reset.port == "reset"
