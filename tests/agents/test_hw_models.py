"""Each generator's Python reference model against its own RTL through the differential checker
(tools.hdl.diffcheck), for several parameter settings: RTL and model are written apart, so
agreement on random stimulus with every reset pattern is real evidence for both."""

from __future__ import annotations

from typing import Any

import pytest

from agents.hw.binding import Design, bind
from agents.hw.library import GENERATORS, get_generator
from tools.hdl.diffcheck import PythonRef, diff_check

SETTINGS: dict[str, list[dict[str, Any]]] = {
    "adder": [{"width": 1, "carry_in": True}, {"width": 13, "carry_out": False}],
    "subtractor": [{"width": 3}, {"width": 16, "borrow_out": False}],
    "alu": [{"width": 4}, {"width": 16}],
    "multiplier": [{"width": 5, "signed": True}, {"width": 6, "arch": "shift_add"}],
    "comparator": [{"width": 1}, {"width": 9, "signed": True}],
    "dot_product": [{"lanes": 1, "width": 3}, {"lanes": 4, "width": 5, "signed": True}],
    "mux": [{"inputs": 3, "width": 2}, {"inputs": 8, "width": 1}],
    "decoder": [{"bits": 1}, {"bits": 4, "enable": True}],
    "priority_encoder": [{"width": 5, "priority": "msb"}, {"width": 16}],
    "popcount": [{"width": 1}, {"width": 33}],
    "bin2gray": [{"width": 1}, {"width": 11}],
    "gray2bin": [{"width": 1}, {"width": 11}],
    "counter": [
        {"width": 3, "direction": "down", "reset_async": True},
        {"width": 4, "direction": "updown", "enable": True, "code": "gray"},
        {
            "width": 5,
            "direction": "updown",
            "lo": 3,
            "hi": 20,
            "enable": True,
            "load": True,
            "reset_low": True,
        },
    ],
    "shift_register": [
        {"width": 2, "direction": "right"},
        {"width": 9, "load": True, "enable": True, "reset_async": True, "reset_low": True},
    ],
    "lfsr": [{"width": 3, "enable": True}, {"width": 17, "seed": 12345, "reset_async": True}],
    "edge_detector": [{"width": 3, "edge": "both"}, {"width": 2, "edge": "falling", "reset_low": True}],
    "clock_divider": [{"divisor": 2}, {"divisor": 7, "reset_async": True}],
    "pwm": [{"width": 2}, {"width": 5, "reset_low": True}],
    "fifo": [{"width": 3, "depth": 2}, {"width": 8, "depth": 8, "reset_async": True}],
    "regfile": [{"width": 4, "depth": 3}, {"width": 16, "depth": 8, "reset_low": True}],
    "ram": [{"width": 4, "depth": 5}, {"width": 8, "depth": 16, "reset_async": True}],
    "seq_detector": [
        {"pattern": "1101", "overlap": True},
        {"pattern": "00100", "overlap": False, "reset_async": True},
    ],
    "uart_tx": [{"clks_per_bit": 2}, {"clks_per_bit": 3, "reset_low": True}],
    "uart_rx": [{"clks_per_bit": 2}, {"clks_per_bit": 3, "reset_async": True}],
    "truth_table": [
        {"inputs": ("a", "b", "c"), "outputs": ("y", "z"), "ones": ((1, 2, 4, 7), (3, 5, 6, 7))},
        {"inputs": ("x[0]", "x[2]", "x[1]", "w"), "outputs": ("f",), "ones": ((0, 5, 9, 15),)},
    ],
    "logic_gate": [{"op": "xnor", "i0": True, "i1": True, "i2": True, "width": 3}, {"op": "not", "i0": True}],
    "expression": [
        {"equations": (("y", ("or", ("and", "a", ("not", "b")), "c")), ("z", ("not", ("xor", "a", "c"))))}
    ],
    "fsm_table": [
        {
            "states": ("OFF", "ON"),
            "reset_state": "OFF",
            "inputs": ("j", "k"),
            "outputs": ("out",),
            "state_outputs": ((0,), (1,)),
            "transitions": (
                ("OFF", (("j", 0),), "OFF"),
                ("OFF", (("j", 1),), "ON"),
                ("ON", (("k", 0),), "ON"),
                ("ON", (("k", 1),), "OFF"),
            ),
            "reset_async": True,
        },
        {
            "states": ("A", "B"),
            "reset_state": "B",
            "inputs": ("x",),
            "outputs": ("z", "w"),
            "mealy": True,
            "edge_outputs": ((0, 1), (1, 0), (1, 1), (0, 0)),
            "transitions": (
                ("A", (("x", 0),), "A"),
                ("A", (("x", 1),), "B"),
                ("B", (("x", 0),), "A"),
                ("B", (("x", 1),), "B"),
            ),
        },
    ],
    "dff": [
        {"width": 5, "reset_said": False, "clock_edge": "falling", "power_on_said": True},
        {"width": 4, "reset_said": False, "power_on_said": True, "power_on": 9, "enable": True},
        {
            "width": 3,
            "reset_said": True,
            "has_rst_n": True,
            "reset_low": True,
            "reset_async": True,
            "reset_value": 5,
            "enable": True,
        },
    ],
    "reduce": [{"width": 5, "outputs": (("p", "xor"), ("n", "nand"), ("o", "nor"))}],
    "barrel_shifter": [{"width": 8, "op": "sra"}, {"width": 5, "op": "rol", "amount_bits": 3}],
    "lfsr_taps": [{"width": 5, "taps": (3, 5), "reset_value": 1}],
    "demux": [{"outputs": 3, "width": 2}],
    "arbiter": [{"width": 5, "first": "lsb"}, {"width": 3, "first": "msb"}],
    "edge_register": [
        {"width": 3, "kind": "any", "reset_said": False},
        {
            "width": 4,
            "kind": "rising",
            "capture": True,
            "reset_said": True,
            "has_rst": True,
            "reset_async": True,
        },
    ],
    "ring_counter": [
        {"width": 5, "kind": "ring", "direction": "right", "reset_value": 1},
        {"width": 3, "kind": "johnson", "direction": "left", "reset_value": 0, "reset_low": True},
    ],
    "bin2bcd": [{"width": 7}, {"width": 12, "digits": 5}],
    "packed_mux": [{"width": 3, "fields": 5, "low_first": True}],
    "piso": [
        {"width": 5, "first": "lsb", "fill": "sin"},
        {"width": 3, "first": "msb", "fill": "zero", "enable": True, "reset_async": True},
    ],
    "wiring": [{"op": "reverse_bytes", "width": 24}, {"op": "zero_extend", "width": 3, "out_width": 7}],
}

CASES = [(name, params) for name, settings in SETTINGS.items() for params in settings]


def check(design: Design, model: str | None = None) -> Any:
    ref = PythonRef(
        source=model or design.model, clock=design.clock, reset=design.reset.port if design.reset else None
    )
    return diff_check(design.rtl, ref, top=design.top, seeds=(1, 2))


def test_every_generator_has_model_settings() -> None:
    assert sorted(SETTINGS) == sorted(GENERATORS)


@pytest.mark.parametrize(
    ("name", "params"), CASES, ids=[f"{n}-{i}" for n, s in SETTINGS.items() for i in range(len(s))]
)
def test_model_agrees_with_rtl(name: str, params: dict[str, Any]) -> None:
    report = check(bind(get_generator(name), params, None, "dut"))
    assert report.verdict == "pass", report.feedback()
    assert report.samples > 0


def test_a_wrong_model_is_caught() -> None:
    design = bind(get_generator("counter"), {"width": 4, "hi": 9}, None, "dut")
    wrong = design.model.replace("offset % 10", "offset % 11")
    assert wrong != design.model
    report = check(design, wrong)
    assert report.verdict == "fail"
    assert "'q'" in report.feedback()
